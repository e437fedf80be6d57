import type pg from 'pg';
import type { Table } from '../../db/catalog.js';

/**
 * ANALYZE's estimate of how many distinct values a column holds, from pg_stats (readable for any
 * column the role may SELECT). Used only to skip questions on large, sampled tables that the
 * estimate already answers: a key with a few thousand values in millions of rows cannot be nearly
 * unique, and grouping it would hash every row for nothing. A column with no statistics (never
 * analyzed) has no estimate and is asked as before.
 */
export type DistinctEstimate = (table: Table, column: string) => number | null;

export async function loadDistinctEstimates(client: pg.Client, tables: Table[]): Promise<DistinctEstimate> {
  if (tables.length === 0) return () => null;
  const { rows } = await client.query<{ oid: number; column: string; null_frac: number; n_distinct: number }>(
    `SELECT c.oid::int AS oid, s.attname AS column, s.null_frac, s.n_distinct
       FROM pg_stats s JOIN pg_namespace n ON n.nspname = s.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.tablename
      WHERE c.oid = ANY ($1::oid[]) AND NOT s.inherited`,
    [tables.map((t) => t.oid)],
  );
  const byKey = new Map(rows.map((r) => [`${r.oid}:${r.column}`, r]));
  return (table, column) => {
    const s = byKey.get(`${table.oid}:${column}`);
    const total = table.estimatedRows;
    if (!s || !total) return null;
    // n_distinct < 0: a share of the (non-null) rows; > 0: a count.
    return s.n_distinct < 0 ? -s.n_distinct * total * (1 - s.null_frac) : s.n_distinct;
  };
}
