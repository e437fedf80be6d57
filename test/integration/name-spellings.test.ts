import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createTestDb, catalogOf, type TestDb } from '../support/db.js';
import { findColumn, findTable, type Catalog } from '../../src/db/catalog.js';
import { resolveColumn, resolveTable } from '../../src/db/resolve.js';
import { UsageError } from '../../src/util/errors.js';

/**
 * Findings name objects the ways people write them: as the catalog spells them, quoted, or in
 * lower case when that is unambiguous; a did-you-mean suggestion, pasted back into the findings
 * file (YAML), finds exactly the table or column it names.
 */

let db: TestDb;
let catalog: Catalog;

beforeAll(async () => {
  db = await createTestDb();
  await db.query(`
    CREATE SCHEMA "Billing";
    CREATE TABLE public."InvoiceLine" ("InvoiceId" int, "lineNo" int, amount numeric);
    CREATE TABLE "Billing"."Invoice" (id int, "customerId" int);
    CREATE TABLE public."Foo" (id int);
    CREATE TABLE public."FOO" (id int);
    CREATE TABLE public."User" (id int);
    CREATE TABLE public."user" (id int, "Name" text, "NAME" text);
    CREATE TABLE public."v1.2" ("build.no" int, "say ""hi""" text);`);
  catalog = await catalogOf(db.url);
});
afterAll(async () => {
  await db?.drop();
});

const label = (ref: string) => findTable(catalog, ref)?.qualified;
const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsageError) return `${e.message}${e.hint ? ` — ${e.hint}` : ''}`;
    throw e;
  }
  throw new Error('expected a UsageError');
};

describe('table and column spellings', () => {
  it('as the catalog spells them, quoted, or lower case when unambiguous', () => {
    for (const ref of ['InvoiceLine', '"InvoiceLine"', 'public."InvoiceLine"', 'public.InvoiceLine', 'invoiceline', 'INVOICELINE', 'PUBLIC.invoiceline']) expect([ref, label(ref)]).toEqual([ref, 'public.InvoiceLine']);
    for (const ref of ['Billing.Invoice', '"Billing"."Invoice"', '"Billing".invoice', 'billing.invoice']) expect([ref, label(ref)]).toEqual([ref, 'Billing.Invoice']);
    for (const ref of ['"v1.2"', 'public."v1.2"']) expect(label(ref)).toBe('public.v1.2');
    const line = findTable(catalog, 'InvoiceLine')!;
    for (const ref of ['InvoiceId', '"InvoiceId"', 'invoiceid', 'lineno']) expect(findColumn(line, ref)?.name).toBeDefined();
    expect(findColumn(line, '"invoiceid"')).toBeUndefined(); // quoted means exactly
    expect(label('"invoiceline"')).toBeUndefined();
  });

  it('an exact spelling wins over folding: User is "User", user is "user"', () => {
    expect(label('User')).toBe('public.User');
    expect(label('user')).toBe('public.user');
    expect(label('"User"')).toBe('public.User');
    expect(label('USER')).toBe('public.user'); // PostgreSQL's own folding
  });

  it('lower case that fits several spellings is refused, naming them quoted', () => {
    expect(usage(() => findTable(catalog, 'foo'))).toBe(`ambiguous table name "foo" in schema public: "FOO" and "Foo" differ only in case — write it exactly as the catalog spells it, or quoted: '"FOO"' or '"Foo"'`);
    expect(label('Foo')).toBe('public.Foo');
    const user = findTable(catalog, 'user')!;
    expect(usage(() => findColumn(user, 'name'))).toMatch(/^ambiguous column name "name": "NAME" and "Name" differ only in case/);
  });

  it('did-you-mean: the suggestion, pasted back into YAML, finds exactly that table or column', () => {
    const pasteTable = (ref: string) => {
      const hint = usage(() => resolveTable(catalog, ref));
      const suggestion = / did you mean (.+)\?$/.exec(hint)?.[1];
      expect(suggestion, hint).toBeDefined();
      const { table } = YAML.parse(`table: ${suggestion}`) as { table: string };
      return { suggestion, found: resolveTable(catalog, table).qualified };
    };
    expect(pasteTable('InvoiceLines')).toEqual({ suggestion: '"public.InvoiceLine"', found: 'public.InvoiceLine' });
    expect(pasteTable('Billing.Invoices')).toEqual({ suggestion: '"Billing.Invoice"', found: 'Billing.Invoice' });
    expect(pasteTable('"v1.3"')).toEqual({ suggestion: `'public."v1.2"'`, found: 'public.v1.2' });

    const line = findTable(catalog, 'InvoiceLine')!;
    const v12 = findTable(catalog, '"v1.2"')!;
    const pasteColumn = (t: typeof line, ref: string) => {
      const hint = usage(() => resolveColumn(catalog, t, ref));
      const suggestion = / did you mean (.+)\?$/.exec(hint)?.[1];
      const { columns } = YAML.parse(`columns: [${suggestion}]`) as { columns: string[] };
      return { suggestion, found: resolveColumn(catalog, t, columns[0]!).name };
    };
    expect(pasteColumn(line, 'InvoiceIdd')).toEqual({ suggestion: '"InvoiceId"', found: 'InvoiceId' });
    expect(pasteColumn(v12, '"build.nr"')).toEqual({ suggestion: `'"build.no"'`, found: 'build.no' });
    expect(pasteColumn(v12, '"say ""hi"')).toEqual({ suggestion: `'"say ""hi"""'`, found: 'say "hi"' });
  });
});
