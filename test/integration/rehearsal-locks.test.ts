import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.js';
import { SHOP_SQL, SHOP_FINDINGS } from '../support/apply-shop.js';
import { planOf } from '../support/plan-engine.js';
import { strongestOf, undeclared } from '../../src/playbooks/lock-modes.js';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * Rehearsal reads pg_locks of its own session around each step: what PostgreSQL took is recorded
 * per table (`observed`), and where it took more than declared the declaration is raised and the
 * step flagged. The built-in playbooks' declarations are never raised.
 */

let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  await db.query(SHOP_SQL);
  await db.query(`CREATE TABLE "InvoiceLine" (id int PRIMARY KEY, order_id int, note text); INSERT INTO "InvoiceLine" VALUES (1, 1, null)`);
});

afterAll(async () => {
  await db?.drop();
});

describe('locks observed in rehearsal', () => {
  for (const mode of ['window', 'online'] as const) {
    it(`${mode} mode: every built-in playbook step declares at least what PostgreSQL took, on every table`, async () => {
      const plan = await planOf(db.url, { findings: SHOP_FINDINGS }, { mode });
      const steps = plan.findings.flatMap((f) => flatSteps(f.steps).map((s, i) => ({ id: `${f.id} step ${i + 1}`, s })));
      const observed = steps.filter(({ s }) => s.observed);
      expect(observed.length).toBeGreaterThan(10);
      for (const { id, s } of steps) {
        expect(s.lockNote, `${id}: ${s.sql}`).toBeUndefined();
        if (s.observed) expect(undeclared(s.locks!, s.observed), `${id}: ${s.sql}`).toEqual([]);
        if (s.tables.length) expect(s.lock).toBe(strongestOf(s.locks!));
        expect(s.tables).toEqual(Object.keys(s.locks!));
      }
      // A new foreign key: SHARE ROW EXCLUSIVE on both tables, as declared and as taken.
      const fk = flatSteps(plan.findings.find((f) => f.id === 'SHOP-FK')!.steps).find((s) => / ADD CONSTRAINT .* FOREIGN KEY/.test(s.sql))!;
      expect(fk.locks).toEqual({ 'public.customers': 'SHARE ROW EXCLUSIVE', 'public.orders': 'SHARE ROW EXCLUSIVE' });
      expect(fk.observed).toEqual(fk.locks);
    }, 120_000);
  }

  it('hand-written SQL: per-table locks, a DO block flagged with what it took, VACUUM planned outside a transaction, a finding\'s own tables honoured', async () => {
    const sql = (id: string, text: string, tables?: string[]) => ({ id, title: id, severity: 'low', playbook: 'sql', params: { sql: text, ...(tables ? { tables } : {}) } });
    const plan = await planOf(db.url, {
      findings: [
        sql('FK', 'ALTER TABLE "InvoiceLine" ADD CONSTRAINT il_order FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID'),
        sql('UPD', 'UPDATE "InvoiceLine" SET note = o.total::text FROM orders o WHERE o.id = "InvoiceLine".order_id'),
        sql('COMMENT', 'COMMENT ON TABLE "InvoiceLine" IS \'lines\''),
        // Opaque code is rehearsed only once a reviewer approved it (or in a sandbox role; the test's tables belong to a superuser).
        { ...sql('DO', `DO $$ BEGIN EXECUTE 'ALTER TABLE customers ADD COLUMN z int'; END $$`), review: { status: 'approved', by: 'lock test', at: '2026-12-04T12:00:00Z' } },
        sql('VAC', 'VACUUM "InvoiceLine"'),
        sql('GIVEN', 'SELECT 1', ['customers']),
      ],
    });
    const step = (id: string) => flatSteps(plan.findings.find((f) => f.id === id)!.steps)[0]!;
    expect(step('FK').locks).toEqual({ 'public.InvoiceLine': 'SHARE ROW EXCLUSIVE', 'public.orders': 'SHARE ROW EXCLUSIVE' });
    expect(step('FK').observed).toEqual(step('FK').locks);
    expect(step('UPD').locks).toEqual({ 'public.InvoiceLine': 'ROW EXCLUSIVE', 'public.orders': 'ACCESS SHARE' });
    expect(step('UPD').observed).toEqual(step('UPD').locks);
    expect(step('COMMENT').locks).toEqual({ 'public.InvoiceLine': 'SHARE UPDATE EXCLUSIVE' });
    expect(step('COMMENT').observed).toEqual(step('COMMENT').locks);
    expect(step('DO').locks).toEqual({ 'public.customers': 'ACCESS EXCLUSIVE' });
    expect(step('DO').lockNote).toBe('declared nothing on customers; PostgreSQL took ACCESS EXCLUSIVE on customers');
    expect(step('VAC')).toMatchObject({ transactional: false, lockSource: 'rules', locks: { 'public.InvoiceLine': 'SHARE UPDATE EXCLUSIVE' } });
    expect(step('VAC').observed).toBeUndefined();
    expect(step('GIVEN').locks).toEqual({ 'public.customers': 'ACCESS SHARE' });

    const md = planToChecklist(plan);
    expect(md).toContain('| table | declared | observed | held |');
    expect(md).toMatch(/\| public\.InvoiceLine \| SHARE ROW EXCLUSIVE \| SHARE ROW EXCLUSIVE \| \d+(\.\d+)? (ms|s) \|/);
    expect(md).toContain('> **Lock raised by rehearsal:** declared nothing on customers; PostgreSQL took ACCESS EXCLUSIVE on customers');
    expect(md).toContain('| public.InvoiceLine | SHARE UPDATE EXCLUSIVE | cannot run in a transaction (rules) |  |');
  }, 120_000);
});
