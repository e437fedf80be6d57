import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { playbookSchema, type Playbook } from './model.js';
import { playbookTemplateProblem } from './template-keys.js';
import { formatZodIssues } from '../util/zod-errors.js';
import { UsageError } from '../util/errors.js';

/** The built-in playbooks ship beside src/ and dist/ as YAML. */
export const BUILTIN_PLAYBOOKS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../playbooks');

export type PlaybookSet = Map<string, Playbook>;

async function loadDir(dir: string, into: PlaybookSet): Promise<void> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    throw new UsageError(`--playbooks: cannot read directory ${dir}`, 'give a directory of playbook YAML files');
  }
  for (const f of files) {
    const file = path.join(dir, f);
    let data: unknown;
    try {
      data = YAML.parse(await readFile(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    const parsed = playbookSchema.safeParse(data);
    if (!parsed.success) throw new UsageError(`${file}: ${formatZodIssues(parsed.error)}`);
    // A key the view lacks would render as nothing: refuse the playbook instead.
    const problem = playbookTemplateProblem(parsed.data);
    if (problem) throw new UsageError(`${file}: playbook ${parsed.data.name}, ${problem.template}: ${problem.message}`, problem.hint);
    into.set(parsed.data.name, parsed.data);
  }
}

/** Built-ins first; a user directory adds playbooks or replaces built-ins of the same name. */
export async function loadPlaybooks(userDir?: string): Promise<PlaybookSet> {
  const set: PlaybookSet = new Map();
  await loadDir(BUILTIN_PLAYBOOKS, set);
  if (userDir) await loadDir(userDir, set);
  return set;
}
