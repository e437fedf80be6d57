import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { dbState, type DbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { planOf } from '../support/plan-engine.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * One bad finding never sinks the plan, against ActorHub plus a mixed-case table: an unknown
 * name, an expression that does not parse, a check that fails when it runs inside a table's
 * batched scan, and a table another session holds ACCESS EXCLUSIVE — each errors alone, with its
 * message; every other finding plans exactly as it does without them. `apply` refuses the errors by
 * name before anything starts, and with `--only` applies the rest; exports show the errors and no
 * SQL for them.
 */

const base = { severity: 'high', title: 'a finding' };

const GOOD = [
  { ...base, id: 'G-FK', playbook: 'foreign-key', params: { table: 'identities', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade' } },
  {
    ...base,
    id: 'G-UQ',
    playbook: 'unique',
    params: { table: 'identities', columns: ['user_id', 'lower(display_name)'], where: 'deleted_at IS NULL', name: 'idx_identity_user_display_name' },
    resolution: { strategy: 'update', keep: 'oldest', orderBy: 'created_at', set: { deleted_at: '2024-12-21 00:00:00' } },
  },
  { ...base, id: 'G-CNT', playbook: 'counter', params: { table: 'identities', column: 'total_licenses', expression: '(SELECT count(*) FROM licenses WHERE licenses.identity_id = identities.id)' } },
  { ...base, id: 'G-MIXED', playbook: 'check', params: { table: 'InvoiceLine', name: 'ck_qty', expression: '"Qty" > 0' }, resolution: { strategy: 'delete' } },
];

const BAD = [
  { ...base, id: 'B-TABLE', playbook: 'not-null', params: { table: 'identites', column: 'user_id' } },
  { ...base, id: 'B-PARSE', playbook: 'check', params: { table: 'identities', name: 'ck_parse', expression: 'total_licenses >>> 0 AND' } },
  // Counted in the same scan of identities as G-UQ's and G-CNT's checks: the batch fails, only this finding errors.
  { ...base, id: 'B-RUNTIME', playbook: 'check', params: { table: 'identities', name: 'ck_cast', expression: 'display_name::int > 0' } },
];

/** Held ACCESS EXCLUSIVE by another session while the plan runs. */
const LOCKED = [
  { ...base, id: 'L-NOTES', playbook: 'check', params: { table: 'notes', name: 'ck_len', expression: 'length(body) > 0' }, resolution: { strategy: 'delete' } },
  { ...base, id: 'L-MIXED', playbook: 'not-null', params: { table: 'Billing.Invoice', column: 'Total' } },
];

const summary = (f: FindingPlan) => ({ status: f.status, checks: f.checks.map((c) => [c.id, c.rows, c.groups]), steps: flatSteps(f.steps).length, rehearsal: f.rehearsal?.ok, rowCounts: f.rehearsal?.rowCounts });

describe('one bad finding never sinks the plan', () => {
  let db: TestDb;
  let dir: string;
  let before: DbState;
  let alone: Plan;
  let mixed: Plan;
  const byId = (p: Plan, id: string) => p.findings.find((f) => f.id === id)!;

  beforeAll(async () => {
    db = await createTestDb('tpl_actorhub');
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-one-bad-'));
    await db.query(`CREATE TABLE public."InvoiceLine" ("Id" int PRIMARY KEY, "Qty" int)`);
    await db.query(`INSERT INTO public."InvoiceLine" VALUES (1, 2), (2, -1), (3, 5)`);
    await db.query(`CREATE SCHEMA "Billing"`);
    await db.query(`CREATE TABLE "Billing"."Invoice" ("Id" int PRIMARY KEY, "Total" numeric DEFAULT 0)`);
    await db.query(`CREATE TABLE public.notes (id int PRIMARY KEY, body text DEFAULT '' CHECK (body IS NOT NULL))`);
    await db.query(`CREATE INDEX notes_body ON public.notes (lower(body)) WHERE body <> ''`);
    before = await dbState(db.url);
    alone = await planOf(db.url, { findings: GOOD });
    // Another session holds two tables; the plan does not wait past lock_timeout for them.
    const holder = new pg.Client({ connectionString: db.url, application_name: 'test-holder' });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE public.notes, "Billing"."Invoice" IN ACCESS EXCLUSIVE MODE`);
      mixed = await planOf(db.url, { findings: [...BAD.slice(0, 2), GOOD[0], BAD[2], ...GOOD.slice(1, 3), GOOD[3], ...LOCKED] }, { lockTimeoutMs: 300 });
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('each bad finding errors with its own message, no steps, no rehearsal', () => {
    const expected: Record<string, RegExp> = {
      'B-TABLE': /^B-TABLE\.params\.table: unknown table "identites" — did you mean "public\.identities"\?$/,
      'B-PARSE': /^B-PARSE\.params\.expression: does not parse: syntax error/,
      'B-RUNTIME': /^check violations: invalid input syntax for type integer: "/,
      'L-NOTES': /^lock not granted on public\.notes: another session holds it — pid \d+ \(test-holder, holds ACCESS EXCLUSIVE, .*gave up after lock_timeout 300 ms, not waited for/,
      'L-MIXED': /^lock not granted on Billing\.Invoice: another session holds it — pid \d+ \(test-holder, holds ACCESS EXCLUSIVE/,
    };
    for (const [id, message] of Object.entries(expected)) {
      const f = byId(mixed, id);
      expect(f.status, id).toBe('error');
      expect(f.error, id).toMatch(message);
      expect(f.steps, id).toEqual([]);
      expect(f.rehearsal, id).toBeUndefined();
    }
  });

  it('every other finding plans exactly as it does alone (statuses, counts, steps, rehearsal)', () => {
    for (const id of ['G-FK', 'G-UQ', 'G-CNT', 'G-MIXED']) expect(summary(byId(mixed, id)), id).toEqual(summary(byId(alone, id)));
    expect(byId(alone, 'G-UQ').status).toBe('resolved');
    expect(byId(alone, 'G-MIXED').checks[0]!.rows).toBe(1);
    expect(byId(alone, 'G-CNT').status).toBe('ready');
  });

  it('the database is unchanged', async () => {
    expect(await dbState(db.url)).toEqual(before);
  });

  describe('CLI: plan, exports, apply', () => {
    let file: string;
    beforeAll(async () => {
      file = path.join(dir, 'findings.yaml');
      await writeFile(file, YAML.stringify({ findings: [...GOOD, ...BAD] }));
    });

    it('plan exits 1 after writing every export; the errors are shown, with no SQL for them', async () => {
      for (const format of ['md', 'json', 'sql']) {
        const out = path.join(dir, `plan.${format}`);
        const r = await runCli(['plan', '--db', db.url, '--findings', file, '--format', format, '--out', out]);
        expect(r.code, r.stderr).toBe(1);
        for (const b of BAD) expect(r.stderr).toContain(`pgmend: ${b.id}`);
        const text = await readFile(out, 'utf8');
        if (format === 'json') {
          const plan = JSON.parse(text) as Plan;
          for (const b of BAD) {
            const f = byId(plan, b.id);
            expect(f.status).toBe('error');
            expect(f.error).toBeTruthy();
            expect(f.steps).toEqual([]);
            expect(f.rollback).toEqual([]);
          }
          expect(plan.findings.filter((f) => f.status !== 'error').map((f) => f.id).sort()).toEqual(GOOD.map((g) => g.id).sort());
        } else {
          for (const b of BAD) expect(text).toContain(b.id);
          // The SQL the bad findings would have run appears nowhere.
          expect(text).not.toMatch(/ck_parse|ck_cast|display_name::int|ALTER COLUMN user_id SET NOT NULL/);
          if (format === 'md') expect(text).toMatch(/## Errors — could not be planned[\s\S]*### B-RUNTIME[\s\S]*invalid input syntax/);
          if (format === 'sql') expect(text).toMatch(/--\s+B-TABLE: error: /);
        }
      }
      expect(await dbState(db.url)).toEqual(before);
    });

    it('apply refuses the findings in error by name before anything starts', async () => {
      const r = await runCli(['apply', '--db', db.url, '--findings', file, '--window', '00:00-23:59', '--yes']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/refused: 3 finding\(s\) cannot be applied: B-TABLE \(error: [^)]*unknown table[\s\S]*B-PARSE \(error:[\s\S]*B-RUNTIME \(error: check violations/);
      const only = /leave them out with --only (\S+)/.exec(r.stderr)?.[1];
      expect(only?.split(',').sort()).toEqual(GOOD.map((g) => g.id).sort());
      expect(await dbState(db.url)).toEqual(before);
    });

    it('apply --only leaving them out applies the rest; the summary counts the rows the run changed, not the rows the checks counted', async () => {
      // Counted independently: a duplicate group keeps its oldest row; drift is every row off its count.
      const n = async (sql: string) => Number((await db.query(sql)).rows[0].n);
      const duplicates = await n(`SELECT count(*) AS n FROM (SELECT count(*) OVER (PARTITION BY user_id, lower(display_name)) AS g FROM identities WHERE deleted_at IS NULL) x WHERE g > 1`);
      const toUpdate = await n(`SELECT count(*) AS n FROM (SELECT row_number() OVER (PARTITION BY user_id, lower(display_name) ORDER BY created_at, id) AS k FROM identities WHERE deleted_at IS NULL) x WHERE k > 1`);
      const drift = await n(`SELECT count(*) AS n FROM identities i WHERE total_licenses IS DISTINCT FROM (SELECT count(*) FROM licenses l WHERE l.identity_id = i.id)`);
      expect(duplicates).toBeGreaterThan(toUpdate);
      const r = await runCli(['apply', '--db', db.url, '--findings', file, '--only', GOOD.map((g) => g.id).join(','), '--window', '00:00-23:59', '--yes']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`${duplicates} duplicates rows, will change: ${toUpdate} rows updated`);
      expect(r.stdout).toContain(`G-UQ: applied, ${toUpdate} rows updated\n`);
      expect(r.stdout).toContain(`G-CNT: applied, ${drift} rows updated\n`);
      expect(r.stdout).toContain(`G-MIXED: applied, 1 row deleted\n`);
      expect(r.stdout).toContain(`G-FK: applied, no rows changed\n`);
      expect(r.stdout).toContain(`applied 4 finding(s), ${1 + toUpdate + drift} row(s) changed and backed up — journal run`);
      const journal = await n(`SELECT rows_changed AS n FROM pgmend.runs ORDER BY id DESC LIMIT 1`);
      expect(journal).toBe(1 + toUpdate + drift);
      const { rows } = await db.query(`SELECT count(*)::int AS n FROM public."InvoiceLine" WHERE "Qty" <= 0`);
      expect(rows[0].n).toBe(0);
      const { rows: idx } = await db.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'idx_identity_user_display_name'`);
      expect(idx).toHaveLength(1);
    });
  });
});
