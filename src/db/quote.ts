import { UsageError } from '../util/errors.js';

/**
 * Quoting with PostgreSQL's own rules, so SQL we render is never spliced and reads the way
 * `quote_ident` / `pg_get_*def` would print it.
 */

/**
 * Keywords `quote_ident` quotes: PostgreSQL 18 appendix C categories "reserved", "reserved (can be
 * function or type)" and "non-reserved (cannot be function or type)" (pg_get_keywords() catcodes R, T
 * and C). The last group is not reserved everywhere, but `quote_ident` quotes it because some
 * positions (e.g. `SELECT values FROM t`) would not parse; matching it keeps our text identical to
 * what PostgreSQL prints.
 */
const QUOTED_KEYWORDS: ReadonlySet<string> = new Set([
  // reserved
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast',
  'check', 'collate', 'column', 'constraint', 'create', 'current_catalog', 'current_date', 'current_role',
  'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable', 'desc', 'distinct', 'do',
  'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in',
  'initially', 'intersect', 'into', 'lateral', 'leading', 'limit', 'localtime', 'localtimestamp', 'not',
  'null', 'offset', 'on', 'only', 'or', 'order', 'placing', 'primary', 'references', 'returning', 'select',
  'session_user', 'some', 'symmetric', 'system_user', 'table', 'then', 'to', 'trailing', 'true', 'union',
  'unique', 'user', 'using', 'variadic', 'when', 'where', 'window', 'with',
  // reserved (can be function or type)
  'authorization', 'binary', 'collation', 'concurrently', 'cross', 'current_schema', 'freeze', 'full',
  'ilike', 'inner', 'is', 'isnull', 'join', 'left', 'like', 'natural', 'notnull', 'outer', 'overlaps',
  'right', 'similar', 'tablesample', 'verbose',
  // non-reserved (cannot be function or type)
  'between', 'bigint', 'bit', 'boolean', 'char', 'character', 'coalesce', 'dec', 'decimal', 'exists',
  'extract', 'float', 'greatest', 'grouping', 'inout', 'int', 'integer', 'interval', 'json', 'json_array',
  'json_arrayagg', 'json_exists', 'json_object', 'json_objectagg', 'json_query', 'json_scalar',
  'json_serialize', 'json_table', 'json_value', 'least', 'merge_action', 'national', 'nchar', 'none',
  'normalize', 'nullif', 'numeric', 'out', 'overlay', 'position', 'precision', 'real', 'row', 'setof',
  'smallint', 'substring', 'time', 'timestamp', 'treat', 'trim', 'values', 'varchar', 'xmlattributes',
  'xmlconcat', 'xmlelement', 'xmlexists', 'xmlforest', 'xmlnamespaces', 'xmlparse', 'xmlpi', 'xmlroot',
  'xmlserialize', 'xmltable',
]);

const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function rejectNul(value: string, what: string): void {
  if (value.includes('\0')) {
    throw new UsageError(`${what} contains a NUL byte`, 'PostgreSQL text cannot hold NUL (\\0); remove it from the input');
  }
}

/** An identifier as `quote_ident` prints it: bare when plain lower case and not a keyword, else double-quoted. */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new UsageError('empty identifier', 'table, column and constraint names cannot be empty');
  rejectNul(name, `identifier ${JSON.stringify(name.replaceAll('\0', ''))}`);
  if (PLAIN_IDENTIFIER.test(name) && !QUOTED_KEYWORDS.has(name)) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

/** `schema.name`, each part quoted only where needed. */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A schema-qualified object name as the catalog stores it (case, spaces, quotes kept). */
export interface QualifiedName {
  schema: string;
  name: string;
}

/** The one way a table, function or other qualified name becomes SQL: `public."InvoiceLine"`. */
export function sqlName(n: QualifiedName): string {
  return quoteQualified(n.schema, n.name);
}

/** How a name reads in messages and labels: `public.InvoiceLine` (never SQL). */
export function displayName(n: QualifiedName): string {
  return `${n.schema}.${n.name}`;
}

export type LiteralValue = string | number | bigint | boolean | null;

/**
 * A SQL literal. Strings use standard_conforming_strings (on by default since 9.1; sessions that
 * render SQL must not turn it off), so only quotes are doubled and backslashes stay as they are.
 */
export function quoteLiteral(value: LiteralValue): string {
  if (value === null) return 'NULL';
  switch (typeof value) {
    case 'string':
      rejectNul(value, 'string value');
      return `'${value.replaceAll("'", "''")}'`;
    case 'number':
      if (!Number.isFinite(value)) throw new UsageError(`cannot use ${value} as a SQL value: numbers must be finite`, 'use a finite number, or null');
      return String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'TRUE' : 'FALSE';
    default:
      throw new UsageError(`cannot use a ${typeof value} as a SQL value`, 'use a string, number, boolean or null');
  }
}
