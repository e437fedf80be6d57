import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { createTestDb, type TestDb } from '../support/db.js';
import { buildPlan, PLAN_DEFAULTS } from '../../src/engine/plan/plan.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import { resolveTarget } from '../../src/db/connection.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { parseFindingsText } from '../../src/findings/load.js';
import { applyPlan } from '../../src/engine/apply/apply.js';
import { parseWindow } from '../../src/engine/apply/maintenance-window.js';
import { groupedRepair } from '../../src/engine/plan/grouped-repair.js';
import { ensureParser } from '../../src/playbooks/expression.js';
import { flatSteps } from '../../src/engine/plan/steps.js';
import { openWindow } from '../support/apply-helpers.js';

/**
 * A counter repair's UPDATE reads its aggregate from one grouped scan of the child, restricted to
 * the repaired rows' keys (grouped-repair.ts), not once per row. The values must be the correlated
 * expression's exactly: a row with no child rows (count 0, sum NULL), children with a NULL key,
 * a two-column correlation, mixed-case names in another schema — and only the drifted rows change.
 */

let db: TestDb;

const SQL = `
CREATE SCHEMA "Shop";
CREATE TABLE "Shop"."Order" (id int PRIMARY KEY, region int NOT NULL, "lineCount" int NOT NULL DEFAULT 0, "Total" numeric, "regionLines" int NOT NULL DEFAULT 0);
CREATE TABLE "Shop"."Line" (id int PRIMARY KEY, "orderId" int, region int, amount numeric);
INSERT INTO "Shop"."Order" (id, region) SELECT g, g % 3 FROM generate_series(1, 60) g;
INSERT INTO "Shop"."Line" SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE 1 + g % 50 END, g % 3, CASE WHEN g % 7 = 0 THEN NULL ELSE g END FROM generate_series(1, 400) g;
UPDATE "Shop"."Order" o SET "lineCount" = (SELECT count(*) FROM "Shop"."Line" l WHERE l."orderId" = o.id),
  "Total" = (SELECT sum(l.amount) FROM "Shop"."Line" l WHERE l."orderId" = o.id),
  "regionLines" = (SELECT count(*) FROM "Shop"."Line" l WHERE l."orderId" = o.id AND l.region = o.region);
-- drift: orders with lines, orders without (51..60 have none), every counter
UPDATE "Shop"."Order" SET "lineCount" = "lineCount" + 2 WHERE id IN (3, 8, 55);
UPDATE "Shop"."Order" SET "Total" = 0 WHERE id IN (4, 56);
UPDATE "Shop"."Order" SET "regionLines" = 99 WHERE id IN (5, 57);
ANALYZE;
`;

const LINES = `(SELECT count(*) FROM "Shop"."Line" l WHERE l."orderId" = "Order".id)`;
const TOTAL = `(SELECT sum(l.amount) FROM "Shop"."Line" l WHERE l."orderId" = "Order".id)`;
const REGION = `(SELECT count(*) FROM "Shop"."Line" l WHERE l."orderId" = "Order".id AND l.region = "Order".region)`;

const FINDINGS = [
  { id: 'LINES', column: 'lineCount', expression: LINES },
  { id: 'TOTAL', column: 'Total', expression: TOTAL },
  { id: 'REGION', column: 'regionLines', expression: REGION },
].map((f) => ({ id: f.id, title: f.id, severity: 'medium', playbook: 'counter', params: { table: 'Shop.Order', column: f.column, expression: f.expression } }));

beforeAll(async () => {
  db = await createTestDb();
  await db.query(SQL);
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

async function plan(): Promise<Plan> {
  const playbooks = await loadPlaybooks();
  return buildPlan({
    target: resolveTarget(db.url),
    findings: parseFindingsText(YAML.stringify({ findings: FINDINGS }), 'findings.yaml', playbooks),
    playbooks,
    mode: 'window',
    rehearse: true,
    ...PLAN_DEFAULTS,
  });
}

const want = (expression: string) => expression.replaceAll('"Order"', 'o');

describe('a counter repair reads its aggregate grouped', () => {
  it('the planned UPDATE is the grouped form; apply sets every drifted row to the correlated value and leaves the others', async () => {
    const p = await plan();
    for (const f of p.findings) {
      expect(f.rehearsal?.ok, `${f.id}: ${f.rehearsal?.error}`).toBe(true);
      const change = flatSteps(f.steps).at(-1)!.sql;
      expect(change, f.id).toMatch(/^UPDATE "Shop"\."Order" SET .* FROM \(WITH pgmend_d0 AS MATERIALIZED \(SELECT .* FROM "Shop"\."Line" AS l WHERE \(l\."orderId"(, l\.region)?\) IN \(SELECT /);
      expect(change, f.id).not.toContain('(SELECT count(*) FROM "Shop"."Line" l WHERE l."orderId" = "Order".id');
    }
    expect(p.findings.map((f) => f.checks.find((c) => c.id === 'drift')!.rows)).toEqual([3, 2, 2]);
    const before = (await db.query<{ id: number; lineCount: number; Total: string | null; regionLines: number }>(`SELECT * FROM "Shop"."Order" ORDER BY id`)).rows;
    const expected = (await db.query<{ id: number; lines: string; total: string | null; region: string }>(
      `SELECT id, ${want(LINES)} AS lines, ${want(TOTAL)} AS total, ${want(REGION)} AS region FROM "Shop"."Order" o ORDER BY id`,
    )).rows;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-grouped-'));
    try {
      const r = await applyPlan({ target: resolveTarget(db.url), plan: p, playbooks: await loadPlaybooks(), mode: 'window', window: parseWindow(openWindow()), lockTimeoutMs: 1000, lockRetries: 3, snapshotDir: dir });
      expect(JSON.stringify(r)).toMatch(/committed/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const after = (await db.query<{ id: number; lineCount: number; Total: string | null; regionLines: number }>(`SELECT * FROM "Shop"."Order" ORDER BY id`)).rows;
    let changed = 0;
    for (const [i, row] of after.entries()) {
      const e = expected[i]!;
      expect([row.id, row.lineCount, row.Total, row.regionLines]).toEqual([e.id, Number(e.lines), e.total, Number(e.region)]);
      const b = before[i]!;
      if (b.lineCount !== row.lineCount || b.Total !== row.Total || b.regionLines !== row.regionLines) changed++;
    }
    // 3 + 2 + 2 drifted rows, on 7 orders; orders 55–57 have no lines (count 0, sum NULL).
    expect(changed).toBe(7);
    expect(after.filter((r) => [55, 56, 57].includes(r.id)).map((r) => [r.lineCount, r.Total, r.regionLines])).toEqual([[0, null, 0], [0, null, 0], [0, null, 0]]);
  }, 120_000);

  it('a SET it cannot read grouped keeps the correlated form', async () => {
    await ensureParser();
    const changed = (of: string) => `${of}.ctid = ANY ('{}'::tid[])`;
    const outer = { schema: 'Shop', name: 'Order' };
    expect(groupedRepair('"Shop"."Order"', outer, `"lineCount" = ${LINES}`, changed)).toMatch(/^UPDATE "Shop"\."Order" SET "lineCount" = pgmend_x\.pgmend_s0 FROM \(WITH pgmend_d0/);
    // LIMIT, a correlated value left inside, no subquery at all: not rewritten.
    expect(groupedRepair('"Shop"."Order"', outer, `"lineCount" = (SELECT count(*) FROM "Shop"."Line" l WHERE l."orderId" = "Order".id LIMIT 1)`, changed)).toBeUndefined();
    expect(groupedRepair('"Shop"."Order"', outer, `"lineCount" = (SELECT count(*) FROM "Shop"."Line" l WHERE l."orderId" > "Order".id)`, changed)).toBeUndefined();
    expect(groupedRepair('"Shop"."Order"', outer, `"lineCount" = 0`, changed)).toBeUndefined();
  });
});
