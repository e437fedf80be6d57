import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, parseCommandString } from 'execa';
import YAML from 'yaml';
import type { Finding } from '../findings/model.js';
import { PgmendError } from '../util/errors.js';

/**
 * `e`: the finding as a one-finding findings file in $VISUAL / $EDITOR (vi when neither is set).
 * The caller unmounts Ink around this call: the editor owns the terminal while it runs.
 */

export function editorCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const cmd = (env.VISUAL || env.EDITOR || 'vi').trim();
  return parseCommandString(cmd);
}

export function findingYaml(f: Finding): string {
  const header = `# ${f.id}: save and quit to re-validate and re-plan it; the id must stay the same.\n`;
  return header + YAML.stringify({ findings: [f] }, { lineWidth: 0 });
}

/** Opens `text` in the editor and returns what was saved. */
export async function editText(text: string, fileName: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-edit-'));
  const file = path.join(dir, fileName.replace(/[^A-Za-z0-9_.-]/g, '_'));
  try {
    await writeFile(file, text);
    const [cmd, ...args] = editorCommand(env);
    const r = await execa(cmd!, [...args, file], { stdio: 'inherit', reject: false, env });
    if (r.failed) {
      const why = r.exitCode !== undefined ? `exited with code ${r.exitCode}` : r.shortMessage;
      throw new PgmendError(`editor ${cmd} ${why}: the finding is unchanged`, 1, 'set $EDITOR to an editor that exits 0 on save');
    }
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}
