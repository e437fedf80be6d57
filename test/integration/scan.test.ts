import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import YAML from 'yaml';
import { createTestDb, type TestDb } from '../support/db.js';
import { planOf } from '../support/plan-engine.js';
import { runCli } from '../support/cli.js';
import { scanDatabase } from '../../src/engine/scan/scan.js';
import { resolveTarget } from '../../src/db/connection.js';
import { quoteIdent } from '../../src/db/quote.js';
import type { ScanFinding, ScanResult } from '../../src/engine/scan/model.js';

/**
 * pgmend scan on a database built for its rules, in mixed case ("Customer", "CustomerId"), with the
 * traps: NULL-distinct duplicates, a counter right on 91% vs one right on 89% of rows, a
 * `<name>_id` column that is not a key. Every proposal is then planned: no error, and the
 * numbers in its evidence are the numbers the plan's prechecks count.
 */

const SCHEMA = `
CREATE TABLE "Customer" ("CustomerId" int PRIMARY KEY, "Email" varchar(100), "Status" text, "OrderCount" int, "TallyA" int, "TallyB" int, "Nick" text);
CREATE TABLE "Coupon" ("CouponId" int PRIMARY KEY);
CREATE TABLE session (id int PRIMARY KEY);
CREATE TABLE "Order" ("OrderId" int PRIMARY KEY, "CustomerId" int, "CouponId" int, session_id int, "PlacedAt" timestamptz DEFAULT now(), note text);
CREATE TABLE "Tag" ("TagId" int PRIMARY KEY);
CREATE TABLE "CustomerTag" ("CustomerId" int REFERENCES "Customer", "TagId" int REFERENCES "Tag");
CREATE INDEX ON "CustomerTag" ("CustomerId");
CREATE INDEX ON "CustomerTag" ("TagId");
CREATE TABLE "Invoice" ("InvoiceId" int PRIMARY KEY, "OrderId" bigint REFERENCES "Order", amount numeric, "Code" varchar(20));
CREATE INDEX invoice_amount_a ON "Invoice" (amount);
CREATE INDEX invoice_amount_b ON "Invoice" (amount);
ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_amount_positive" CHECK (amount > 0) NOT VALID;
CREATE TABLE log_line (msg text);

INSERT INTO "Customer" ("CustomerId", "Email", "Status", "Nick")
  SELECT i, CASE WHEN i IN (7, 8) THEN NULL WHEN i = 9 THEN 'c10@x.test' ELSE 'c' || i || '@x.test' END,
         CASE WHEN i = 100 THEN 'PAID' WHEN i % 5 = 0 THEN 'pending' ELSE 'paid' END, 'n' || (i % 3)
  FROM generate_series(1, 100) i;
INSERT INTO "Coupon" SELECT i FROM generate_series(1, 10) i;
INSERT INTO session SELECT i FROM generate_series(1, 10) i;
-- Customer i has i % 4 orders; two orders point at customers that do not exist.
INSERT INTO "Order" ("OrderId", "CustomerId", "CouponId", session_id)
  SELECT row_number() OVER (), c, 1 + (c % 10), 1000 + c FROM generate_series(1, 100) c, generate_series(1, 3) k WHERE k <= c % 4;
INSERT INTO "Order" ("OrderId", "CustomerId") VALUES (9001, 5000), (9002, 5001);
-- Counters: OrderCount right on 80 rows (named: a counter); TallyA right on 91, TallyB on 89 (neutral names).
UPDATE "Customer" c SET "OrderCount" = (SELECT count(*) FROM "Order" o WHERE o."CustomerId" = c."CustomerId") + CASE WHEN c."CustomerId" <= 80 THEN 0 ELSE 7 END,
  "TallyA" = (SELECT count(*) FROM "Order" o WHERE o."CustomerId" = c."CustomerId") + CASE WHEN c."CustomerId" <= 91 THEN 0 ELSE 5 END,
  "TallyB" = (SELECT count(*) FROM "Order" o WHERE o."CustomerId" = c."CustomerId") + CASE WHEN c."CustomerId" <= 89 THEN 0 ELSE 5 END;
INSERT INTO "Tag" SELECT i FROM generate_series(1, 40) i;
-- A link table: one real duplicate pair; two (1, NULL) rows are not duplicates (NULLs are distinct).
INSERT INTO "CustomerTag" SELECT i, i % 40 + 1 FROM generate_series(1, 60) i;
INSERT INTO "CustomerTag" VALUES (3, 4), (1, NULL), (1, NULL);
INSERT INTO "Invoice" SELECT i, i, i * 10, 'INV-' || i FROM generate_series(1, 30) i;
INSERT INTO log_line VALUES ('a'), ('a');
`;

const byTitle = (r: ScanResult, re: RegExp) => r.findings.filter((f) => new RegExp(re.source, 'i').test(f.title));
const only = (r: ScanResult, re: RegExp): ScanFinding => {
  const hits = byTitle(r, re);
  expect(hits.map((f) => f.title), String(re)).toHaveLength(1);
  return hits[0]!;
};
const num = (text: string, re: RegExp) => Number(re.exec(text)?.[1]);

/**
 * The same database twice: as written (PascalCase tables, camelCase columns), and with every
 * identifier folded to lower case; plan takes scan's output as it is on both.
 */
describe.each([
  { style: 'mixed case', schema: SCHEMA, mixed: true },
  { style: 'lower case', schema: SCHEMA.replace(/"([^"]+)"/g, (_, n: string) => `"${n.toLowerCase()}"`), mixed: false },
])('pgmend scan ($style)', ({ schema, mixed }) => {
  let db: TestDb;
  let result: ScanResult;
  /** A name as scan writes it: quoted in the mixed-case database, folded in the other. */
  const q = (name: string) => quoteIdent(mixed ? name : name.toLowerCase());

  beforeAll(async () => {
    db = await createTestDb();
    await db.query(schema);
    // A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an INVALID index behind.
    await db.query(`CREATE UNIQUE INDEX CONCURRENTLY nick_key ON ${q('Customer')} (${q('Nick')})`).catch(() => {});
    await db.query('ANALYZE');
    result = await scanDatabase({ target: resolveTarget(db.url), statementTimeoutMs: 30_000, thresholds: { notNullMinRows: 100 } });
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('structural rules: FK without index, NOT VALID, INVALID index, duplicate index, FK type, no row key', () => {
    const fkIdx = only(result, /^Invoice\(OrderId\) has a foreign key but no index/);
    expect(fkIdx.params).toEqual({ table: q('Invoice'), columns: [q('OrderId')] });
    expect(byTitle(result, /^CustomerTag\(.*\) has a foreign key/)).toEqual([]);
    expect(only(result, /Invoice_amount_positive on Invoice was never validated/).params.sql).toBe(`ALTER TABLE public.${q('Invoice')} VALIDATE CONSTRAINT ${q('Invoice_amount_positive')};`);
    expect(only(result, /index nick_key on Customer is INVALID/).params.sql).toBe(`DROP INDEX public.nick_key;\nCREATE UNIQUE INDEX nick_key ON public.${q('Customer')} USING btree (${q('Nick')});`);
    expect(only(result, /index invoice_amount_b on Invoice is a duplicate of invoice_amount_a/).params.sql).toBe('DROP INDEX public.invoice_amount_b;');
    expect(only(result, /Invoice\.OrderId is bigint but references Order\.OrderId \(integer\)/).severity).toBe('low');
    // Also: no table's read failed.
    expect(result.notes.map((n) => `${n.rule} ${n.table}`.toLowerCase()).sort()).toEqual(['no-row-key public.customertag', 'no-row-key public.log_line']);
  });

  it('implied foreign keys by <Table>Id with orphan counts; a <name>_id that is not a key is left alone', () => {
    const customer = only(result, /^Order\.CustomerId points at Customer\.CustomerId/);
    expect(customer.params).toEqual({ table: q('Order'), columns: [q('CustomerId')], references: { table: q('Customer'), columns: [q('CustomerId')] }, onDelete: 'no-action' });
    expect(customer.severity).toBe('high');
    expect(num(customer.evidence, /(\d+) orphan/)).toBe(2);
    const coupon = only(result, /^Order\.CouponId points at Coupon\.CouponId/);
    expect(coupon.severity).toBe('medium');
    expect(num(coupon.evidence, /(\d+) orphan/)).toBe(0);
    expect(byTitle(result, /session_id/)).toEqual([]);
  });

  it('counters: a counter-named column right on 80%, a neutral one right on 91% — not the one on 89%', () => {
    const named = only(result, /^Customer\.OrderCount counts Order rows/);
    expect(num(named.evidence, /(\d+) row\(s\) drift/)).toBe(20);
    expect(named.params.expression).toBe(`(SELECT count(*) FROM public.${q('Order')} WHERE ${q('Order')}.${q('CustomerId')} = ${q('Customer')}.${q('CustomerId')})`);
    const a = only(result, /^Customer\.TallyA counts Order rows/);
    expect(num(a.evidence, /(\d+) row\(s\) drift/)).toBe(9);
    expect(byTitle(result, /TallyB counts/)).toEqual([]);
  });

  it('enum-like text: observed values with counts, the rare other-case spelling left out', () => {
    const f = only(result, /^Customer\.Status holds 3 distinct values/);
    expect(f.params.values).toEqual(['paid', 'pending']);
    expect(f.severity).toBe('medium');
    expect(f.evidence).toMatch(/paid: 80, pending: 19, PAID: 1 \(suspect\)/);
  });

  it('near-unique columns and link-table keys, NULLs distinct', () => {
    const email = only(result, /^Customer\(Email\) is nearly unique/);
    expect(email.evidence).toMatch(/^97 distinct of 98 rows .* 2 rows in 1 duplicate group/);
    const link = only(result, /^CustomerTag\(CustomerId, TagId\) is nearly unique/);
    expect(link.evidence).toMatch(/^60 distinct of 61 rows .* 2 rows in 1 duplicate group/);
    expect(only(result, /^Invoice\(Code\) is entirely unique/).severity).toBe('low');
  });

  it('not-null: a nullable column with no NULL in a table above the threshold', () => {
    only(result, /^Order\.PlacedAt is nullable but holds no NULL/);
    expect(byTitle(result, /^Order\.note is nullable/)).toEqual([]);
  });

  it('plan takes the result as it is: no finding in error, and the counts are the evidence', async () => {
    const plan = await planOf(db.url, { yaml: YAML.stringify({ findings: result.findings }) });
    for (const f of plan.findings) expect(f.error, f.id).toBeUndefined();
    const check = (title: RegExp, id: string) => plan.findings.find((f) => f.id === only(result, title).id)!.checks.find((c) => c.id === id)!;
    expect(check(/^Order\.CustomerId points/, 'orphans').rows).toBe(2);
    expect(check(/^Customer\.OrderCount counts/, 'drift').rows).toBe(20);
    expect(check(/^Customer\.TallyA counts/, 'drift').rows).toBe(9);
    expect(check(/^Customer\(Email\)/, 'duplicates')).toMatchObject({ rows: 2, groups: 1 });
    expect(check(/^CustomerTag\(CustomerId, TagId\)/, 'duplicates')).toMatchObject({ rows: 2, groups: 1 });
    expect(check(/^Customer\.Status holds/, 'violations').rows).toBe(1);
  }, 120_000);

  it('a sampled read is recounted in full: the same findings, exact numbers', async () => {
    const sampled = await scanDatabase({ target: resolveTarget(db.url), statementTimeoutMs: 30_000, thresholds: { notNullMinRows: 100, sampleAboveRows: 50, sampleRows: 120 } });
    expect(sampled.notes.filter((n) => n.rule !== 'no-row-key')).toEqual([]);
    const orphans = only(sampled, /^Order\.CustomerId points at Customer/);
    expect(orphans.evidence).toMatch(/counted in full\)$/);
    expect(num(orphans.evidence, /(\d+) orphan/)).toBe(2);
    for (const f of sampled.findings) {
      const full = result.findings.find((x) => x.title === f.title);
      if (full) expect(f.evidence.replace(/ \(found in a .* sample, counted in full\)$/, ''), f.title).toBe(full.evidence);
    }
  }, 60_000);

  it('works for a role with SELECT only, in a read-only transaction; the CLI writes a file the loader takes', async () => {
    const role = `scan_ro_${randomBytes(3).toString('hex')}`;
    await db.query(`CREATE ROLE ${role} LOGIN; GRANT USAGE ON SCHEMA public TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    try {
      const url = db.url.replace('//postgres@', `//${role}@`);
      const r = await runCli(['scan', '--db', url, '--not-null-min-rows', '100', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^pgmend: scan 1\/\d+ public\./m);
      const file = JSON.parse(r.stdout) as { findings: ScanFinding[] };
      expect(file.findings.map((f) => f.title).sort()).toEqual(result.findings.map((f) => f.title).sort());
      const plan = await planOf(db.url, { yaml: r.stdout });
      expect(plan.findings.filter((f) => f.error)).toEqual([]);
    } finally {
      await db.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  }, 120_000);

  it('bad input: an unknown schema or threshold is one pgmend line, exit 2', async () => {
    const r = await runCli(['scan', '--db', db.url, '--schema', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^pgmend: --schema: no schema "nope" in the database/);
    const t = await runCli(['scan', '--db', db.url, '--counter-min-match', '1.5']);
    expect(t.code).toBe(2);
    expect(t.stderr.trim()).toMatch(/^pgmend: --counter-min-match: expected a share between 0 and 1, got "1.5"/);
  }, 60_000);
});
