import type pg from 'pg';
import type { Table } from '../../db/catalog.js';
import { displayName, sqlName } from '../../db/quote.js';

/**
 * What the rollback rehearsal compares: the state before a finding's fix and after its rollback,
 * read by one statement each time (no catalog load). The schema of the finding's tables as lines
 * (columns, constraints, indexes, triggers, policies, row security — PostgreSQL's own pg_get_*def
 * text), every relation, type and function outside pgmend as a count and a digest (what a fix
 * creates elsewhere and a rollback forgets), and per table whose rows a step changes, an
 * order-free checksum of its rows: count, sum and xor of a 64-bit hash of each row's text — one
 * scan, no sort. Backups (schema pgmend) are kept by rollback and left out.
 */

export interface StateProbe {
  /** The finding's tables: their schema is compared line by line. */
  schemaTables: Table[];
  /** Tables whose rows a step changes: their rows are checksummed. */
  rowTables: Table[];
  /**
   * Prefix of the prepared statements the reads use, unique to one rehearsal, which deallocates
   * them at its end: a fixed name would clash with another client's through a transaction pooler.
   * Without it the read is not prepared.
   */
  statement?: string;
}

export interface RehearsedState {
  lines: string[];
  relations: string;
  functions: string;
  rows: string[];
}

const USER_SCHEMA = (n: string) => `${n}.nspname NOT IN ('pg_catalog', 'information_schema', 'pgmend') AND ${n}.nspname NOT LIKE 'pg\\_toast%' AND ${n}.nspname NOT LIKE 'pg\\_temp\\_%'`;

const LINES_SQL = `
  SELECT format('%s.%s: column %s %s%s%s%s%s', n.nspname, c.relname, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END, coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), ''),
                CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END, CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END) AS line
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attrelid = ANY ($1::oid[])
  UNION ALL
  SELECT format('%s.%s: constraint %s %s%s', n.nspname, c.relname, quote_ident(co.conname), pg_get_constraintdef(co.oid), CASE WHEN co.convalidated THEN '' ELSE ' (not validated)' END)
  FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE co.conrelid = ANY ($1::oid[])
  UNION ALL
  SELECT format('%s.%s: %s%s', n.nspname, c.relname, pg_get_indexdef(i.indexrelid), CASE WHEN i.indisvalid THEN '' ELSE ' (invalid)' END)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE i.indrelid = ANY ($1::oid[])
  UNION ALL
  SELECT format('%s.%s: %s (%s)', n.nspname, c.relname, pg_get_triggerdef(tg.oid), tg.tgenabled::text)
  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT tg.tgisinternal AND tg.tgrelid = ANY ($1::oid[])
  UNION ALL
  SELECT format('%s.%s: policy %s %s %s to %s using %s check %s', n.nspname, c.relname, quote_ident(p.polname), p.polcmd::text, p.polpermissive, p.polroles::text,
                coalesce(pg_get_expr(p.polqual, p.polrelid), '-'), coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-'))
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE p.polrelid = ANY ($1::oid[])
  UNION ALL
  SELECT format('%s.%s: kind %s, row security %s/%s, options %s', n.nspname, c.relname, c.relkind::text, c.relrowsecurity, c.relforcerowsecurity, coalesce(c.reloptions::text, '-'))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid = ANY ($1::oid[])`;

const RELATIONS_SQL = `SELECT count(*) || ' relation(s) and schema(s), digest ' || md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
    SELECT format('%s.%s %s', n.nspname, c.relname, c.relkind::text) AS x FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_SCHEMA('n')}
    UNION ALL SELECT format('%s.%s type %s %s', n.nspname, t.typname, t.typtype::text, (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid))
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('e', 'd') AND ${USER_SCHEMA('n')}
    UNION ALL SELECT 'schema ' || n.nspname FROM pg_namespace n WHERE ${USER_SCHEMA('n')}) AS s`;

const FUNCTIONS_SQL = `SELECT count(*) || ' function(s), digest ' || md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
    SELECT format('%s.%s(%s) %s %s %s %s', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc), p.provolatile::text, p.prosecdef, coalesce(p.proconfig::text, '-')) AS x
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${USER_SCHEMA('n')}) AS s`;

/** An order-free checksum of a table's rows: one scan, no sort (x::text is the whole row). */
const rowsSql = (t: Table) =>
  `(SELECT count(*) || ':' || coalesce(sum(hashtextextended(x::text, 0)), 0) || ':' || coalesce(bit_xor(hashtextextended(x::text, 7)), 0) FROM ${sqlName(t)} AS x)`;

/**
 * One prepared statement per read (planned once per set of checksummed tables: the finding's
 * tables are parameters, by oid), the row checksums as more columns.
 */
const schemaSql = (rowTables: Table[]) => `SELECT (SELECT coalesce(array_agg(line ORDER BY line COLLATE "C"), '{}') FROM (${LINES_SQL}) AS l) AS lines,
           (${RELATIONS_SQL}) AS relations, (${FUNCTIONS_SQL}) AS functions${rowTables.map((t, i) => `, ${rowsSql(t)} AS r${i}`).join('')}`;
const SCHEMA_ONLY = schemaSql([]);

export async function readState(client: pg.Client, probe: StateProbe): Promise<RehearsedState> {
  const values = [probe.schemaTables.map((t) => t.oid)];
  // Named by the tables checksummed: findings on the same tables reuse one plan.
  const name = probe.statement && `${probe.statement}${probe.rowTables.map((t) => `_${t.oid}`).join('')}`;
  const text = probe.rowTables.length ? schemaSql(probe.rowTables) : SCHEMA_ONLY;
  const { rows } = await client.query(name && name.length < 63 ? { name, text, values } : { text, values });
  const r = rows[0];
  return { lines: r.lines, relations: r.relations, functions: r.functions, rows: probe.rowTables.map((_, i) => String(r[`r${i}`])) };
}

/** What differs between the state before the fix and after its rollback, said for a reviewer; empty when restored exactly. */
export function stateDifferences(probe: StateProbe, before: RehearsedState, after: RehearsedState): string[] {
  const out: string[] = [];
  const onlyBefore = before.lines.filter((l) => !after.lines.includes(l));
  const onlyAfter = after.lines.filter((l) => !before.lines.includes(l));
  for (const l of onlyBefore) out.push(`schema: lost ${l}`);
  for (const l of onlyAfter) out.push(`schema: left ${l}`);
  if (before.relations !== after.relations) out.push(`relations outside the finding's tables: ${before.relations} before the fix, ${after.relations} after the rollback`);
  if (before.functions !== after.functions) out.push(`functions: ${before.functions} before the fix, ${after.functions} after the rollback`);
  probe.rowTables.forEach((t, i) => {
    if (before.rows[i] === after.rows[i]) return;
    const n = (s: string | undefined) => Number(s?.split(':')[0] ?? 0);
    const [b, a] = [n(before.rows[i]), n(after.rows[i])];
    out.push(`rows of ${displayName(t)}: ${b === a ? `${a} rows as before, but their values differ` : `${b} rows before the fix, ${a} after the rollback`}`);
  });
  return out;
}
