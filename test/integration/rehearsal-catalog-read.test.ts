import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../support/db.js';
import { planOf } from '../support/plan-engine.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';

/**
 * After each finding's steps, rehearsal reads the finding's tables back from the catalog (the
 * schema diff, "already applied"). When no statement of the fix ran in the transaction — online
 * mode does not build an index CONCURRENTLY in rehearsal — the schema is the one the plan read, and
 * is not read again; a fix that ran is still read back.
 */

let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  await db.query(`CREATE SCHEMA "Sales"; CREATE TABLE "Sales"."Order Item" (id int PRIMARY KEY, "Sku" text, qty int); INSERT INTO "Sales"."Order Item" VALUES (1, 'a', 2), (2, 'b', 3)`);
});

afterAll(async () => {
  await db?.drop();
});

const findings = [
  { id: 'IDX', title: 'IDX', severity: 'low', playbook: 'index', params: { table: '"Sales"."Order Item"', columns: ['"Sku"'], name: 'order_item_sku' } },
  { id: 'CHK', title: 'CHK', severity: 'low', playbook: 'check', params: { table: '"Sales"."Order Item"', name: 'qty_positive', expression: 'qty > 0' } },
];

/** The plan, and per finding the scoped catalog reads its rehearsal made. */
async function planCountingReads(): Promise<{ plan: Plan; reads: Map<string, number> }> {
  let reads = 0;
  const perFinding = new Map<string, number>();
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const name = (args[0] as { name?: string } | undefined)?.name;
    if (typeof name === 'string' && name.endsWith('_scoped_catalog')) reads++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    const plan = await planOf(
      db.url,
      { findings },
      {
        mode: 'online',
        onProgress: (e) => {
          if (e.kind === 'finding' && e.phase === 'rehearsal') {
            perFinding.set(e.id, reads);
            reads = 0;
          }
        },
      },
    );
    return { plan, reads: perFinding };
  } finally {
    pg.Client.prototype.query = original;
  }
}

describe('rehearsal reads the catalog back only after a statement ran', () => {
  it('an online index build (not run in rehearsal) is not read back; a constraint added is', async () => {
    const { plan, reads } = await planCountingReads();
    const idx = plan.findings.find((f) => f.id === 'IDX')!;
    const chk = plan.findings.find((f) => f.id === 'CHK')!;
    expect(reads.get('IDX')).toBe(0);
    expect(idx.rehearsal?.ok).toBe(true);
    expect(idx.rehearsal?.skipped).toMatch(/not rehearsed online/);
    expect(idx.status).toBe('ready');
    expect(idx.diff).toBe('');
    expect(reads.get('CHK')).toBe(1);
    expect(chk.rehearsal?.ok).toBe(true);
    expect(chk.diff).toMatch(/\+.*CONSTRAINT qty_positive CHECK \(\(?qty > 0\)?\) NOT VALID/);
  });

  it('an equivalent valid index under another name is still found (a catalog-only probe, nothing read back)', async () => {
    await db.query(`CREATE INDEX "Sku lookup" ON "Sales"."Order Item" ("Sku")`);
    try {
      const { plan, reads } = await planCountingReads();
      const idx = plan.findings.find((f) => f.id === 'IDX')!;
      expect(reads.get('IDX')).toBe(0);
      expect(idx.status).toBe('applied');
      expect(idx.appliedReason).toMatch(/equivalent valid index already exists/);
    } finally {
      await db.query(`DROP INDEX "Sales"."Sku lookup"`);
    }
  });
});
