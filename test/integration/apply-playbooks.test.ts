import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDb, type TestDb } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS, SHOP_ROWS, SHOP_BLOCKING, blockingCount } from '../support/apply-shop.js';
import { makeTemplate, workDir, writeFindings, openWindow, cliPlan, cliJournal, previewedRows, halfDone, runSteps, planFor } from '../support/apply-helpers.js';
import { stepKey } from '../../src/engine/apply/step-runner.js';
import type { Mode } from '../../src/engine/plan/plan-model.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * Every playbook, in both modes, applied alone (`apply --plan … --only ID`) through the CLI on a
 * fresh copy of the shop database: the fix is in place and does its job, no blocking row is left,
 * the rows changed are the rows the plan previewed, only the finding's own table changed, and the
 * journal records the run with its steps and backups.
 */

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;
let findingsFile: string;

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL);
  work = await workDir();
  findingsFile = await writeFindings(work.dir, SHOP_FINDINGS);
});

afterAll(async () => {
  await template?.drop();
  await work?.remove();
});

/** Runs sql in a transaction that is rolled back, and returns the SQLSTATE it failed with (or null). */
async function failsWith(db: TestDb, sql: string): Promise<string | null> {
  await db.query('BEGIN');
  try {
    await db.query(sql);
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? 'unknown';
  } finally {
    await db.query('ROLLBACK');
  }
}

async function one<T = Record<string, unknown>>(db: TestDb, sql: string): Promise<T> {
  const { rows } = await db.query(sql);
  return rows[0] as T;
}

/** What "the fix works" means for each finding, checked with plain SQL. */
const VERIFY: Record<string, (db: TestDb, mode: Mode) => Promise<void>> = {
  'SHOP-FK': async (db) => {
    expect(await one(db, `SELECT convalidated, confdeltype FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'`)).toEqual({ convalidated: true, confdeltype: 'c' });
    expect(await failsWith(db, `INSERT INTO orders VALUES (500, 999, 1)`)).toBe('23503');
    // ON DELETE CASCADE: deleting a customer takes its orders with it.
    await db.query('BEGIN');
    try {
      await db.query(`INSERT INTO customers VALUES (50, 'new'); INSERT INTO orders VALUES (500, 50, 1), (501, 50, 2)`);
      await db.query('DELETE FROM customers WHERE id = 50');
      expect((await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM orders WHERE customer_id = 50`)).n).toBe(0);
    } finally {
      await db.query('ROLLBACK');
    }
  },
  'SHOP-FK-SETNULL': async (db) => {
    expect(await one(db, `SELECT convalidated, confdeltype FROM pg_constraint WHERE conrelid = 'invoices'::regclass AND contype = 'f'`)).toEqual({ convalidated: true, confdeltype: 'n' });
    expect((await one<{ attnotnull: boolean }>(db, `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'invoices'::regclass AND attname = 'customer_id'`)).attnotnull).toBe(false);
    await db.query('BEGIN');
    try {
      await db.query('DELETE FROM customers WHERE id = 2');
      expect((await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM invoices WHERE customer_id IS NULL`)).n).toBe(2);
    } finally {
      await db.query('ROLLBACK');
    }
  },
  'SHOP-UQ': async (db) => {
    expect(await one(db, `SELECT i.indisunique, i.indisvalid FROM pg_index i WHERE i.indexrelid = 'members_email_lower_key'::regclass`)).toEqual({ indisunique: true, indisvalid: true });
    expect(await failsWith(db, `INSERT INTO members VALUES (100, 'CY@X.IO', now())`)).toBe('23505');
    // The oldest of each group is the one kept.
    expect((await db.query(`SELECT id FROM members WHERE email IS NOT NULL ORDER BY id`)).rows.map((r) => r.id)).toEqual([1, 5, 8, 9]);
  },
  'SHOP-CHK': async (db) => {
    expect(await one(db, `SELECT convalidated FROM pg_constraint WHERE conname = 'prices_amount_nonneg'`)).toEqual({ convalidated: true });
    expect(await failsWith(db, `INSERT INTO prices VALUES (100, -5)`)).toBe('23514');
    expect(await failsWith(db, `INSERT INTO prices VALUES (100, NULL)`)).toBeNull();
    expect((await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM prices WHERE amount = 0`)).n).toBe(4);
  },
  'SHOP-AV': async (db) => {
    expect(await one(db, `SELECT convalidated FROM pg_constraint WHERE conrelid = 'tickets'::regclass AND contype = 'c'`)).toEqual({ convalidated: true });
    expect(await failsWith(db, `INSERT INTO tickets VALUES (100, 'OPEN')`)).toBe('23514');
    expect(await failsWith(db, `INSERT INTO tickets VALUES (100, 'closed')`)).toBeNull();
    expect((await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM tickets WHERE status IS NULL`)).n).toBe(4);
  },
  'SHOP-NN': async (db) => {
    expect((await one<{ attnotnull: boolean }>(db, `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'profiles'::regclass AND attname = 'nickname'`)).attnotnull).toBe(true);
    expect(await failsWith(db, `INSERT INTO profiles VALUES (100, NULL)`)).toBe('23502');
    // Online mode's helper CHECK is gone once SET NOT NULL used it.
    expect((await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'profiles'::regclass AND contype = 'c'`)).n).toBe(0);
    expect((await one<{ n: number }>(db, `SELECT count(*)::int AS n FROM profiles WHERE nickname = 'anonymous'`)).n).toBe(2);
  },
  'SHOP-IDX': async (db) => {
    expect(await one(db, `SELECT indisvalid, pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indexrelid = 'events_kind_at_idx'::regclass`)).toEqual({
      indisvalid: true,
      def: expect.stringMatching(/ON public\.events USING btree \(kind, at\)$/),
    });
  },
  'SHOP-CNT': async (db) => {
    expect((await db.query(`SELECT id, comment_count FROM posts WHERE id IN (2, 3, 5, 7) ORDER BY id`)).rows).toEqual([
      { id: 2, comment_count: 4 },
      { id: 3, comment_count: 4 },
      { id: 5, comment_count: 4 },
      { id: 7, comment_count: 3 },
    ]);
  },
  'SHOP-SM': async (db) => {
    expect(await one(db, `SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'shipments'::regclass AND NOT tgisinternal`)).toEqual({ tgenabled: 'O' });
    // shipped is final; new → paid is allowed; an unnamed state is refused.
    expect(await failsWith(db, `UPDATE shipments SET state = 'new' WHERE state = 'shipped'`)).toBe('23514');
    expect(await failsWith(db, `UPDATE shipments SET state = 'paid' WHERE state = 'new'`)).toBeNull();
    expect(await failsWith(db, `INSERT INTO shipments VALUES (100, 'lost')`)).toBe('23514');
    expect((await db.query(`SELECT id, state FROM shipments WHERE id IN (13, 14) ORDER BY id`)).rows).toEqual([
      { id: 13, state: 'cancelled' },
      { id: 14, state: 'cancelled' },
    ]);
  },
  'SHOP-SQL': async (db) => {
    // The trigger the SQL created maintains the counter: one more comment, one more in the count.
    await db.query('BEGIN');
    try {
      const before = (await one<{ c: number }>(db, `SELECT comment_count AS c FROM posts WHERE id = 1`)).c;
      await db.query(`INSERT INTO comments VALUES (1000, 1, 'new')`);
      expect((await one<{ c: number }>(db, `SELECT comment_count AS c FROM posts WHERE id = 1`)).c).toBe(before + 1);
    } finally {
      await db.query('ROLLBACK');
    }
  },
};

/** The only table whose rows each finding may change. */
const CHANGES_ROWS_OF: Record<string, string[]> = {
  'SHOP-FK': ['public.orders'],
  'SHOP-FK-SETNULL': [],
  'SHOP-UQ': ['public.members'],
  'SHOP-CHK': ['public.prices'],
  'SHOP-AV': ['public.tickets'],
  'SHOP-NN': ['public.profiles'],
  'SHOP-IDX': [],
  'SHOP-CNT': ['public.posts'],
  'SHOP-SM': ['public.shipments'],
  'SHOP-SQL': [],
};

describe.each(['window', 'online'] as const)('apply --mode %s, one playbook at a time', (mode) => {
  it.each(SHOP_FINDINGS.map((f) => [f.id, f.playbook] as const))('%s (%s): fixed, verified, nothing blocking left, rows changed = rows previewed', async (id) => {
    const db = await createTestDb(template.name);
    try {
      const before = await dbState(db.url);
      expect(await blockingCount(db, id)).toBe(SHOP_BLOCKING[id]);

      const { file, plan } = await cliPlan(db.url, findingsFile, mode, work.dir);
      const fp = plan.findings.find((f) => f.id === id)!;
      const resolved = SHOP_FINDINGS.find((f) => f.id === id)!.resolution !== undefined;
      expect(fp.status).toBe(resolved ? 'resolved' : 'ready');
      const previewed = previewedRows(fp);
      expect(previewed).toBe(SHOP_ROWS[id]);

      const snapshots = path.join(work.dir, `snapshots-${db.name}`);
      const r = await runCli(['apply', '--db', db.url, '--plan', file, '--only', id, '--window', openWindow(), '--yes', '--snapshots', snapshots]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`applied 1 finding(s), ${previewed} row(s) changed and backed up — journal run 1`);

      // Fixed, and it works; nothing blocking is left (counted independently of the engine).
      await VERIFY[id]!(db, mode);
      expect(await blockingCount(db, id)).toBe(0);
      expect(await halfDone(db.url)).toEqual({ invalidIndexes: [], unvalidated: [] });

      // Only the finding's own table changed rows.
      const after = await dbState(db.url);
      const changed = Object.keys(before.rows).filter((t) => before.rows[t] !== after.rows[t]);
      expect(changed).toEqual(CHANGES_ROWS_OF[id]);
      if (id === 'SHOP-CNT') expect(after.schema).toBe(before.schema);
      else expect(after.schema).not.toBe(before.schema);

      // The journal: one committed run of this finding with the previewed row count, its steps and backups.
      const runs = await cliJournal(db.url);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ id: 1, status: 'committed', mode, findings: [id], rowsChanged: previewed, error: null });
      expect(runs[0]!.snapshot).toMatch(new RegExp(`^${snapshots.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(existsSync(runs[0]!.snapshot!)).toBe(true);
      const snapshot = JSON.parse(await readFile(runs[0]!.snapshot!, 'utf8')) as { planId: string; tables: string[]; ddl: string };
      expect(snapshot.planId).toBe(plan.id);
      if (fp.table) {
        expect(snapshot.tables).toContain(fp.table);
        expect(snapshot.ddl).toContain(`CREATE TABLE ${fp.table}`);
      }
      const { steps, backups } = await runSteps(db.url, 1);
      const flat = flatSteps(fp.steps);
      const planned = flat.map((s) => stepKey(id, s.phase, flat.filter((x) => x.phase === s.phase).indexOf(s)));
      for (const key of planned) expect(steps.map((s) => s.step_key), key).toContain(key);
      expect(steps.every((s) => s.status === 'done' && s.finding_id === id)).toBe(true);
      expect(backups.reduce((a, b) => a + b.rows, 0)).toBe(previewed);
      expect(steps.filter((s) => /^\s*(DELETE|UPDATE)\b/i.test(s.sql)).reduce((a, s) => a + s.rows, 0)).toBe(previewed);

      // Planning again finds nothing left to do.
      const again = await planFor(db.url, SHOP_FINDINGS.filter((f) => f.id === id), mode);
      expect(again.findings[0]!.status, again.findings[0]!.appliedReason).toBe('applied');
    } finally {
      await db.drop();
    }
  });
});
