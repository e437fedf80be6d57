import {
  constraintsOf,
  tableByRef,
  indexesOf,
  tableByOid,
  triggersOf,
  type Catalog,
  type Column,
  type FunctionInfo,
  type Table,
  type Trigger,
} from './catalog.js';
import { quoteIdent, quoteQualified } from './quote.js';

/**
 * Deterministic DDL text of tables, as a reviewer reads it in a schema diff. Everything comes from
 * the catalog (PostgreSQL's own pg_get_*def text), sorted by name with a plain code-point order, so
 * an unchanged table always gives byte-identical text and any change shows as a line diff.
 * Names inside pg_get_*def are schema-qualified only when not on the search_path, as PostgreSQL prints them.
 */

const byName = <T extends { name: string; definition: string }>(a: T, b: T): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.definition < b.definition ? -1 : a.definition > b.definition ? 1 : 0;

function columnLine(c: Column): string {
  let line = `    ${quoteIdent(c.name)} ${c.type}`;
  if (c.collation) line += ` COLLATE ${c.collation}`;
  if (c.generated) line += ` GENERATED ALWAYS AS (${c.generated.expression}) ${c.generated.kind === 'stored' ? 'STORED' : 'VIRTUAL'}`;
  if (c.identity) line += ` GENERATED ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
  if (c.default !== null) line += ` DEFAULT ${c.default}`;
  if (c.notNull) line += c.notNullValidated ? ' NOT NULL' : ' NOT NULL NOT VALID';
  return line;
}

function triggerLines(tableName: string, t: Trigger): string[] {
  const lines = [`${t.definition};`];
  const alter = `ALTER TABLE ${tableName}`;
  if (t.firing === 'disabled') lines.push(`${alter} DISABLE TRIGGER ${quoteIdent(t.name)};`);
  if (t.firing === 'replica') lines.push(`${alter} ENABLE REPLICA TRIGGER ${quoteIdent(t.name)};`);
  if (t.firing === 'always') lines.push(`${alter} ENABLE ALWAYS TRIGGER ${quoteIdent(t.name)};`);
  return lines;
}

/** One table: CREATE TABLE with columns and constraints, then its other indexes and its triggers. */
export function tableDdl(catalog: Catalog, table: Table): string {
  const name = quoteQualified(table.schema, table.name);
  const body = table.columns.map(columnLine);
  for (const c of [...constraintsOf(catalog, table)].sort(byName)) {
    const notValid = !c.validated && !/\bNOT VALID$/.test(c.definition) ? ' NOT VALID' : '';
    body.push(`    CONSTRAINT ${quoteIdent(c.name)} ${c.definition}${notValid}`);
  }
  const lines = [`CREATE TABLE ${name} (`, body.join(',\n'), `)${table.partitionKey ? ` PARTITION BY ${table.partitionKey}` : ''};`];
  if (body.length === 0) lines.splice(1, 1);
  if (table.partitionOfOid !== null) {
    const parent = tableByOid(catalog, table.partitionOfOid);
    const parentName = parent ? quoteQualified(parent.schema, parent.name) : table.partitionOf;
    lines.push(`ALTER TABLE ${parentName} ATTACH PARTITION ${name} ${table.partitionBound};`);
  }
  for (const i of [...indexesOf(catalog, table)].sort(byName)) {
    if (i.constraint !== null) continue;
    lines.push(`${i.definition};${i.valid ? '' : ' -- INVALID'}`);
  }
  for (const t of [...triggersOf(catalog, table)].sort(byName)) lines.push(...triggerLines(name, t));
  return lines.join('\n') + '\n';
}

/** CREATE FUNCTION text of the given functions, ordered by name and arguments. */
export function functionsDdl(functions: FunctionInfo[]): string {
  const sorted = [...functions].sort((a, b) => {
    const ka = `${a.qualified}(${a.identityArgs})`;
    const kb = `${b.qualified}(${b.identityArgs})`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return sorted
    .map((f) => (f.definition === null ? `-- ${quoteQualified(f.schema, f.name)}(${f.identityArgs}): definition not loaded (md5 ${f.hash})\n` : `${f.definition.trimEnd()};\n`))
    .join('\n');
}

/** User-schema functions called by the triggers of these tables. */
export function triggerFunctions(catalog: Catalog, tables: Table[]): FunctionInfo[] {
  const oids = new Set(tables.flatMap((t) => triggersOf(catalog, t).map((tg) => tg.functionOid)));
  return catalog.functions.filter((f) => oids.has(f.oid));
}

/**
 * Several tables (in name order) and the functions their triggers call. Lenient on purpose: a
 * table that does not exist (yet, or any more) gives a comment line, so before/after diffs of a fix
 * that creates or drops a table still line up.
 */
export function schemaDdl(catalog: Catalog, tables: readonly string[]): string {
  const found = new Map<string, Table>();
  const missing = new Set<string>();
  for (const ref of tables) {
    const t = tableByRef(catalog, ref);
    if (t) found.set(t.qualified, t);
    else missing.add(ref.trim());
  }
  const parts = [
    ...[...found.entries()].map(([key, t]) => ({ key, text: tableDdl(catalog, t) })),
    ...[...missing].map((ref) => ({ key: ref.includes('.') ? ref : `${catalog.searchPath[0] ?? ''}.${ref}`, text: `-- ${ref}: no such table\n` })),
  ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const functions = triggerFunctions(catalog, [...found.values()]);
  const texts = parts.map((p) => p.text);
  if (functions.length > 0) texts.push(functionsDdl(functions));
  return texts.join('\n');
}
