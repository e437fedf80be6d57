import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { planToJson } from '../../src/export/plan-json.js';
import { parsePlanJson } from '../../src/export/plan-json-parse.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { planOf } from '../support/plan-engine.js';

/**
 * Checks the catalog answers are not run: a unique key containing the primary key, a NOT NULL
 * column's nulls, an orphan check under a valid foreign key with the same columns. Mixed-case
 * names throughout. Where the catalog does not prove it (a partial index, a table with inheritance
 * children, disabled FK triggers) the rows are counted, and the counts are the ones plain SQL gives.
 */

const base = { severity: 'high', title: 'catalog finding' };

const SCHEMA = `
  CREATE SCHEMA "Billing";
  CREATE TABLE "Billing"."Customer" ("Id" int PRIMARY KEY, "Email" text);
  CREATE TABLE "Billing"."InvoiceLine" (
    "Id" int PRIMARY KEY, "Sku" text NOT NULL, "Qty" int, "CustomerId" int REFERENCES "Billing"."Customer" ("Id"),
    "Code" text, "Active" bool);
  CREATE UNIQUE INDEX "InvoiceLine_Code_active" ON "Billing"."InvoiceLine" ("Code") WHERE "Active";
  INSERT INTO "Billing"."Customer" VALUES (1, 'a@x'), (2, 'a@x');
  INSERT INTO "Billing"."InvoiceLine" VALUES (1, 'A', 1, 1, 'c1', true), (2, 'A', 2, 2, 'c1', false), (3, 'B', NULL, 1, 'c2', false);
  -- Orphans behind a valid foreign key whose triggers are disabled.
  CREATE TABLE "Billing"."Payment" ("Id" int PRIMARY KEY, "CustomerId" int REFERENCES "Billing"."Customer" ("Id"));
  ALTER TABLE "Billing"."Payment" DISABLE TRIGGER ALL;
  INSERT INTO "Billing"."Payment" VALUES (1, 1), (2, 99);
  -- A parent with an inheritance child: its primary key does not cover the child's rows.
  CREATE TABLE "Billing"."Note" ("Id" int PRIMARY KEY, "Body" text);
  CREATE TABLE "Billing"."NoteArchive" () INHERITS ("Billing"."Note");
  INSERT INTO "Billing"."Note" VALUES (1, 'x');
  INSERT INTO "Billing"."NoteArchive" VALUES (1, 'x');
`;

function byId(p: Plan, id: string): FindingPlan {
  return p.findings.find((f) => f.id === id)!;
}

describe('checks answered from the catalog', () => {
  let db: TestDb;
  let plan: Plan;

  beforeAll(async () => {
    db = await createTestDb();
    await db.query(SCHEMA);
    plan = await planOf(db.url, {
      findings: [
        { ...base, id: 'UQ-PK', playbook: 'unique', params: { table: '"Billing"."InvoiceLine"', columns: ['Sku', 'Id'] } },
        { ...base, id: 'UQ-SKU', playbook: 'unique', params: { table: '"Billing"."InvoiceLine"', columns: ['Sku'] } },
        { ...base, id: 'UQ-PARTIAL', playbook: 'unique', params: { table: '"Billing"."InvoiceLine"', columns: ['Code'] } },
        { ...base, id: 'UQ-EMAIL', playbook: 'unique', params: { table: '"Billing"."Customer"', columns: ['Email', 'lower("Email")'] } },
        { ...base, id: 'NN-SKU', playbook: 'not-null', params: { table: '"Billing"."InvoiceLine"', column: 'Sku' } },
        { ...base, id: 'NN-QTY', playbook: 'not-null', params: { table: '"Billing"."InvoiceLine"', column: 'Qty' } },
        { ...base, id: 'FK-LINE', playbook: 'foreign-key', params: { table: '"Billing"."InvoiceLine"', columns: ['CustomerId'], references: { table: '"Billing"."Customer"', columns: ['Id'] }, onDelete: 'cascade' } },
        { ...base, id: 'FK-PAY', playbook: 'foreign-key', params: { table: '"Billing"."Payment"', columns: ['CustomerId'], references: { table: '"Billing"."Customer"', columns: ['Id'] }, onDelete: 'cascade' } },
        { ...base, id: 'UQ-NOTE', playbook: 'unique', params: { table: '"Billing"."Note"', columns: ['Id'] } },
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  const check = (id: string, check: string) => byId(plan, id).checks.find((c) => c.id === check)!;

  it('no finding errors', () => {
    for (const f of plan.findings) expect(f.error, f.id).toBeUndefined();
  });

  it('a key containing the primary key: 0 duplicates, answered by the primary key', () => {
    const c = check('UQ-PK', 'duplicates');
    expect({ rows: c.rows, groups: c.groups }).toEqual({ rows: 0, groups: 0 });
    expect(c.answeredBy).toMatchObject({ kind: 'primary key', object: 'InvoiceLine_pkey', table: '"Billing"."InvoiceLine"', columns: ['Id'] });
  });

  it('NOT NULL column: 0 nulls, answered; a nullable one is counted', async () => {
    expect(check('NN-SKU', 'nulls')).toMatchObject({ rows: 0, answeredBy: { kind: 'not null', object: 'Sku' } });
    const qty = check('NN-QTY', 'nulls');
    expect(qty.answeredBy).toBeUndefined();
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM "Billing"."InvoiceLine" WHERE "Qty" IS NULL');
    expect(qty.rows).toBe(Number(rows[0]!.n));
    expect(qty.rows).toBe(1);
  });

  it('a valid foreign key with the same columns answers the orphan check; disabled triggers do not', async () => {
    expect(check('FK-LINE', 'orphans')).toMatchObject({ rows: 0, answeredBy: { kind: 'foreign key', object: 'InvoiceLine_CustomerId_fkey' } });
    const pay = check('FK-PAY', 'orphans');
    expect(pay.answeredBy).toBeUndefined();
    expect(pay.rows).toBe(1);
    expect(pay.sample.map((r) => r.Id)).toEqual([2]);
  });

  it('what the catalog does not prove is counted as plain SQL counts it', async () => {
    // Sku alone: duplicated (A twice); a partial unique index proves nothing for all rows; an
    // expression key (lower) is not a column of the key; Note's child table repeats its key.
    const counts: Record<string, [string, string]> = {
      'UQ-SKU': ['"Billing"."InvoiceLine"', '"Sku"'],
      'UQ-PARTIAL': ['"Billing"."InvoiceLine"', '"Code"'],
      'UQ-EMAIL': ['"Billing"."Customer"', '"Email", lower("Email")'],
      'UQ-NOTE': ['"Billing"."Note"', '"Id"'],
    };
    for (const [id, [table, key]] of Object.entries(counts)) {
      const { rows } = await db.query<{ n: string }>(`SELECT coalesce(sum(n), 0) AS n FROM (SELECT count(*) AS n FROM ${table} GROUP BY ${key} HAVING count(*) > 1) g`);
      const c = check(id, 'duplicates');
      expect(c.answeredBy, id).toBeUndefined();
      expect(c.rows, id).toBe(Number(rows[0]!.n));
      expect(c.rows, id).toBe(2);
    }
  });

  it('the plan JSON (round trip) and the checklist say which object answered', () => {
    const again = parsePlanJson(planToJson(plan), 'plan.json');
    expect(byId(again, 'UQ-PK').checks[0]!.answeredBy).toEqual(check('UQ-PK', 'duplicates').answeredBy);
    const md = planToChecklist(plan);
    expect(md).toContain('answered from the catalog: primary key "InvoiceLine_pkey" on "Billing"."InvoiceLine"');
    expect(md).toContain('answered from the catalog: foreign key "InvoiceLine_CustomerId_fkey" on "Billing"."InvoiceLine"');
  });
});
