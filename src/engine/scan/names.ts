import { findTable, type Catalog, type Table } from '../../db/catalog.js';
import { quoteIdent, quoteQualified } from '../../db/quote.js';

/**
 * How scan spells names in the findings it writes: quoted where PostgreSQL would quote them (so
 * `"InvoiceLine"` and `"CustomerId"` resolve exactly in the findings loader), schema-qualified only
 * when the bare name would find another table along the search_path.
 */
export function tableParam(catalog: Catalog, table: Table): string {
  const bare = quoteIdent(table.name);
  return findTable(catalog, bare)?.oid === table.oid ? bare : quoteQualified(table.schema, table.name);
}

export const columnParam = (name: string): string => quoteIdent(name);

/** `schema.table` quoted for SQL. */
export const tableSql = (t: Table): string => quoteQualified(t.schema, t.name);

/** Words of an identifier in lower case: `InvoiceLine` → invoice, line; `last_lesson_id` → last, lesson, id. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Naive English singular, enough for table names: categories → category, addresses → address, users → user. */
export function singular(word: string): string {
  if (/ies$/.test(word)) return word.slice(0, -3) + 'y';
  if (/(ss|sh|ch|x|z)es$/.test(word)) return word.slice(0, -2);
  if (/s$/.test(word) && !/ss$/.test(word)) return word.slice(0, -1);
  return word;
}

/** An id fragment from a name: `InvoiceLine` → INVOICELINE (ids allow letters, digits, - _ .). */
export function idPart(name: string): string {
  return words(name).join('_').toUpperCase().slice(0, 24) || 'X';
}

/** `tables` of an `sql` finding: the table its steps lock. */
export function sqlTables(catalog: Catalog, table: Table): { tables: string[] } {
  return { tables: [tableParam(catalog, table)] };
}
