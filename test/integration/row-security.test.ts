import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createTestDb, adminUrl, queryOnce, type TestDb } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { workDir, writeFindings, openWindow, cliPlan, expectOneLineError } from '../support/apply-helpers.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';

/**
 * Row-level security never hides rows from pgmend: a table whose policy filters what the role sees
 * (FORCEd for its owner, or a role that is not the owner, without BYPASSRLS) makes the finding an
 * error naming the role and the table — never "0 duplicates" — while the other findings plan; apply
 * refuses before any change. The owner without FORCE, a BYPASSRLS role and a superuser see every row.
 */

const ROLE = 'app';
const SQL = `
CREATE TABLE tickets (id serial PRIMARY KEY, tenant_id int NOT NULL, number int NOT NULL);
INSERT INTO tickets (tenant_id, number) SELECT (g / 2) % 3, g / 2 FROM generate_series(0, 299) AS g;
CREATE TABLE invoice_lines (id serial PRIMARY KEY, tenant_id int NOT NULL, amount int NOT NULL);
INSERT INTO invoice_lines (tenant_id, amount) SELECT g % 3, g FROM generate_series(1, 50) AS g;
CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL);
INSERT INTO notes (body) VALUES ('a'), ('b');
ALTER TABLE tickets OWNER TO ${ROLE};
ALTER TABLE invoice_lines OWNER TO ${ROLE};
ALTER TABLE notes OWNER TO ${ROLE};
ALTER TABLE tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE tickets FORCE ROW LEVEL SECURITY;
ALTER TABLE invoice_lines ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON tickets USING (tenant_id = current_setting('app.tenant', true)::int);
CREATE POLICY tenant ON invoice_lines USING (tenant_id = current_setting('app.tenant', true)::int);
`;

const FINDINGS = [
  { id: 'RLS-UQ', title: 'ticket numbers repeat within a tenant', severity: 'high', playbook: 'unique', params: { table: 'tickets', columns: ['tenant_id', 'number'] } },
  { id: 'RLS-CHK', title: 'an invoice line amount can be negative', severity: 'high', playbook: 'check', params: { table: 'invoice_lines', name: 'invoice_line_amount_nonneg', expression: 'amount >= 0' } },
  { id: 'PLAIN-CHK', title: 'a note body can be empty', severity: 'low', playbook: 'check', params: { table: 'notes', name: 'notes_body_nonempty', expression: "body <> ''" } },
];

const hidden = (table: string) => `role ${ROLE} cannot see every row of ${table} (row-level security): use the table owner without FORCE, a role with BYPASSRLS, or a superuser`;

let work: Awaited<ReturnType<typeof workDir>>;
let findingsFile: string;

beforeAll(async () => {
  work = await workDir();
  findingsFile = await writeFindings(work.dir, FINDINGS);
  await queryOnce(adminUrl(), `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} LOGIN PASSWORD '${ROLE}' NOSUPERUSER NOBYPASSRLS; END IF; END $$`);
});

afterAll(async () => {
  await work?.remove();
});

async function withDb(fn: (db: TestDb, appUrl: string) => Promise<void>): Promise<void> {
  const db = await createTestDb();
  try {
    await db.query(SQL);
    await db.query(`GRANT CREATE ON DATABASE ${db.name} TO ${ROLE}`); // the journal's schema
    const u = new URL(db.url);
    u.username = ROLE;
    u.password = ROLE;
    await fn(db, u.toString());
  } finally {
    await db.drop();
  }
}

/** A plan with an error finding: written all the same, exit 1, the error on stderr. */
async function planWithError(url: string, lines: string[]): Promise<{ plan: Plan; file: string }> {
  const file = path.join(work.dir, `plan-${randomBytes(3).toString('hex')}.json`);
  const r = await runCli(['plan', '--db', url, '--findings', findingsFile, '--format', 'json', '--out', file]);
  expect(r.code, r.stderr).toBe(1);
  for (const l of lines) expect(r.stderr).toContain(`\npgmend: ${l}\n`);
  return { plan: JSON.parse(await readFile(file, 'utf8')) as Plan, file };
}

const status = (plan: { findings: { id: string; status: string; error?: string }[] }) => Object.fromEntries(plan.findings.map((f) => [f.id, f.status === 'error' ? `error: ${f.error}` : f.status]));

describe('row-level security', () => {
  it('FORCEd for the owner, or not the owner: the finding is an error naming role and table, the others plan; apply refuses, changing nothing', async () => {
    await withDb(async (db, appUrl) => {
      const { plan, file } = await planWithError(appUrl, [`RLS-UQ: ${hidden('public.tickets')}`]);
      // tickets: FORCEd, so even its owner would see no rows (no app.tenant set) — 0 duplicates, were it counted.
      expect(status(plan)).toEqual({ 'RLS-UQ': `error: ${hidden('public.tickets')}`, 'RLS-CHK': 'ready', 'PLAIN-CHK': 'ready' });
      const before = await dbState(db.url);
      const r = await runCli(['apply', '--db', appUrl, '--plan', file, '--window', openWindow(), '--yes', '--snapshots', path.join(work.dir, 'snapshots')]);
      expectOneLineError(r, 1, /^pgmend: refused: 1 finding\(s\) cannot be applied: RLS-UQ \(error: role app cannot see every row of public\.tickets \(row-level security\)/);
      expect(await dbState(db.url)).toEqual(before);

      // Planned while the owner saw every row; FORCEd afterwards: apply refuses before any change.
      await db.query(`ALTER TABLE invoice_lines FORCE ROW LEVEL SECURITY`);
      const r2 = await runCli(['apply', '--db', appUrl, '--plan', file, '--only', 'RLS-CHK,PLAIN-CHK', '--window', openWindow(), '--yes', '--snapshots', path.join(work.dir, 'snapshots')]);
      expectOneLineError(r2, 1, new RegExp(`^pgmend: refused: ${hidden('public.invoice_lines').replace(/[().]/g, '\\$&')} — nothing was changed$`));
      expect(await dbState(db.url)).toEqual(before);

      // A role that is not the owner, without BYPASSRLS: the same, even without FORCE.
      await db.query(`ALTER TABLE tickets NO FORCE ROW LEVEL SECURITY; ALTER TABLE tickets OWNER TO postgres; GRANT SELECT ON tickets TO ${ROLE}`);
      const notOwner = await planWithError(appUrl, [`RLS-UQ: ${hidden('public.tickets')}`]);
      expect(status(notOwner.plan)['RLS-UQ']).toBe(`error: ${hidden('public.tickets')}`);
    });
  });

  it('the owner without FORCE, a BYPASSRLS role and a superuser count every row', async () => {
    await withDb(async (db, appUrl) => {
      await db.query(`ALTER TABLE tickets NO FORCE ROW LEVEL SECURITY`);
      const owner = await cliPlan(appUrl, findingsFile, 'window', work.dir);
      const dup = (p: typeof owner.plan) => p.findings.find((f) => f.id === 'RLS-UQ')!.checks.find((c) => c.blocking)!;
      expect(status(owner.plan)['RLS-UQ']).toBe('blocked');
      expect([dup(owner.plan).rows, dup(owner.plan).groups]).toEqual([300, 150]);
      await db.query(`ALTER TABLE tickets FORCE ROW LEVEL SECURITY`);
      const superuser = await cliPlan(db.url, findingsFile, 'window', work.dir);
      expect([dup(superuser.plan).rows, dup(superuser.plan).groups]).toEqual([300, 150]);
      await queryOnce(adminUrl(), `ALTER ROLE ${ROLE} BYPASSRLS`);
      try {
        const bypass = await cliPlan(appUrl, findingsFile, 'window', work.dir);
        expect([dup(bypass.plan).rows, dup(bypass.plan).groups]).toEqual([300, 150]);
      } finally {
        await queryOnce(adminUrl(), `ALTER ROLE ${ROLE} NOBYPASSRLS`);
      }
    });
  });
});
