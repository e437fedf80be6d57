import { describe, expect, test } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { loadFindingsFile } from '../../src/findings/load.js';
import { FindingsFileWriter } from '../../src/findings/save.js';
import { EXAMPLES_DIR } from '../../src/demo/examples.js';

/** Decisions written back into the findings file: only the changed keys, comments and order kept. */

const review = { status: 'approved' as const, by: 'Ada Lovelace', at: '2026-12-03T14:05:00Z', note: 'checked: 6 orphans, all test accounts' };

async function tmpCopy(name: string, text: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-save-'));
  const file = path.join(dir, name);
  await writeFile(file, text);
  return { dir, file, done: () => rm(dir, { recursive: true, force: true }) };
}

describe('FindingsFileWriter', () => {
  test('YAML: a resolution and a sign-off change only their finding; comments and the rest stay byte for byte', async () => {
    const playbooks = await loadPlaybooks();
    const original = await readFile(path.join(EXAMPLES_DIR, 'actorhub', 'findings.yaml'), 'utf8');
    const t = await tmpCopy('findings.yaml', original);
    try {
      const before = await loadFindingsFile(t.file, playbooks);
      const f = before.find((x) => x.id === 'AH-FK-17')!;
      const w = new FindingsFileWriter(t.file);
      await w.save(f, { ...f, resolution: { strategy: 'delete' } });
      await w.save({ ...f, resolution: { strategy: 'delete' } }, { ...f, resolution: { strategy: 'delete' }, review });
      const text = await readFile(t.file, 'utf8');
      const after = await loadFindingsFile(t.file, playbooks);
      expect(after.find((x) => x.id === 'AH-FK-17')).toEqual({ ...f, resolution: { strategy: 'delete' }, review });
      expect(after.filter((x) => x.id !== 'AH-FK-17')).toEqual(before.filter((x) => x.id !== 'AH-FK-17'));
      // The diff is exactly two added lines, in the design's one-line shape.
      const added = text.split('\n').filter((l) => !original.split('\n').includes(l));
      expect(added).toEqual([
        '    resolution: {strategy: delete}',
        '    review: {status: approved, by: Ada Lovelace, at: 2026-12-03T14:05:00Z, note: "checked: 6 orphans, all test accounts"}',
      ]);
      expect(original.split('\n').filter((l) => !text.split('\n').includes(l))).toEqual([]);
      // Atomic replace leaves no temp file behind.
      expect(await readdir(t.dir)).toEqual(['findings.yaml']);
      // Removing the resolution removes the line.
      await w.save({ ...f, resolution: { strategy: 'delete' }, review }, { ...f, review });
      expect((await readFile(t.file, 'utf8')).includes('resolution: {strategy: delete}')).toBe(false);
    } finally {
      await t.done();
    }
  });

  test('JSON stays JSON, with its indentation; a missing finding is an error and the file is unchanged', async () => {
    const playbooks = await loadPlaybooks();
    const json = JSON.stringify({ findings: [{ id: 'X-1', title: 't', severity: 'low', playbook: 'not-null', params: { table: 'users', column: 'email' } }] }, null, 4) + '\n';
    const t = await tmpCopy('f.json', json);
    try {
      const [f] = await loadFindingsFile(t.file, playbooks);
      const w = new FindingsFileWriter(t.file);
      await w.save(f!, { ...f!, review: { status: 'skipped', by: 'bob', at: '2026-12-03T14:05:00Z' } });
      const text = await readFile(t.file, 'utf8');
      expect(JSON.parse(text).findings[0].review).toEqual({ status: 'skipped', by: 'bob', at: '2026-12-03T14:05:00Z' });
      expect(text).toContain('\n    "findings": [');
      await expect(w.save({ ...f!, id: 'X-2' }, { ...f!, id: 'X-2', review })).rejects.toThrow(/X-2 is no longer in the file/);
      expect(await readFile(t.file, 'utf8')).toBe(text);
    } finally {
      await t.done();
    }
  });

  test('seeded: the first decision copies the seed file (the demo never writes into its examples)', async () => {
    const playbooks = await loadPlaybooks();
    const seed = path.join(EXAMPLES_DIR, 'actorhub', 'findings.yaml');
    const seedText = await readFile(seed, 'utf8');
    const t = await tmpCopy('unused', '');
    try {
      const copy = path.join(t.dir, 'copy.yaml');
      const [f] = await loadFindingsFile(seed, playbooks);
      await new FindingsFileWriter(copy, seed).save(f!, { ...f!, review });
      expect((await loadFindingsFile(copy, playbooks))[0]!.review).toEqual(review);
      expect(await readFile(seed, 'utf8')).toBe(seedText);
    } finally {
      await t.done();
    }
  });
});
