import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { findingSchema, findingsFileSchema, type Finding } from './model.js';
import { paramsSchema } from '../playbooks/params-schema.js';
import type { PlaybookSet } from '../playbooks/load.js';
import { formatZodIssues } from '../util/zod-errors.js';
import { UsageError } from '../util/errors.js';

/**
 * Loads a findings file (YAML, or the JSON of the same shape) and checks its structure: every
 * error names the file, the finding id, the field and what is wrong, on one line.
 */

const MAX_BYTES = 10 * 1024 * 1024;

export async function loadFindingsFile(file: string, playbooks: PlaybookSet): Promise<Finding[]> {
  const name = path.basename(file);
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UsageError(`cannot read findings file ${file}: ${why}`);
  }
  if (buf.length > MAX_BYTES) throw new UsageError(`${name}: ${Math.round(buf.length / 1048576)} MB is too large for a findings file`, 'findings files are at most 10 MB');
  if (buf.includes(0)) throw new UsageError(`${name}: is a binary file, not YAML or JSON`);
  return parseFindingsText(buf.toString('utf8'), name, playbooks);
}

export function parseFindingsText(text: string, name: string, playbooks: PlaybookSet): Finding[] {
  if (!text.trim()) throw new UsageError(`${name}: is empty`, 'expected "findings:" with a list of findings');
  let data: unknown;
  try {
    // YAML is a superset of JSON: one parser reads both, with line numbers in its errors.
    data = YAML.parse(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    // The parser's first line; it ends with ":" before a code excerpt we do not print.
    const msg = (e as Error).message.split('\n')[0]!.replace(/:\s*$/, '');
    const hint = /alias/i.test(msg) ? 'write the findings out: a findings file may use at most 100 YAML aliases' : undefined;
    throw new UsageError(`${name}: not valid ${/^\s*[{[]/.test(text) ? 'JSON' : 'YAML'}: ${msg}`, hint);
  }
  const file = findingsFileSchema.safeParse(data);
  if (!file.success) {
    throw new UsageError(`${name}: ${formatZodIssues(file.error)}`, 'expected a top-level "findings:" list');
  }
  const seen = new Set<string>();
  return file.data.findings.map((raw, i) => {
    const label = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : `findings[${i}]`;
    const f = findingSchema.safeParse(raw);
    if (!f.success) throw new UsageError(`${name}: ${formatZodIssues(f.error, [label])}`);
    const finding = f.data;
    if (seen.has(finding.id)) throw new UsageError(`${name}: ${finding.id}: duplicate id`, 'ids must be unique in a file');
    seen.add(finding.id);
    const playbook = playbooks.get(finding.playbook);
    if (!playbook) {
      throw new UsageError(
        `${name}: ${finding.id}.playbook: unknown playbook "${finding.playbook}"`,
        `known playbooks: ${[...playbooks.keys()].sort().join(', ')}`,
      );
    }
    const params = paramsSchema(playbook).safeParse(finding.params);
    if (!params.success) throw new UsageError(`${name}: ${formatZodIssues(params.error, [finding.id, 'params'])}`);
    return { ...finding, params: params.data as Record<string, unknown> };
  });
}
