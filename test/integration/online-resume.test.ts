import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createTestDb, type TestDb } from '../support/db.js';
import { dbState, type DbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS, SHOP_ROWS } from '../support/apply-shop.js';
import { FAULTS_SQL, armFault, faultPoints } from '../support/apply-faults.js';
import {
  makeTemplate,
  workDir,
  writeFindings,
  openWindow,
  cliPlan,
  cliJournal,
  expectOneLineError,
  applyApi,
  resumeApi,
  planFor,
  waitForQuery,
  terminate,
  halfDone,
  withSession,
  runSteps,
} from '../support/apply-helpers.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';

/**
 * Online mode commits step by step and journals each step: a run stopped anywhere is left
 * `interrupted` (or, stopped before it started, changed nothing), and `apply --resume RUN`
 * finishes it — ending exactly where an uninterrupted run ends, with no invalid index and no
 * unvalidated constraint left behind.
 */

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;
let plan: Plan;
let pristine: DbState;
const TOTAL_ROWS = Object.values(SHOP_ROWS).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL + FAULTS_SQL);
  work = await workDir();
  const db = await createTestDb(template.name);
  try {
    plan = await planFor(db.url, SHOP_FINDINGS, 'online');
    pristine = await dbState(db.url);
  } finally {
    await db.drop();
  }
});

afterAll(async () => {
  await template?.drop();
  await work?.remove();
});

const snapshots = () => path.join(work.dir, 'snapshots');

/** The state without fault.config, whose row the test itself sets. */
function userState(s: DbState): DbState {
  const { ['fault.config']: _armed, ...rows } = s.rows;
  return { schema: s.schema, rows };
}

async function runStatus(db: TestDb): Promise<string[]> {
  const { rows } = await db.query(`SELECT to_regclass('pgmend.runs') IS NOT NULL AS ok`);
  if (!rows[0]!.ok) return [];
  return (await db.query(`SELECT status FROM pgmend.runs ORDER BY id`)).rows.map((r) => r.status);
}

describe('online mode: interrupted anywhere, resumed to completion', () => {
  it('a fault injected at every statement of a 10-finding run, then --resume', async () => {
    const ref = await createTestDb(template.name);
    let points: number;
    let applied: DbState;
    try {
      await armFault(ref, 0);
      const r = await applyApi(ref.url, plan, snapshots());
      expect(r.status, r.error).toBe('committed');
      expect(r.rowsChanged).toBe(TOTAL_ROWS);
      points = await faultPoints(ref);
      applied = await dbState(ref.url);
    } finally {
      await ref.drop();
    }
    expect(points).toBeGreaterThan(40);

    const outcomes = { interrupted: 0, nothingChanged: 0 };
    for (let k = 1; k <= points; k++) {
      const db = await createTestDb(template.name);
      try {
        await armFault(db, k);
        const r = await applyApi(db.url, plan, snapshots());
        expect(r.status, `point ${k}`).toBe('failed');
        expect(r.error).toMatch(new RegExp(`fault injected at point ${k}: `));
        await armFault(db, 0);
        if (r.runId === null) {
          // Stopped before the run was journaled: nothing changed; a new apply goes through.
          outcomes.nothingChanged++;
          expect(r.error).toMatch(/ — nothing was changed$/);
          expect(userState(await dbState(db.url)), `point ${k}`).toEqual(userState(pristine));
          const again = await applyApi(db.url, plan, snapshots());
          expect(again.status, again.error).toBe('committed');
        } else {
          outcomes.interrupted++;
          expect(r.error).toMatch(new RegExp(` — the steps before it are committed; resume with: pgmend apply --resume ${r.runId}$`));
          expect(await runStatus(db)).toEqual(['interrupted']);
          const resumed = await resumeApi(db.url, r.runId, snapshots());
          expect(resumed.status, `point ${k}: ${resumed.error}`).toBe('committed');
          expect(resumed.runId).toBe(r.runId);
          expect(resumed.rowsChanged, `point ${k}`).toBe(TOTAL_ROWS);
          expect(await runStatus(db)).toEqual(['committed']);
        }
        expect(await halfDone(db.url), `point ${k}`).toEqual({ invalidIndexes: [], unvalidated: [] });
        expect(userState(await dbState(db.url)), `point ${k}: resumed state = uninterrupted state`).toEqual(userState(applied));
      } finally {
        await db.drop();
      }
    }
    console.log(`[online-resume] ${points} injection points: ${outcomes.interrupted} interrupted runs resumed to the uninterrupted end state, ${outcomes.nothingChanged} stopped before the run began (nothing changed)`);
    expect(outcomes.interrupted).toBeGreaterThan(40);
  }, 900_000);

  it('batched row changes (25,000 rows, batches of 10,000) interrupted after the first batch: --resume does the remaining batches', async () => {
    const db = await createTestDb(template.name);
    try {
      await db.query(`CREATE TABLE readings (id int PRIMARY KEY, value int NOT NULL); INSERT INTO readings SELECT g, CASE WHEN g <= 25000 THEN -g ELSE g END FROM generate_series(1, 30000) g`);
      const finding = { id: 'RD-CHK', title: 'negative readings', severity: 'high', playbook: 'check', params: { table: 'readings', name: 'readings_value_nonneg', expression: 'value >= 0' }, resolution: { strategy: 'update', set: { value: 0 } } };
      const file = await writeFindings(work.dir, [finding], 'readings.yaml');
      const { file: planFile } = await cliPlan(db.url, file, 'online', work.dir);
      const before = await dbState(db.url);

      // The second batch's backup fails: batch 1 (10,000 rows) is committed.
      await armFault(db, 2, 'INSERT pgmend.bk%');
      const r = await runCli(['apply', '--db', db.url, '--plan', planFile, '--window', openWindow(), '--yes', '--snapshots', snapshots()]);
      expectOneLineError(r, 1, /fault injected at point 2: INSERT pgmend\.bk_.* — the steps before it are committed; resume with: pgmend apply --resume 1$/);
      expect((await db.query(`SELECT count(*)::int AS n FROM readings WHERE value < 0`)).rows[0]!.n).toBe(15000);
      expect(await runStatus(db)).toEqual(['interrupted']);

      await armFault(db, 0);
      const resumed = await runCli(['apply', '--db', db.url, '--resume', '1', '--window', openWindow(), '--yes', '--snapshots', snapshots()]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain('applied 1 finding(s), 25000 row(s) changed and backed up — journal run 1');
      expect((await db.query(`SELECT count(*)::int AS n FROM readings WHERE value < 0`)).rows[0]!.n).toBe(0);
      expect(await halfDone(db.url)).toEqual({ invalidIndexes: [], unvalidated: [] });
      const { backups } = await runSteps(db.url, 1);
      expect(backups.reduce((a, b) => a + b.rows, 0)).toBe(25000);

      // And every batch comes back on rollback.
      const rb = await runCli(['rollback', '--db', db.url, '--run', '1', '--yes']);
      expect(rb.code, rb.stderr).toBe(0);
      expect(rb.stdout).toMatch(/25000 row\(s\) restored/);
      expect(userState(await dbState(db.url))).toEqual(userState(before));
    } finally {
      await db.drop();
    }
  });

  it('the connection is killed during a later step: the run is interrupted; apply --resume RUN completes it', async () => {
    const db = await createTestDb(template.name);
    try {
      const slow = { id: 'SHOP-SLOW', title: 'a slow statement', severity: 'low', playbook: 'sql', params: { sql: 'SELECT pg_sleep(2)' } };
      const file = await writeFindings(work.dir, [...SHOP_FINDINGS, slow], 'slow-online.yaml');
      const { file: planFile } = await cliPlan(db.url, file, 'online', work.dir, ['--no-rehearse']);
      const running = runCli(['apply', '--db', db.url, '--plan', planFile, '--window', openWindow(), '--yes', '--snapshots', snapshots()]);
      await terminate(db.url, await waitForQuery(db.url, /pg_sleep/));
      const r = await running;
      expectOneLineError(r, 1, /^pgmend: SHOP-SLOW fix step 1\/1: .*terminat.* — the steps before it are committed; resume with: pgmend apply --resume 1$/);
      // The connection that failed could not mark the run: it is still `running` or `interrupted`.
      const [status] = await runStatus(db);
      expect(['interrupted', 'running']).toContain(status);

      const resumed = await runCli(['apply', '--db', db.url, '--resume', '1', '--window', openWindow(), '--yes', '--snapshots', snapshots()]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain(`applied 11 finding(s), ${TOTAL_ROWS} row(s) changed and backed up — journal run 1`);
      expect(await halfDone(db.url)).toEqual({ invalidIndexes: [], unvalidated: [] });
      const runs = await cliJournal(db.url);
      expect(runs.map((x) => [x.id, x.status, x.rowsChanged])).toEqual([[1, 'committed', TOTAL_ROWS]]);
      // Done steps were not run twice: each step key has one row (batched steps aside).
      const { steps } = await runSteps(db.url, 1);
      const keys = steps.filter((s) => !/INSERT INTO pgmend\.bk_|^(DELETE|UPDATE) /.test(s.sql)).map((s) => s.step_key);
      expect(keys.filter((k) => k !== 'SHOP-SLOW:fix:0')).toEqual([...new Set(keys.filter((k) => k !== 'SHOP-SLOW:fix:0'))]);

      // A completed run does not resume again.
      const again = await runCli(['apply', '--db', db.url, '--resume', '1', '--window', openWindow(), '--yes']);
      expectOneLineError(again, 1, /^pgmend: run 1 already completed$/);
    } finally {
      await db.drop();
    }
  });

  it('CREATE UNIQUE INDEX CONCURRENTLY killed while it waits for old snapshots leaves an invalid index; --resume drops it and builds a valid one', async () => {
    const db = await createTestDb(template.name);
    try {
      const file = await writeFindings(work.dir, SHOP_FINDINGS.filter((f) => f.id === 'SHOP-UQ'), 'uq.yaml');
      const { file: planFile } = await cliPlan(db.url, file, 'online', work.dir);
      await withSession(db.url, async (old) => {
        // An open snapshot: the build cannot finish (and mark the index valid) while it exists.
        await old.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        await old.query('SELECT count(*) FROM customers');
        const running = runCli(['apply', '--db', db.url, '--plan', planFile, '--window', openWindow(), '--yes', '--lock-timeout', '60000', '--snapshots', snapshots()]);
        const pid = await waitForQuery(db.url, /CREATE UNIQUE INDEX CONCURRENTLY/);
        await withSession(db.url, async (c) => {
          for (let i = 0; i < 300; i++) {
            const { rows } = await c.query(`SELECT phase FROM pg_stat_progress_create_index WHERE pid = $1`, [pid]);
            if (rows[0]?.phase === 'waiting for old snapshots') return;
            await new Promise((res) => setTimeout(res, 50));
          }
          throw new Error('the index build never waited for old snapshots');
        });
        await terminate(db.url, pid);
        const r = await running;
        expectOneLineError(r, 1, /^pgmend: SHOP-UQ fix step 1\/1: .* resume with: pgmend apply --resume 1$/);
        await old.query('ROLLBACK');
      });
      expect(await halfDone(db.url)).toEqual({ invalidIndexes: ['members_email_lower_key'], unvalidated: [] });

      const resumed = await runCli(['apply', '--db', db.url, '--resume', '1', '--window', openWindow(), '--yes', '--snapshots', snapshots()]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await halfDone(db.url)).toEqual({ invalidIndexes: [], unvalidated: [] });
      expect((await db.query(`SELECT indisvalid, indisunique FROM pg_index WHERE indexrelid = 'members_email_lower_key'::regclass`)).rows).toEqual([{ indisvalid: true, indisunique: true }]);
      expect((await cliJournal(db.url)).map((x) => [x.status, x.rowsChanged])).toEqual([['committed', 3]]);
    } finally {
      await db.drop();
    }
  });

  it('a lock held by another session: the build gives up after lock_timeout × retries naming the holder; --resume completes once it is released', async () => {
    const db = await createTestDb(template.name);
    try {
      const file = await writeFindings(work.dir, SHOP_FINDINGS.filter((f) => f.id === 'SHOP-IDX' || f.id === 'SHOP-CHK'), 'idx.yaml');
      const { file: planFile } = await cliPlan(db.url, file, 'online', work.dir);
      await withSession(db.url, async (holder) => {
        const { rows } = await holder.query('SELECT pg_backend_pid() AS pid');
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE events IN SHARE UPDATE EXCLUSIVE MODE');
        const t0 = Date.now();
        const r = await runCli(['apply', '--db', db.url, '--plan', planFile, '--window', openWindow(), '--yes', '--lock-timeout', '200', '--lock-retries', '3', '--snapshots', snapshots()]);
        const ms = Date.now() - t0;
        expectOneLineError(r, 1, new RegExp(`^pgmend: SHOP-IDX fix step 1/1: SHOP-IDX step 1 \\(.*\\): canceling statement due to lock timeout; held by pid ${rows[0]!.pid} \\(pgmend-test, .*\\) — the steps before it are committed; resume with: pgmend apply --resume 1$`));
        // 3 tries of 200 ms with 200 + 400 ms of backoff in between.
        expect(ms).toBeGreaterThanOrEqual(1200);
        await holder.query('ROLLBACK');
      });
      // SHOP-CHK ran first and is in place; the index is not there (and no invalid leftover).
      expect((await db.query(`SELECT convalidated FROM pg_constraint WHERE conname = 'prices_amount_nonneg'`)).rows).toEqual([{ convalidated: true }]);
      expect((await db.query(`SELECT to_regclass('events_kind_at_idx') AS ix`)).rows[0]!.ix).toBeNull();
      expect(await runStatus(db)).toEqual(['interrupted']);

      const resumed = await runCli(['apply', '--db', db.url, '--resume', '1', '--window', openWindow(), '--yes', '--snapshots', snapshots()]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect((await db.query(`SELECT indisvalid FROM pg_index WHERE indexrelid = 'events_kind_at_idx'::regclass`)).rows).toEqual([{ indisvalid: true }]);
      expect(await runStatus(db)).toEqual(['committed']);
    } finally {
      await db.drop();
    }
  });

  it('a failure while the run is being journaled: nothing changed, and no resume is offered for a run that does not exist', async () => {
    const db = await createTestDb(template.name);
    try {
      // The journal exists already; recording the run's findings fails.
      const { JOURNAL_DDL } = await import('../../src/engine/apply/journal.js');
      await db.query(JOURNAL_DDL);
      await db.query(`CREATE FUNCTION pgmend.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'journal is read-only'; END $$;
                      CREATE TRIGGER refuse BEFORE INSERT ON pgmend.findings FOR EACH ROW EXECUTE FUNCTION pgmend.refuse()`);
      const before = await dbState(db.url);
      const r = await applyApi(db.url, plan, snapshots());
      expect(r).toMatchObject({ status: 'failed', runId: null, rolledBack: true });
      expect(r.error).toMatch(/journal is read-only — nothing was changed$/);
      expect(await dbState(db.url)).toEqual(before);
      expect(await runStatus(db)).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('--resume refuses what it cannot resume, changing nothing', async () => {
    const db = await createTestDb(template.name);
    try {
      const file = await writeFindings(work.dir, SHOP_FINDINGS.filter((f) => f.id === 'SHOP-IDX'), 'idx-only.yaml');
      expect((await runCli(['apply', '--db', db.url, '--findings', file, '--window', openWindow(), '--yes', '--snapshots', snapshots()])).code).toBe(0);
      const before = await dbState(db.url);
      expectOneLineError(await runCli(['apply', '--db', db.url, '--resume', '7', '--window', openWindow(), '--yes']), 1, /^pgmend: no run 7 in the journal — see pgmend journal$/);
      expectOneLineError(await runCli(['apply', '--db', db.url, '--resume', '1', '--window', openWindow(), '--yes']), 1, /^pgmend: run 1 is a window-mode run: only online runs resume — /);
      expectOneLineError(await runCli(['apply', '--db', db.url, '--resume', '1', '--window', openWindow()]), 1, /^pgmend: refused: no terminal to confirm in/);
      expect(await dbState(db.url)).toEqual(before);
    } finally {
      await db.drop();
    }
  });
});
