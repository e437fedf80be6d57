import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.js';
import { planOf } from '../support/plan-engine.js';

/**
 * What differs between the supported majors (14 to 18, `npm run test:matrix`), as a user meets it:
 * SQL the server is too old for fails that finding's rehearsal with PostgreSQL's own message, the
 * other findings planned — and rehearses cleanly where the server has it. Chinook, loaded as it is.
 */

let db: TestDb;
let major: number;

beforeAll(async () => {
  db = await createTestDb('tpl_chinook');
  major = Math.floor(Number((await db.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v) / 10000);
});
afterAll(() => db?.drop());

const sqlFinding = (id: string, sql: string, rollback: string, tables: string[]) => ({ id, title: id, severity: 'low', playbook: 'sql', params: { sql, rollback, tables } });

const FINDINGS = [
  // From 15: MERGE, and unique indexes that treat NULLs as equal.
  { since: 15, f: sqlFinding('V-MERGE', 'MERGE INTO genre g USING (SELECT 1 AS genre_id) s ON g.genre_id = s.genre_id WHEN MATCHED THEN UPDATE SET name = g.name', 'SELECT 1', ['genre']) },
  { since: 15, f: sqlFinding('V-NND', 'CREATE UNIQUE INDEX genre_name_nnd ON genre (name) NULLS NOT DISTINCT', 'DROP INDEX genre_name_nnd', ['genre']) },
  // Only 18: a NOT NULL constraint added NOT VALID (customer.company has NULLs).
  { since: 18, f: sqlFinding('V-NN-NOT-VALID', 'ALTER TABLE customer ADD CONSTRAINT customer_company_nn NOT NULL company NOT VALID', 'ALTER TABLE customer DROP CONSTRAINT customer_company_nn', ['customer']) },
  // Every major: the control.
  { since: 14, f: sqlFinding('V-CHECK', 'ALTER TABLE genre ADD CONSTRAINT genre_name_len CHECK (length(name) < 200)', 'ALTER TABLE genre DROP CONSTRAINT genre_name_len', ['genre']) },
];

describe(`features by PostgreSQL major`, () => {
  it('each finding rehearses where the server has its SQL and fails rehearsal with the server\'s syntax error where it does not', async () => {
    const plan = await planOf(db.url, { findings: FINDINGS.map((x) => x.f) });
    for (const { since, f } of FINDINGS) {
      const got = plan.findings.find((p) => p.id === f.id)!;
      if (major >= since) expect([f.id, got.status, got.error, got.rehearsal?.ok]).toEqual([f.id, 'ready', undefined, true]);
      else {
        expect([f.id, got.rehearsal?.ok]).toEqual([f.id, false]);
        expect(got.rehearsal?.error).toMatch(/^step 1: syntax error at or near "/);
      }
    }
  });
});
