import { UsageError } from '../util/errors.js';
import { closestBy } from '../util/did-you-mean.js';
import { findColumn, findTable, type Catalog, type Column, type Table } from './catalog.js';
import { parseName } from './names.js';
import { quoteIdent, quoteQualified } from './quote.js';

/**
 * Lookups that must succeed: unknown names become a UsageError with a did-you-mean suggestion,
 * e.g. `unknown table "identites" — did you mean "public.identities"?`.
 */

/** `"public.users"`, or `public."Order"` when the name itself needs quotes. */
function mention(text: string): string {
  return text.includes('"') ? text : `"${text}"`;
}

/** A name part a findings file can hold unquoted: PostgreSQL's own spelling reads back exactly (findTable). */
const writableBare = (name: string) => !/[".]/.test(name) && name.trim() === name;

/**
 * How to write a table or column in a findings file so that pasting it back finds exactly it:
 * the catalog's spelling (`"public.InvoiceLine"`, `"createdAt"`), or, where a part holds a dot, a
 * double quote or edge spaces, SQL-quoted inside YAML single quotes (`'app."v1.2"'`).
 */
export function writtenName(...parts: string[]): string {
  if (parts.every(writableBare)) return `"${parts.join('.')}"`;
  return `'${parts.map((p) => quoteIdent(p)).join('.').replaceAll("'", "''")}'`;
}

/**
 * A column as a findings file's value holds it (`resolution.orderBy`): the catalog's spelling,
 * which findColumn matches exactly before any folding, or SQL-quoted where a bare part cannot be.
 */
export function columnRef(name: string): string {
  return writableBare(name) ? name : quoteIdent(name);
}

/** How a table is named in messages: qualified, quoted only where needed. */
export function tableLabel(table: Table): string {
  return quoteQualified(table.schema, table.name);
}

export function resolveTable(catalog: Catalog, ref: string): Table {
  const found = findTable(catalog, ref);
  if (found) return found;
  const parts = parseName(ref, 'table', 2);
  const qualified = parts.length === 2;
  // Compare like with like: a bare name against bare names, `schema.name` against qualified names.
  // Among equally close names, the one earliest on the search_path wins.
  const rank = (t: Table) => {
    const i = catalog.searchPath.indexOf(t.schema);
    return i < 0 ? catalog.searchPath.length : i;
  };
  const candidates = [...catalog.tables].sort((a, b) => rank(a) - rank(b));
  const wanted = qualified ? `${parts[0]!.text}.${parts[1]!.text}` : parts[0]!.text;
  const suggestion = closestBy(wanted, candidates, (t) => (qualified ? `${t.schema}.${t.name}` : t.name));
  const shown = mention(ref.trim());
  if (suggestion) throw new UsageError(`unknown table ${shown}`, `did you mean ${writtenName(suggestion.schema, suggestion.name)}?`);
  if (qualified && !catalog.schemas.includes(parts[0]!.text) && !catalog.schemas.includes(parts[0]!.text.toLowerCase())) {
    throw new UsageError(`unknown table ${shown}: there is no schema ${mention(parts[0]!.text)}`, `schemas: ${catalog.schemas.join(', ') || '(none)'}`);
  }
  const where = qualified ? '' : ` (looked up in search_path: ${catalog.searchPath.join(', ') || 'empty'})`;
  throw new UsageError(`unknown table ${shown}${where}`, 'check the name; write schema.table for tables outside the search_path');
}

export function resolveColumn(catalog: Catalog, table: Table | string, name: string): Column {
  const t = typeof table === 'string' ? resolveTable(catalog, table) : table;
  const found = findColumn(t, name);
  if (found) return found;
  const suggestion = closestBy(name.replace(/^"(.*)"$/s, '$1'), t.columns, (c) => c.name);
  const message = `table ${tableLabel(t)} has no column ${mention(name)}`;
  if (suggestion) throw new UsageError(message, `did you mean ${writtenName(suggestion.name)}?`);
  throw new UsageError(message, `its columns: ${t.columns.map((c) => quoteIdent(c.name)).join(', ')}`);
}
