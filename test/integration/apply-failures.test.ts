import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createTestDb, type TestDb } from '../support/db.js';
import { dbState, type DbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS, SHOP_ROWS } from '../support/apply-shop.js';
import { FAULTS_SQL, armFault, faultPoints } from '../support/apply-faults.js';
import { makeTemplate, workDir, writeFindings, openWindow, cliPlan, cliJournal, expectOneLineError, applyApi, planFor, waitForQuery, terminate } from '../support/apply-helpers.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * Window mode is one transaction: a failure anywhere — at any statement of any step, in the middle
 * of a multi-row change, at verification, or the server connection dying — leaves the database
 * exactly as it was (schema and row checksums), the journal shows a failed run or nothing, and a
 * new apply then succeeds.
 */

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;
let plan: Plan;
let pristine: DbState;
let applied: DbState;
const TOTAL_ROWS = Object.values(SHOP_ROWS).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL + FAULTS_SQL);
  work = await workDir();
  // One plan for every copy: same schema, same fingerprint.
  const db = await createTestDb(template.name);
  try {
    plan = await planFor(db.url, SHOP_FINDINGS, 'window');
    expect(plan.findings.map((f) => f.status).sort()).toEqual(['ready', 'ready', 'ready', 'ready', 'resolved', 'resolved', 'resolved', 'resolved', 'resolved', 'resolved']);
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

interface RunRow {
  id: number;
  status: string;
  error: string | null;
}

async function journalRuns(db: TestDb): Promise<RunRow[]> {
  const { rows } = await db.query(`SELECT to_regclass('pgmend.runs') IS NOT NULL AS ok`);
  if (!rows[0]!.ok) return [];
  return (await db.query<RunRow>(`SELECT id::int, status, error FROM pgmend.runs ORDER BY id`)).rows;
}

describe('window mode: a failure anywhere changes nothing', () => {
  it('a fault injected at every statement of a 10-finding run, one run per point', async () => {
    // Calibrate: a clean run, counting the points.
    const ref = await createTestDb(template.name);
    let points: number;
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
    expect(applied).not.toEqual(pristine);
    expect(points).toBeGreaterThan(40);

    const failedAt: string[] = [];
    for (let k = 1; k <= points; k++) {
      const db = await createTestDb(template.name);
      try {
        await armFault(db, k);
        const r = await applyApi(db.url, plan, snapshots());
        expect(r.status, `point ${k}: ${r.error}`).toBe('failed');
        expect(r.rolledBack).toBe(true);
        expect(r.runId).toBeNull();
        expect(r.error).toMatch(new RegExp(`fault injected at point ${k}: .* — nothing was changed \\(rolled back\\)$`));
        expect(r.error!.split('\n')).toHaveLength(1);
        const what = /fault injected at point \d+: (.*?) — nothing/.exec(r.error!)![1];
        failedAt.push(`${r.error!.startsWith('fault') ? '(before the steps)' : r.error!.split(': ')[0]} [${what}]`);

        expect(userState(await dbState(db.url)), `point ${k}`).toEqual(userState(pristine));
        const runs = await journalRuns(db);
        expect(runs.map((x) => x.status)).toEqual(['failed']);
        expect(runs[0]!.error).toBe(r.error);

        // Disarmed, the same plan applies, and ends exactly where a clean run ends.
        await armFault(db, 0);
        const again = await applyApi(db.url, plan, snapshots());
        expect(again.status, again.error).toBe('committed');
        expect(again.rowsChanged).toBe(TOTAL_ROWS);
        expect(userState(await dbState(db.url)), `point ${k}, second apply`).toEqual(userState(applied));
      } finally {
        await db.drop();
      }
    }
    // Every step of every finding was hit at least once.
    for (const f of plan.findings) {
      for (const phase of ['resolution', 'fix'] as const) {
        const n = flatSteps(f.steps).filter((s) => s.phase === phase).length;
        for (let i = 1; i <= n; i++) {
          expect(failedAt.some((l) => l.startsWith(`${f.id} ${phase} step ${i}/${n}`)), `${f.id} ${phase} step ${i}/${n}`).toBe(true);
        }
      }
    }
    console.log(`[apply-failures] ${points} injection points, each rolled back to the exact checksums:\n  ${[...new Set(failedAt)].join('\n  ')}`);
  }, 600_000);

  it('a row-level failure in the middle of a multi-row DELETE', async () => {
    const db = await createTestDb(template.name);
    try {
      // The second orphan of three fails: the first is already deleted inside the statement.
      await db.query(`CREATE FUNCTION refuse_102() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF OLD.id = 102 THEN RAISE EXCEPTION 'order 102 is referenced by the ledger'; END IF; RETURN OLD; END $$`);
      await db.query(`CREATE TRIGGER refuse_102 BEFORE DELETE ON orders FOR EACH ROW EXECUTE FUNCTION refuse_102()`);
      const before = await dbState(db.url);
      const p = await planFor(db.url, SHOP_FINDINGS, 'window', false);
      const r = await applyApi(db.url, p, snapshots());
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/^SHOP-FK resolution step 4\/4: SHOP-FK step 4 \(delete the backed-up rows\): order 102 is referenced by the ledger — nothing was changed \(rolled back\)$/);
      expect(await dbState(db.url)).toEqual(before);
      await db.query(`DROP TRIGGER refuse_102 ON orders`);
      const again = await applyApi(db.url, await planFor(db.url, SHOP_FINDINGS, 'window', false), snapshots());
      expect(again.status, again.error).toBe('committed');
    } finally {
      await db.drop();
    }
  });

  it('a verification that fails after every step ran: a later fix undoes an earlier one', async () => {
    const db = await createTestDb(template.name);
    try {
      // Hand-written SQL runs after the counter repair and adds a comment: the counter drifts again.
      const late = { id: 'SHOP-LATE', title: 'seed a comment', severity: 'low', playbook: 'sql', params: { sql: `INSERT INTO comments VALUES (1000, 1, 'late')` } };
      const before = await dbState(db.url);
      // (Without SHOP-SQL, whose trigger would keep the count right.)
      const p = await planFor(db.url, [...SHOP_FINDINGS.filter((f) => f.id !== 'SHOP-SQL'), late], 'window', false);
      const r = await applyApi(db.url, p, snapshots());
      expect(r.status).toBe('failed');
      expect(r.error).toBe('verification: SHOP-CNT: verification failed: no drift left is not true — nothing was changed (rolled back)');
      expect(await dbState(db.url)).toEqual(before);
      expect((await journalRuns(db)).map((x) => x.status)).toEqual(['failed']);
    } finally {
      await db.drop();
    }
  });

  it('the window closes during the run: the statement running at its end is cancelled, nothing changed', async () => {
    const db = await createTestDb(template.name);
    try {
      const slow = { id: 'SHOP-SLOW', title: 'a slow statement', severity: 'low', playbook: 'sql', params: { sql: 'SELECT pg_sleep(30)' } };
      const file = await writeFindings(work.dir, [...SHOP_FINDINGS, slow], 'slow-window.yaml');
      const { file: planFile } = await cliPlan(db.url, file, 'window', work.dir, ['--no-rehearse']);
      const before = await dbState(db.url);
      const closes = `${new Date(Date.now() - 3_600_000).toISOString()}/${new Date(Date.now() + 8_000).toISOString()}`;
      const t0 = Date.now();
      const r = await runCli(['apply', '--db', db.url, '--plan', planFile, '--window', closes, '--yes', '--snapshots', snapshots()]);
      expect(Date.now() - t0).toBeLessThan(20_000);
      expectOneLineError(r, 1, /^pgmend: SHOP-SLOW fix step 1\/1: .*canceling statement due to statement timeout — nothing was changed \(rolled back\)$/);
      expect(await dbState(db.url)).toEqual(before);
    } finally {
      await db.drop();
    }
  });

  it('the server connection is killed mid-run (pg_terminate_backend while a step runs)', async () => {
    const db = await createTestDb(template.name);
    try {
      const slow = { id: 'SHOP-SLOW', title: 'a slow statement', severity: 'low', playbook: 'sql', params: { sql: 'SELECT pg_sleep(5)' } };
      const file = await writeFindings(work.dir, [...SHOP_FINDINGS, slow], 'slow-kill.yaml');
      const { file: planFile } = await cliPlan(db.url, file, 'window', work.dir, ['--no-rehearse']);
      const before = await dbState(db.url);
      const running = runCli(['apply', '--db', db.url, '--plan', planFile, '--window', openWindow(), '--yes', '--snapshots', snapshots()]);
      const pid = await waitForQuery(db.url, /pg_sleep/);
      await terminate(db.url, pid);
      const r = await running;
      expectOneLineError(r, 1, /^pgmend: SHOP-SLOW fix step 1\/1: .*terminat.* — nothing was changed \(rolled back\)$/);
      expect(await dbState(db.url)).toEqual(before);
      // The dead connection could not record the failure: the journal has nothing, or a failed run.
      expect((await journalRuns(db)).every((x) => x.status === 'failed')).toBe(true);

      const again = await runCli(['apply', '--db', db.url, '--plan', planFile, '--only', SHOP_FINDINGS.map((f) => f.id).join(','), '--window', openWindow(), '--yes', '--snapshots', snapshots()]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain(`applied 10 finding(s), ${TOTAL_ROWS} row(s) changed`);
      expect((await cliJournal(db.url)).filter((x) => x.status === 'committed')).toHaveLength(1);
    } finally {
      await db.drop();
    }
  });
});
