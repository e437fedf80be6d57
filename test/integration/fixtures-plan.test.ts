import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { planOf } from '../support/plan-engine.js';

/**
 * The plan engine on databases nobody on this project shaped (examples/<name>/upstream): the counts it
 * reports equal the facts measured in examples/<name>/upstream/README.md, re-measured here with plain SQL.
 */

function byId(p: Plan, id: string): FindingPlan {
  const f = p.findings.find((x) => x.id === id);
  if (!f) throw new Error(`plan has no finding ${id}`);
  return f;
}

function only(f: FindingPlan, id: string): CheckResult {
  const c = f.checks.find((x) => x.id === id);
  if (!c) throw new Error(`${f.id} has no check ${id}`);
  return c;
}

const base = { severity: 'high', title: 'fixture finding' };

describe('pagila', () => {
  let db: TestDb;
  let plan: Plan;

  beforeAll(async () => {
    db = await createTestDb('tpl_pagila');
    plan = await planOf(db.url, {
      findings: [
        { ...base, id: 'PG-UQ-STAFF', playbook: 'unique', params: { table: 'staff', columns: ['username'] } },
        { ...base, id: 'PG-CHK-GT', playbook: 'check', params: { table: 'payment', name: 'payment_amount_positive', expression: 'amount > 0' } },
        { ...base, id: 'PG-CHK-GE', playbook: 'check', params: { table: 'payment', name: 'payment_amount_not_negative', expression: 'amount >= 0' } },
        { ...base, id: 'PG-CHK-ACTIVE', playbook: 'check', params: { table: 'customer', name: 'customer_active_agrees', expression: 'activebool = (active = 1)' } },
        { ...base, id: 'PG-FK-MANAGER', playbook: 'foreign-key', params: { table: 'store', columns: ['manager_staff_id'], references: { table: 'staff', columns: ['staff_id'] }, onDelete: 'restrict' } },
        { ...base, id: 'PG-IDX-RENTAL', playbook: 'index', params: { table: 'rental', columns: ['customer_id'] } },
        { ...base, id: 'PG-FK-RENTAL', playbook: 'foreign-key', params: { table: 'rental', columns: ['customer_id'], references: { table: 'customer', columns: ['customer_id'] }, onDelete: 'cascade' } },
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('no finding errors', () => {
    for (const f of plan.findings) expect(f.error, f.id).toBeUndefined();
  });

  it('unique staff(username) is blocked by 1 group of 2 rows (stacy.schumm twice)', () => {
    const f = byId(plan, 'PG-UQ-STAFF');
    expect(f.status).toBe('blocked');
    const c = only(f, 'duplicates');
    expect({ rows: c.rows, groups: c.groups }).toEqual({ rows: 2, groups: 1 });
    expect(c.sample.map((r) => r.username)).toEqual(['stacy.schumm', 'stacy.schumm']);
    expect(Object.keys(c.sample[0]!)[0]).toBe('staff_id');
  });

  it('CHECK (amount > 0) is blocked by the 24 zero payments; CHECK (amount >= 0) is ready', async () => {
    const { rows } = await db.query<{ zero: string; negative: string }>(
      'SELECT count(*) FILTER (WHERE amount = 0) AS zero, count(*) FILTER (WHERE amount < 0) AS negative FROM payment',
    );
    expect(Number(rows[0]!.zero)).toBe(24);
    const gt = byId(plan, 'PG-CHK-GT');
    expect(gt.status).toBe('blocked');
    expect(only(gt, 'violations').rows).toBe(24);
    expect(only(gt, 'violations').sample).toHaveLength(5);
    for (const r of only(gt, 'violations').sample) expect(Number(r.amount)).toBe(0);
    const ge = byId(plan, 'PG-CHK-GE');
    expect(only(ge, 'violations').rows).toBe(Number(rows[0]!.negative));
    expect(ge.status).toBe('ready');
    expect(ge.rehearsal?.ok, ge.rehearsal?.error).toBe(true);
    expect(ge.diff).toMatch(/\+.*CHECK \(\(?amount >= /);
  });

  it('customer.active and activebool disagree on 15 rows', async () => {
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM customer WHERE (activebool = (active = 1)) IS FALSE');
    expect(Number(rows[0]!.n)).toBe(15);
    const f = byId(plan, 'PG-CHK-ACTIVE');
    expect(f.status).toBe('blocked');
    expect(only(f, 'violations').rows).toBe(15);
  });

  it('store.manager_staff_id → staff has no orphans: ready, and rehearses', () => {
    const f = byId(plan, 'PG-FK-MANAGER');
    expect(only(f, 'orphans').rows).toBe(0);
    expect(f.status).toBe('ready');
    expect(f.rehearsal?.ok, f.rehearsal?.error).toBe(true);
    expect(f.steps[0]!.sql).toMatch(/ADD CONSTRAINT store_manager_staff_id_fkey FOREIGN KEY \(manager_staff_id\) REFERENCES public\.staff \(staff_id\) ON DELETE RESTRICT/);
    // No FK there yet: nothing to drop.
    expect(f.steps[0]!.sql).not.toMatch(/DROP CONSTRAINT/);
  });

  it('an index on rental(customer_id) is ready and rehearses to a new index', () => {
    const f = byId(plan, 'PG-IDX-RENTAL');
    expect(f.checks).toEqual([]);
    expect(f.status).toBe('ready');
    expect(f.rehearsal?.ok, f.rehearsal?.error).toBe(true);
    expect(f.steps.map((s) => s.sql)).toEqual(['CREATE INDEX rental_customer_id_idx ON public.rental (customer_id)']);
    expect(f.steps[0]!.lock).toBe('SHARE');
    expect(f.diff).toMatch(/^\+.*rental_customer_id_idx/m);
  });

  it('changing rental.customer_id ON DELETE keeps its ON UPDATE CASCADE', async () => {
    const f = byId(plan, 'PG-FK-RENTAL');
    expect(f.status).toBe('ready');
    expect(f.rehearsal?.ok, f.rehearsal?.error).toBe(true);
    const sql = f.steps[0]!.sql;
    expect(sql).toMatch(/DROP CONSTRAINT rental_customer_id_fkey/);
    expect(sql).toMatch(/ON DELETE CASCADE ON UPDATE CASCADE/);
    // Rollback restores the definition it had, ON UPDATE CASCADE ON DELETE RESTRICT.
    expect(f.rollback.join('\n')).toMatch(/ON UPDATE CASCADE ON DELETE RESTRICT/);
    expect(f.diff).toMatch(/^\+.*rental_customer_id_fkey.*ON UPDATE CASCADE ON DELETE CASCADE/m);

    // The rendered SQL does what it says: run it and its rollback, and read the catalog.
    const rules = async () =>
      (await db.query<{ upd: string; del: string }>("SELECT confupdtype AS upd, confdeltype AS del FROM pg_constraint WHERE conname = 'rental_customer_id_fkey'")).rows;
    await db.query('BEGIN');
    try {
      for (const s of f.steps) await db.query(s.sql);
      expect(await rules()).toEqual([{ upd: 'c', del: 'c' }]);
      for (const r of f.rollback) await db.query(r);
      expect(await rules()).toEqual([{ upd: 'c', del: 'r' }]);
    } finally {
      await db.query('ROLLBACK');
    }
  });
});

describe('chinook', () => {
  let db: TestDb;
  let plan: Plan;
  const COUNTER = '(SELECT sum(unit_price * quantity) FROM invoice_line WHERE invoice_line.invoice_id = invoice.invoice_id)';

  beforeAll(async () => {
    db = await createTestDb('tpl_chinook');
    plan = await planOf(db.url, {
      findings: [
        { ...base, id: 'CH-UQ-TRACK', playbook: 'unique', params: { table: 'track', columns: ['album_id', 'name'] } },
        { ...base, id: 'CH-UQ-PLAYLIST', playbook: 'unique', params: { table: 'playlist', columns: ['name'] } },
        { ...base, id: 'CH-UQ-EMAIL', playbook: 'unique', params: { table: 'customer', columns: ['email'] } },
        { ...base, id: 'CH-UQ-ARTIST', playbook: 'unique', params: { table: 'artist', columns: ['name'] } },
        { ...base, id: 'CH-UQ-GENRE', playbook: 'unique', params: { table: 'genre', columns: ['name'] } },
        { ...base, id: 'CH-CNT-TOTAL', playbook: 'counter', params: { table: 'invoice', column: 'total', expression: COUNTER } },
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  async function duplicates(table: string, cols: string): Promise<{ rows: number; groups: number }> {
    const { rows } = await db.query<{ rows: string; groups: string }>(
      `SELECT coalesce(sum(n), 0) AS rows, count(*) AS groups FROM (SELECT count(*) AS n FROM ${table} GROUP BY ${cols} HAVING count(*) > 1) g`,
    );
    return { rows: Number(rows[0]!.rows), groups: Number(rows[0]!.groups) };
  }

  it('unique track(album_id, name) is blocked by 6 groups', async () => {
    const f = byId(plan, 'CH-UQ-TRACK');
    const c = only(f, 'duplicates');
    expect(c.groups).toBe(6);
    expect({ rows: c.rows, groups: c.groups }).toEqual(await duplicates('track', 'album_id, name'));
    expect(f.status).toBe('blocked');
    // 6 groups, sample holds the first 5 whole.
    expect(new Set(c.sample.map((r) => r.pgmend_group)).size).toBe(5);
    expect(Object.keys(c.sample[0]!)[0]).toBe('track_id');
  });

  it('unique playlist(name) is blocked by 4 duplicate values', async () => {
    const f = byId(plan, 'CH-UQ-PLAYLIST');
    const c = only(f, 'duplicates');
    expect(c.groups).toBe(4);
    expect({ rows: c.rows, groups: c.groups }).toEqual(await duplicates('playlist', 'name'));
    expect(f.status).toBe('blocked');
  });

  it.each(['CH-UQ-EMAIL', 'CH-UQ-ARTIST', 'CH-UQ-GENRE'])('%s: unique without an index today, 0 duplicates: ready', (id) => {
    const f = byId(plan, id);
    const c = only(f, 'duplicates');
    expect({ rows: c.rows, groups: c.groups }).toEqual({ rows: 0, groups: 0 });
    expect(c.sample).toEqual([]);
    expect(f.status).toBe('ready');
    expect(f.rehearsal?.ok, f.rehearsal?.error).toBe(true);
    expect(f.diff).toMatch(/^\+CREATE UNIQUE INDEX/m);
  });

  it('invoice.total equals the sum of its lines: 0 drift, so the counter is applied', async () => {
    const { rows } = await db.query<{ n: string; all: string }>(
      `SELECT count(*) FILTER (WHERE total IS DISTINCT FROM ${COUNTER}) AS n, count(*) AS all FROM invoice`,
    );
    expect(Number(rows[0]!.all)).toBe(412);
    expect(Number(rows[0]!.n)).toBe(0);
    const f = byId(plan, 'CH-CNT-TOTAL');
    expect(only(f, 'drift').rows).toBe(0);
    expect(f.status).toBe('applied');
    expect(f.appliedReason).toBeTruthy();
  });
});
