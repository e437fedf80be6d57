import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import YAML, { isMap, isSeq, type Document, type YAMLMap } from 'yaml';
import type { Finding } from './model.js';

/**
 * Writes the review session's decisions (a resolution, an edit, a sign-off) back into the findings
 * file the session was opened with, as each is made. Only the keys that changed are touched: YAML
 * goes through the Document API, so comments, key order and the formatting of everything else stay
 * as they were; a JSON file stays JSON. Each write replaces the file atomically (temp file in the
 * same directory, then rename), so a crash leaves the old file or the new one, never half of one.
 */

/** The keys of a finding, in the order a new key is placed among existing ones. */
const KEYS = ['id', 'title', 'severity', 'source', 'playbook', 'params', 'resolution', 'review'] as const;
/** Written as one-line flow maps, as design.md shows them. */
const FLOW = new Set(['resolution', 'review']);

export class FindingsFileWriter {
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param file the findings file decisions go to
   * @param seedFrom when `file` does not exist yet, the file it starts as (the demo's example)
   */
  constructor(
    readonly file: string,
    private readonly seedFrom?: string,
  ) {}

  /** Writes what changed between `before` and `after` (same id); resolves once it is on disk. */
  save(before: Finding, after: Finding): Promise<void> {
    const run = this.queue.then(() => this.write(before, after));
    this.queue = run.catch(() => {});
    return run;
  }

  private async write(before: Finding, after: Finding): Promise<void> {
    const changed = KEYS.filter((k) => !isDeepStrictEqual(before[k], after[k]));
    if (!changed.length) return;
    const text = await readFile(this.file, 'utf8').catch(async (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && this.seedFrom) return readFile(this.seedFrom, 'utf8');
      throw e;
    });
    const next = /^\s*[{[]/.test(text) ? updateJson(text, after, changed) : updateYaml(text, after, changed);
    await replaceFile(this.file, next);
  }
}

function notFound(id: string): Error {
  return new Error(`finding ${id} is no longer in the file`);
}

export function updateYaml(text: string, f: Finding, keys: readonly (typeof KEYS)[number][]): string {
  const doc: Document = YAML.parseDocument(text, { uniqueKeys: true });
  const seq = doc.get('findings', true);
  if (!isSeq(seq)) throw new Error('the file has no "findings:" list');
  const item = seq.items.find((n): n is YAMLMap => isMap(n) && n.get('id') === f.id);
  if (!item) throw notFound(f.id);
  for (const key of keys) {
    const value = f[key];
    if (value === undefined) {
      item.delete(key);
      continue;
    }
    const old = item.get(key, true) as { flow?: boolean } | undefined;
    const flow = FLOW.has(key) || Boolean(old && typeof old === 'object' && old.flow);
    const node = doc.createNode(value, { flow });
    if (item.has(key)) {
      item.set(key, node);
      continue;
    }
    // A new key goes after the last existing key that precedes it in KEYS (review last).
    const at = lastIndexBefore(item, key);
    item.items.splice(at + 1, 0, doc.createPair(key, node));
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function lastIndexBefore(item: YAMLMap, key: (typeof KEYS)[number]): number {
  const earlier = new Set<string>(KEYS.slice(0, KEYS.indexOf(key)));
  let at = -1;
  item.items.forEach((pair, i) => {
    const k = (pair.key as { value?: unknown })?.value ?? pair.key;
    if (typeof k === 'string' && earlier.has(k)) at = i;
  });
  return at < 0 ? item.items.length - 1 : at;
}

export function updateJson(text: string, f: Finding, keys: readonly (typeof KEYS)[number][]): string {
  const data = JSON.parse(text) as { findings?: Record<string, unknown>[] };
  const list = data.findings;
  if (!Array.isArray(list)) throw new Error('the file has no "findings" list');
  const i = list.findIndex((x) => x && x.id === f.id);
  if (i < 0) throw notFound(f.id);
  const old = list[i]!;
  const merged: Record<string, unknown> = {};
  // Existing keys keep their place; new ones follow in KEYS order.
  for (const k of Object.keys(old)) merged[k] = keys.includes(k as never) ? (f as Record<string, unknown>)[k] : old[k];
  for (const k of keys) if (!(k in old)) merged[k] = f[k];
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  list[i] = merged;
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  return JSON.stringify(data, null, indent) + (text.endsWith('\n') ? '\n' : '');
}

/** Temp file next to the target, then rename: readers see the old file or the new one. */
export async function replaceFile(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = await stat(file).then((s) => s.mode & 0o777, () => 0o644);
  try {
    await writeFile(tmp, text, { mode, flag: 'wx' });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}
