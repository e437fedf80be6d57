import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { buildPlan, PLAN_DEFAULTS, type PlanEvent } from '../../src/engine/plan/plan.js';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';
import { resolveTarget } from '../../src/db/connection.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { parseFindingsText } from '../../src/findings/load.js';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { planToJson } from '../../src/export/plan-json.js';
import { parsePlanJson } from '../../src/export/plan-json-parse.js';
import { applyPlan } from '../../src/engine/apply/apply.js';
import { parseWindow } from '../../src/engine/apply/maintenance-window.js';
import { openWindow } from '../support/apply-helpers.js';
import { ownServer, psqlNow, query, type OwnServer } from '../support/own-server.js';

/**
 * Window-mode rehearsal answers a validation with the prechecks' zero count (NOT VALID, a unique
 * index over no rows) only where that count is the validation: a real count, in the snapshot the
 * rehearsal sees (nothing committed since), not changed by an earlier step, rows the validation
 * reads, a form PostgreSQL accepts, a key that can fail only on duplicates. Everywhere else it
 * validates in full — these tests make the full validation fail, so answering there would pass.
 *
 * A server of its own: "nothing committed since" is server-wide, and the other test files commit.
 */

let srv: OwnServer;
let major: number;

beforeAll(async () => {
  srv = await ownServer('t_answered');
  major = srv.major;
}, 120_000);

afterAll(async () => {
  await srv?.close();
});

const database = (sql: string) => srv.database(sql);
const run = async (url: string, sql: string) => void (await query(url, sql));

async function plan(url: string, findings: unknown[], opts: { playbookDir?: string; onProgress?: (e: PlanEvent) => void } = {}): Promise<Plan> {
  const playbooks = await loadPlaybooks(opts.playbookDir);
  return buildPlan({
    target: resolveTarget(url),
    findings: parseFindingsText(YAML.stringify({ findings }), 'findings.yaml', playbooks),
    playbooks,
    mode: 'window',
    rehearse: true,
    ...PLAN_DEFAULTS,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}

const base = { severity: 'high', title: 'answered' };
const byId = (p: Plan, id: string): FindingPlan => p.findings.find((f) => f.id === id)!;

const SCHEMA = `
  CREATE TABLE parent (id int PRIMARY KEY);
  INSERT INTO parent SELECT generate_series(1, 10);
  CREATE TABLE child (id int PRIMARY KEY, pid int, v int, code text, n int, label text);
  INSERT INTO child SELECT g, g % 10 + 1, g, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END, g, 'label ' || g FROM generate_series(1, 200) g;
`;

const FINDINGS = [
  { ...base, id: 'CK', playbook: 'check', params: { table: 'child', name: 'child_v_nonneg', expression: '(v >= 0)' } },
  { ...base, id: 'AV', playbook: 'allowed-values', params: { table: 'child', column: 'code', values: ['a', 'b'] } },
  { ...base, id: 'FK', playbook: 'foreign-key', params: { table: 'child', columns: ['pid'], references: { table: 'parent', columns: ['id'] }, onDelete: 'cascade' } },
  { ...base, id: 'UQ-INT', playbook: 'unique', params: { table: 'child', columns: ['n'] } },
  { ...base, id: 'UQ-TEXT', playbook: 'unique', params: { table: 'child', columns: ['label'] } },
];

describe('window rehearsal answers a validation with a zero count', () => {
  let url: string;
  let answeredPlan: Plan;

  beforeAll(async () => {
    url = await database(SCHEMA);
    answeredPlan = await plan(url, FINDINGS);
  }, 120_000);

  it('CHECK, allowed values and FK rehearsed NOT VALID, a fixed-width unique key over no rows; each says which count answered it', () => {
    for (const f of answeredPlan.findings) expect(f.rehearsal?.ok, `${f.id}: ${f.rehearsal?.error}`).toBe(true);
    expect(byId(answeredPlan, 'CK').rehearsal!.answered).toEqual([{ step: 0, check: 'violations', rows: 0, form: 'not-valid' }]);
    expect(byId(answeredPlan, 'AV').rehearsal!.answered).toEqual([{ step: 0, check: 'violations', rows: 0, form: 'not-valid' }]);
    expect(byId(answeredPlan, 'FK').rehearsal!.answered).toEqual([{ step: 0, check: 'orphans', rows: 0, form: 'not-valid' }]);
    expect(byId(answeredPlan, 'UQ-INT').rehearsal!.answered).toEqual([{ step: 0, check: 'duplicates', rows: 0, form: 'no-rows' }]);
    // A text key: a build can fail on what no duplicate count sees (row size, collation).
    expect(byId(answeredPlan, 'UQ-TEXT').rehearsal!.answered).toBeUndefined();
    expect(byId(answeredPlan, 'UQ-TEXT').rehearsal!.inFull).toEqual([{ step: 0, why: expect.stringMatching(/^a variable-width or collatable key \(label text\)/) }]);
  });

  it('the locks observed are the ones declared for the step itself, on every table', () => {
    const step = (id: string) => byId(answeredPlan, id).steps[0]!;
    expect(step('CK').observed).toEqual({ 'public.child': 'ACCESS EXCLUSIVE' });
    expect(step('AV').observed).toEqual({ 'public.child': 'ACCESS EXCLUSIVE' });
    expect(step('FK').observed).toEqual({ 'public.child': 'SHARE ROW EXCLUSIVE', 'public.parent': 'SHARE ROW EXCLUSIVE' });
    expect(step('UQ-INT').observed).toEqual({ 'public.child': 'SHARE' });
    for (const id of ['CK', 'AV', 'FK', 'UQ-INT']) {
      expect(step(id).observed, id).toEqual(step(id).locks);
      expect(step(id).lockNote, id).toBeUndefined();
      expect(step(id).sql, id).not.toMatch(/NOT VALID|WHERE false/);
    }
  });

  it('the diff shows the fix as apply leaves it (validated, no WHERE false)', () => {
    expect(byId(answeredPlan, 'CK').diff).toContain('+    CONSTRAINT child_v_nonneg CHECK ((v >= 0))');
    expect(byId(answeredPlan, 'FK').diff).toMatch(/\+ {4}CONSTRAINT child_pid_fkey FOREIGN KEY \(pid\) REFERENCES (public\.)?parent\(id\) ON DELETE CASCADE,\n/);
    expect(byId(answeredPlan, 'UQ-INT').diff).toMatch(/\+CREATE UNIQUE INDEX child_n_key ON public\.child USING btree \(n\);\n/);
    for (const id of ['CK', 'AV', 'FK', 'UQ-INT']) expect(byId(answeredPlan, id).diff, id).not.toMatch(/NOT VALID|WHERE false/);
  });

  it('checklist and plan JSON (round trip) say which validation which count answered, and why the rest ran in full', () => {
    const md = planToChecklist(answeredPlan);
    expect(md).toMatch(/rehearsed NOT VALID \d+(\.\d+)? (ms|s): validation answered by the precheck count: 0 violations in the plan's snapshot, no transaction committed since \(same lock as the step; apply validates every row\)/);
    expect(md).toContain('validation answered by the precheck count: 0 orphans');
    expect(md).toMatch(/rehearsed over no rows \(WHERE false\) \d+(\.\d+)? (ms|s): uniqueness answered by the precheck count: 0 duplicates/);
    expect(md).toMatch(/rehearsed [^\n]*; validated in full: a variable-width or collatable key/);
    const back = parsePlanJson(planToJson(answeredPlan));
    expect(byId(back, 'FK').rehearsal!.answered).toEqual(byId(answeredPlan, 'FK').rehearsal!.answered);
    expect(byId(back, 'UQ-TEXT').rehearsal!.inFull).toEqual(byId(answeredPlan, 'UQ-TEXT').rehearsal!.inFull);
  });

  it('apply still validates in full: a row written after the plan makes it fail and roll back', async () => {
    await run(url, `INSERT INTO child VALUES (1000, 1, -5, 'a', 1000, 'x')`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-answered-'));
    try {
      const r = await applyPlan({ target: resolveTarget(url), plan: answeredPlan, playbooks: await loadPlaybooks(), only: ['CK'], mode: 'window', window: parseWindow(openWindow()), lockTimeoutMs: 1000, lockRetries: 3, snapshotDir: dir }).catch((e: Error) => e);
      expect(r instanceof Error ? r.message : JSON.stringify(r)).toMatch(/child_v_nonneg|violat|check/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'child_v_nonneg'`);
    await c.end();
    expect(rows[0].n).toBe(0);
  }, 60_000);
});

describe('validated in full where the count does not answer it', () => {
  /** The plan of CK and FK, with `sql` committed by another session once the counts are taken, before the rehearsal. */
  async function planAfterCommit(url: string, sql: string): Promise<Plan> {
    let injected = false;
    const p = await plan(url, FINDINGS.filter((f) => f.id === 'CK' || f.id === 'FK'), {
      onProgress: (e) => {
        if (e.kind === 'phase' && e.phase === 'rehearsal' && !injected) {
          injected = true;
          psqlNow(url, sql);
        }
      },
    });
    expect(injected).toBe(true);
    return p;
  }

  it('a transaction committed between the count and the rehearsal: validated in full, under the same locks as NOT VALID', async () => {
    const url = await database(SCHEMA);
    const p = await planAfterCommit(url, `INSERT INTO child VALUES (1000, 1, 1, 'a', 1000, 'x')`);
    for (const id of ['CK', 'FK']) {
      expect(byId(p, id).rehearsal!.ok, id).toBe(true);
      expect(byId(p, id).rehearsal!.inFull, id).toEqual([{ step: 0, why: expect.stringMatching(/^transaction \d+ committed on the server since the count's snapshot/) }]);
    }
    expect(byId(p, 'CK').steps[0]!.observed).toEqual({ 'public.child': 'ACCESS EXCLUSIVE' });
    expect(byId(p, 'FK').steps[0]!.observed).toEqual({ 'public.child': 'SHARE ROW EXCLUSIVE', 'public.parent': 'SHARE ROW EXCLUSIVE' });
  }, 120_000);

  it('a violation committed between the count and the rehearsal: validated in full, which finds it', async () => {
    const url = await database(SCHEMA);
    const p = await planAfterCommit(url, `INSERT INTO child VALUES (1000, 999, -1, 'a', 1000, 'x')`);
    for (const id of ['CK', 'FK']) {
      const r = byId(p, id).rehearsal!;
      expect(r.answered, id).toBeUndefined();
      expect(r.inFull, id).toEqual([{ step: 0, why: expect.stringMatching(/^transaction \d+ committed on the server since the count's snapshot/) }]);
      expect(r.ok, id).toBe(false);
    }
    expect(byId(p, 'CK').rehearsal!.error).toMatch(/child_v_nonneg.*violated by some row/);
    expect(byId(p, 'FK').rehearsal!.error).toMatch(/violates foreign key constraint "child_pid_fkey"/);
  }, 120_000);

  it('orphans behind a validated FK with enabled triggers (disabled, written, enabled again before the plan): the key answers, wrongly, as PostgreSQL trusts it; apply counts them and refuses, changing nothing', async () => {
    const url = await database(`${SCHEMA}
      ALTER TABLE child ADD CONSTRAINT child_pid_fkey FOREIGN KEY (pid) REFERENCES parent (id);
      ALTER TABLE child DISABLE TRIGGER ALL;
      INSERT INTO child VALUES (1000, 999, 1, 'a', 1000, 'x');
      ALTER TABLE child ENABLE TRIGGER ALL;`);
    const p = await plan(url, FINDINGS.filter((f) => f.id === 'FK'));
    const f = byId(p, 'FK');
    expect(f.checks.find((c) => c.id === 'orphans')).toMatchObject({ rows: 0, answeredBy: { kind: 'foreign key' } });
    // The replacement of that very key: answered by it (answered-validation.ts), as a count of 0 it never was.
    expect(f.rehearsal!.answered).toEqual([expect.objectContaining({ step: 0, check: 'orphans', form: 'not-valid', answeredBy: expect.objectContaining({ object: 'child_pid_fkey' }) })]);
    expect(f.rehearsal!.ok).toBe(true);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-answered-'));
    try {
      const r = await applyPlan({ target: resolveTarget(url), plan: p, playbooks: await loadPlaybooks(), only: ['FK'], mode: 'window', window: parseWindow(openWindow()), lockTimeoutMs: 1000, lockRetries: 3, snapshotDir: dir }).catch((e: Error) => e);
      // Apply's own precheck counts the rows (no catalog answer there); were it not to, the step's validation would fail and roll back.
      expect(r instanceof Error ? r.message : JSON.stringify(r)).toMatch(/refused: the plan is stale — FK orphans: 0 rows in the plan, 1 now/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Nothing changed: the old key, its old rule (NO ACTION), validated.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query(`SELECT confdeltype::text AS del, convalidated AS ok FROM pg_constraint WHERE conname = 'child_pid_fkey'`);
    await c.end();
    expect(rows).toEqual([{ del: 'a', ok: true }]);
  }, 120_000);

  it('an earlier step that changes the table\'s rows: validated in full, which finds what it changed', async () => {
    const url = await database(SCHEMA);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-playbooks-'));
    try {
      await writeFile(path.join(dir, 'flip-then-check.yaml'), YAML.stringify({
        name: 'flip-then-check',
        summary: 'negate a column, then forbid negative values',
        params: { table: { type: 'table' } },
        checks: [{ id: 'violations', description: 'negative values', predicate: '(v >= 0) IS FALSE' }],
        steps: {
          window: [
            { sql: 'UPDATE {{table}} SET v = -v WHERE id = 1', lock: 'ROW EXCLUSIVE', tables: ['table'] },
            { sql: 'ALTER TABLE {{table}} ADD CONSTRAINT flip_nonneg CHECK (v >= 0)', lock: 'ACCESS EXCLUSIVE', tables: ['table'], rehearse: { check: 'violations', sql: 'ALTER TABLE {{table}} ADD CONSTRAINT flip_nonneg CHECK (v >= 0) NOT VALID' } },
          ],
          online: [],
        },
        rollback: [{ sql: 'ALTER TABLE {{table}} DROP CONSTRAINT IF EXISTS flip_nonneg' }],
        verify: [],
      }));
      const p = await plan(url, [{ ...base, id: 'FLIP', playbook: 'flip-then-check', params: { table: 'child' } }], { playbookDir: dir });
      const r = byId(p, 'FLIP').rehearsal!;
      expect(byId(p, 'FLIP').checks[0]).toMatchObject({ id: 'violations', rows: 0 });
      expect(r.answered).toBeUndefined();
      expect(r.inFull).toEqual([{ step: 1, why: 'an earlier step may have changed rows of public.child since the count' }]);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/^step 2: .*flip_nonneg.*violated by some row/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a question the role may not ask (pg_xact_status revoked): validated in full, not failed', async () => {
    const url = await database(`${SCHEMA}
      DO $$ BEGIN CREATE ROLE pgmend_answer_np LOGIN PASSWORD 'np'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
      ALTER TABLE child OWNER TO pgmend_answer_np;
      ALTER TABLE parent OWNER TO pgmend_answer_np;
      REVOKE EXECUTE ON FUNCTION pg_xact_status(xid8) FROM PUBLIC;`);
    const asRole = new URL(url);
    asRole.username = 'pgmend_answer_np';
    asRole.password = 'np';
    const p = await plan(asRole.toString(), FINDINGS.filter((f) => f.id === 'CK'));
    const r = byId(p, 'CK').rehearsal!;
    expect(r.ok, r.error).toBe(true);
    expect(r.answered).toBeUndefined();
    expect(r.inFull).toEqual([{ step: 0, why: expect.stringMatching(/^could not tell whether the count answers it \(permission denied for function pg_xact_status\)/) }]);
  }, 120_000);

  it('an FK on a partitioned table: NOT VALID from PostgreSQL 18, in full before (it refuses NOT VALID there); same locks', async () => {
    const url = await database(`
      CREATE TABLE parent (id int PRIMARY KEY);
      INSERT INTO parent SELECT generate_series(1, 10);
      CREATE TABLE pchild (id int, pid int) PARTITION BY RANGE (id);
      CREATE TABLE pchild_1 PARTITION OF pchild FOR VALUES FROM (0) TO (1000);
      INSERT INTO pchild SELECT g, g % 10 + 1 FROM generate_series(1, 200) g;`);
    const p = await plan(url, [{ ...base, id: 'PFK', playbook: 'foreign-key', params: { table: 'pchild', columns: ['pid'], references: { table: 'parent', columns: ['id'] }, onDelete: 'cascade' } }]);
    const f = byId(p, 'PFK');
    expect(f.rehearsal!.ok, f.rehearsal!.error).toBe(true);
    if (major >= 18) expect(f.rehearsal!.answered).toEqual([{ step: 0, check: 'orphans', rows: 0, form: 'not-valid' }]);
    else expect(f.rehearsal!.inFull).toEqual([{ step: 0, why: expect.stringMatching(/^PostgreSQL refuses the NOT VALID form here \(cannot add NOT VALID foreign key on partitioned table/) }]);
    expect(f.steps[0]!.observed).toEqual({ 'public.parent': 'SHARE ROW EXCLUSIVE', 'public.pchild': 'SHARE ROW EXCLUSIVE', 'public.pchild_1': 'SHARE ROW EXCLUSIVE' });
    expect(f.steps[0]!.lockNote).toBeUndefined();
  }, 120_000);
});
