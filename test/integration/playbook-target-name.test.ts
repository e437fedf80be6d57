import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDb, type TestDb } from '../support/db.js';
import { runCli, ROOT } from '../support/cli.js';
import { workDir, writeFindings } from '../support/apply-helpers.js';

/**
 * A user playbook may call its target table anything (`target: child`): the engine's checks,
 * samples, resolutions, backups and rollback must find the target by the playbook's own name for
 * it, not by a param called `table` (which rendered as "undefined" into their SQL).
 */

const SCHEMA = `
  CREATE TABLE "Parent" (id int PRIMARY KEY);
  CREATE TABLE "Child Row" (id int PRIMARY KEY, "parentId" int, note text);
  INSERT INTO "Parent" VALUES (1), (2);
  INSERT INTO "Child Row" SELECT g, CASE WHEN g % 4 = 0 THEN NULL ELSE 1 + g % 2 END, 'n' || g FROM generate_series(1, 20) g;
`;

let db: TestDb;
let work: Awaited<ReturnType<typeof workDir>>;
let playbooks: string;

beforeAll(async () => {
  db = await createTestDb();
  await db.query(SCHEMA);
  work = await workDir();
  playbooks = path.join(work.dir, 'playbooks');
  await mkdir(playbooks);
  // The built-in not-null playbook with its target param renamed: every {{table…}} key becomes {{child…}}.
  const builtIn = await readFile(path.join(ROOT, 'playbooks/not-null.yaml'), 'utf8');
  const renamed = builtIn
    .replace('name: not-null', 'name: child-not-null\ntarget: child')
    .replace('  table: {type: table}', '  child: {type: table}')
    .replaceAll('{{table', '{{child')
    .replaceAll('tables: [table]', 'tables: [child]');
  await writeFile(path.join(playbooks, 'child-not-null.yaml'), renamed);
});

afterAll(async () => {
  await db?.drop();
  await work?.remove();
});

describe('a user playbook whose target param is not called table', () => {
  it('counts, resolves, applies and rolls back on its target', async () => {
    const findings = await writeFindings(work.dir, [
      {
        id: 'CH-NN-01',
        title: 'Every child row has a parent id',
        severity: 'medium',
        playbook: 'child-not-null',
        params: { child: '"Child Row"', column: '"parentId"' },
        resolution: { strategy: 'delete' },
      },
    ]);
    const plan = await runCli(['plan', '--db', db.url, '--findings', findings, '--playbooks', playbooks, '--format', 'json']);
    expect(plan.stderr).not.toMatch(/undefined|error/i);
    expect(plan.code).toBe(0);
    const finding = JSON.parse(plan.stdout).findings[0];
    expect(finding.status).toBe('resolved');
    expect(finding.checks[0]).toMatchObject({ id: 'nulls', rows: 5, blocking: true });
    expect(finding.checks[0].sample.map((r: { id: number }) => r.id)).toEqual([4, 8, 12, 16, 20]);
    expect(JSON.stringify(finding.steps)).not.toContain('undefined');

    const applied = await runCli(['apply', '--db', db.url, '--findings', findings, '--playbooks', playbooks, '--window', '00:00-23:59', '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await db.query(`SELECT count(*)::int AS n FROM "Child Row"`)).rows[0].n).toBe(15);
    expect((await db.query(`SELECT attnotnull FROM pg_attribute WHERE attrelid = '"Child Row"'::regclass AND attname = 'parentId'`)).rows[0].attnotnull).toBe(true);

    const back = await runCli(['rollback', '--db', db.url, '--run', '1', '--yes']);
    expect(back.code, back.stderr).toBe(0);
    expect((await db.query(`SELECT count(*)::int AS n, count("parentId")::int AS p FROM "Child Row"`)).rows[0]).toEqual({ n: 20, p: 15 });
  });
});
