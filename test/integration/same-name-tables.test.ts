import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { createTestDb, type TestDb } from '../support/db.js';
import { loadCatalog } from '../../src/db/catalog.js';
import { ensureParser } from '../../src/playbooks/expression.js';
import { statementLocks } from '../../src/playbooks/statement-locks.js';
import { heldLocks, takenBetween } from '../../src/engine/plan/observed-locks.js';
import { declareStepLocks } from '../../src/engine/plan/step-locks.js';
import { checkPrivileges } from '../../src/engine/apply/privileges.js';
import type { FindingPlan, PlanStep } from '../../src/engine/plan/plan-model.js';
import { planOf } from '../support/plan-engine.js';
import { fromFlat } from '../../src/engine/plan/steps.js';

/**
 * Where per-table lock declarations met the rest: a step's `tables` list what it only reads too
 * (sorted, so a read-only "Account" comes before the "Invoice" it changes), and a bare name in a
 * statement that qualified its FROM item is that item, not a same-named table on the search_path.
 * Mixed-case names in two schemas holding a table of the same name, search_path app first.
 */

const SCHEMA = `
  CREATE SCHEMA "Billing"; CREATE SCHEMA app;
  CREATE TABLE "Billing"."Account" (id int PRIMARY KEY, "Closed" boolean);
  CREATE TABLE "Billing"."Invoice" (id int PRIMARY KEY, "AccountId" int, "Total" numeric);
  CREATE TABLE app."Invoice" (id int PRIMARY KEY);
  CREATE TABLE app.bk (id int, "AccountId" int, "Total" numeric);
  -- No key, and a first column without an ordering.
  CREATE TABLE "Billing"."Event" (payload json, "Kind" text);
  INSERT INTO "Billing"."Account" VALUES (1, false), (2, true);
  INSERT INTO "Billing"."Invoice" VALUES (1, 1, 10), (2, 2, 20), (3, 3, 30);
  INSERT INTO "Billing"."Event" VALUES ('{"a":1}', NULL), ('[2]', 'x'), ('{"b":3}', NULL);
`;

const BACKUP = `INSERT INTO pgmend.b_fix SELECT "Invoice".* FROM "Billing"."Invoice"
  WHERE NOT EXISTS (SELECT 1 FROM "Billing"."Account" a WHERE a.id = "Invoice"."AccountId") FOR UPDATE OF "Invoice"`;
const DELETE = `DELETE FROM "Billing"."Invoice" i WHERE NOT EXISTS (SELECT 1 FROM "Billing"."Account" a WHERE a.id = i."AccountId")`;

let db: TestDb;
let client: pg.Client;

beforeAll(async () => {
  await ensureParser();
  db = await createTestDb();
  await db.query(SCHEMA);
  await db.query(`ALTER DATABASE ${db.name} SET search_path = app, public`);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('FOR UPDATE OF names a FROM item', () => {
  const declaredAndTaken = async (sql: string) => {
    await client.query('BEGIN');
    try {
      const catalog = await loadCatalog(client);
      const declared = statementLocks(sql, catalog).locks;
      const before = await heldLocks(client, catalog);
      await client.query(sql);
      return { declared, taken: takenBetween(before, await heldLocks(client, catalog)) };
    } finally {
      await client.query('ROLLBACK');
    }
  };

  it('by its table name: the qualified table, not app."Invoice" on the search_path', async () => {
    const o = await declaredAndTaken(`INSERT INTO app.bk SELECT "Invoice".* FROM "Billing"."Invoice" WHERE "Total" > 15 FOR UPDATE OF "Invoice"`);
    expect(o.declared).toEqual({ 'Billing.Invoice': 'ROW SHARE', 'app.bk': 'ROW EXCLUSIVE' });
    expect(o.taken).toEqual(o.declared);
  });

  it('by its alias, joined to a table of the same name elsewhere', async () => {
    const o = await declaredAndTaken(`SELECT * FROM "Billing"."Invoice" bi JOIN app."Invoice" ai ON ai.id = bi.id FOR SHARE OF bi`);
    expect(o.declared).toEqual({ 'Billing.Invoice': 'ROW SHARE', 'app.Invoice': 'ACCESS SHARE' });
    expect(o.taken).toEqual(o.declared);
  });
});

describe('privileges: the table a step changes, not the first it lists', () => {
  const role = `r_fix_${randomBytes(4).toString('hex')}`;
  const finding = async (): Promise<FindingPlan> => {
    const catalog = await loadCatalog(client);
    const step = (sql: string, extra: Partial<PlanStep>): PlanStep =>
      declareStepLocks(catalog, { sql, lock: 'ROW EXCLUSIVE', tables: [], transactional: true, phase: 'resolution', ...extra });
    const steps = [step(BACKUP, { backupTable: 'pgmend.b_fix' } as Partial<PlanStep>), step(DELETE, {})];
    // The premise: the read-only table sorts first.
    expect(steps.map((s) => s.tables)).toEqual([['Billing.Account', 'Billing.Invoice'], ['Billing.Account', 'Billing.Invoice']]);
    return { id: 'F-ORPHAN', title: 'orphans', severity: 'high', playbook: 'sql', table: 'Billing.Invoice', status: 'ready', checks: [], steps: fromFlat(steps) } as unknown as FindingPlan;
  };

  beforeAll(async () => {
    await db.query(`CREATE ROLE ${role}; GRANT CREATE ON DATABASE ${db.name} TO ${role}; GRANT USAGE ON SCHEMA "Billing", app TO ${role};
      GRANT SELECT, UPDATE, DELETE ON "Billing"."Invoice" TO ${role}; GRANT SELECT ON "Billing"."Account" TO ${role}`);
  });
  afterAll(async () => {
    await db.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
  });

  it('UPDATE and DELETE are needed on "Billing"."Invoice" only: SELECT on "Account" suffices', async () => {
    const f = await finding();
    const catalog = await loadCatalog(client);
    await client.query(`SET ROLE ${role}`);
    try {
      await expect(checkPrivileges(client, catalog, [f])).resolves.toBeUndefined();
    } finally {
      await client.query('RESET ROLE');
    }
  });

  it('a missing DELETE on "Billing"."Invoice" is named', async () => {
    const f = await finding();
    const catalog = await loadCatalog(client);
    await db.query(`REVOKE DELETE ON "Billing"."Invoice" FROM ${role}`);
    await client.query(`SET ROLE ${role}`);
    try {
      await expect(checkPrivileges(client, catalog, [f])).rejects.toThrow(/lacks privileges this apply needs — DELETE on Billing\.Invoice: F-ORPHAN$/);
    } finally {
      await client.query('RESET ROLE');
      await db.query(`GRANT DELETE ON "Billing"."Invoice" TO ${role}`);
    }
  });
});

describe('samples of a table without a key', () => {
  it('order by the row, not by a first column that has no ordering (json)', async () => {
    const plan = await planOf(db.url, { findings: [{ id: 'J-KIND', title: 'kind', severity: 'high', playbook: 'not-null', params: { table: 'Billing.Event', column: 'Kind' } }] });
    const f = plan.findings[0]!;
    expect(f.error).toBeUndefined();
    expect(f.status).not.toBe('error');
    const check = f.checks.find((c) => c.rows > 0)!;
    expect(check.rows).toBe(2);
    expect(check.sample.map((r) => r.payload)).toEqual([{ a: 1 }, { b: 3 }]);
  });
});
