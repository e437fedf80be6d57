import type pg from 'pg';
import type { AggregateJoins, DerivedTable } from './decorrelate.js';
import { batchCountSelect } from './batch-count.js';
import { findTable, type Catalog } from '../../db/catalog.js';
import { withSavepoint } from '../../db/session.js';

/**
 * Counters make one table's checks read another: `identities.total_licenses` is compared with a
 * count of `licenses` grouped by identity_id. Batched per table, `licenses` is then read once for
 * its own checks and once more, grouped, for every table whose counters count it. Fused, ONE scan
 * of `licenses` does both: grouped by every key those counters join on, its own checks counted per
 * group (then summed), the counters' aggregates computed per group (then rolled up per key: a sum
 * of counts, a min of mins). One statement holds the fused scans and the tables that read them.
 *
 * Fused only where it is plainly the same work: the child's own checks join nothing grouped
 * themselves, the counters name the child without an alias, every aggregate rolls up (no avg, no
 * DISTINCT), and the planner expects few enough groups that hashing them costs less than a scan.
 */

export interface TableBatch {
  /** The table as the checks' FROM names it. */
  table: string;
  target: { schema: string; name: string };
  /** Its own instance, with a prefix no other batch uses (their CTEs meet in one statement). */
  joins: AggregateJoins;
  /** The checks' predicates, rewritten by `joins`. */
  predicates: string[];
}

/** Above this many estimated groups a fused scan would hash more than a second scan reads. */
export const MAX_FUSED_GROUPS = 100_000;

interface Child {
  batch: number;
  keys: string[];
  /** Every aggregate the consumers need, computed per group. */
  values: string[];
  /** The consumers' grouped scans this child answers. */
  answers: Set<DerivedTable>;
}

export interface FusedStatement {
  sql: string;
  /** Batch indexes, in the order of the statement's columns r0, r1, …: each an array of counts, one per predicate. */
  batches: number[];
  /** Fused children and the keys they group by (to check the planner's group estimate before running). */
  children: { table: string; keys: string[] }[];
}

const sameTable = (a: { schema: string; name: string }, b: { schema: string; name: string }) => a.schema === b.schema && a.name === b.name;

/** The statement that counts the fusable batches together; undefined when no counter reads another batch's table. */
export function fuseBatches(batches: TableBatch[], catalog: Catalog, excluded: Set<string> = new Set()): FusedStatement | undefined {
  const children = new Map<number, Child>();
  const consumers = new Set<number>();
  batches.forEach((b, c) => {
    if (excluded.has(b.table) || b.joins.grouped().length > 0 || b.joins.subqueriesLeft) return;
    batches.forEach((consumer, t) => {
      if (t === c) return;
      for (const d of consumer.joins.grouped()) {
        let from;
        try {
          from = findTable(catalog, d.from);
        } catch {
          continue; // an alias or anything else than a plain table name
        }
        if (!from || !sameTable(from, b.target) || d.rollups.some((r) => r === '')) continue;
        const child = children.get(c) ?? { batch: c, keys: [], values: [], answers: new Set() };
        for (const k of d.keys) if (!child.keys.includes(k)) child.keys.push(k);
        for (const v of d.values) if (!child.values.includes(v)) child.values.push(v);
        child.answers.add(d);
        children.set(c, child);
        consumers.add(t);
      }
    });
  });
  if (children.size === 0) return undefined;

  const fusedName = (c: Child) => `pgmend_f${c.batch}`;
  const fused = [...children.values()].map((c) => {
    const b = batches[c.batch]!;
    const cols = [
      ...c.keys.map((k, i) => `${k} AS pgmend_g${i}`),
      ...b.predicates.map((x, i) => `count(*) FILTER (WHERE ${x}) AS pgmend_o${i}`),
      ...c.values.map((v, i) => `${v} AS pgmend_a${i}`),
    ];
    const groupBy = c.keys.map((_, i) => String(i + 1)).join(', ');
    return `${fusedName(c)} AS MATERIALIZED (SELECT\n    ${cols.join(',\n    ')}\n  FROM ${b.table}${b.joins.joins()}\n  GROUP BY ${groupBy})`;
  });
  const answer = (d: DerivedTable): string | undefined => {
    const c = [...children.values()].find((x) => x.answers.has(d));
    if (!c) return undefined;
    const cols = [
      ...d.keys.map((k, i) => `pgmend_g${c.keys.indexOf(k)} AS pgmend_k${i}`),
      ...d.values.map((v, i) => `${d.rollups[i]!.replace('$', `pgmend_a${c.values.indexOf(v)}`)} AS pgmend_v${i}`),
    ];
    return `SELECT ${cols.join(', ')} FROM ${fusedName(c)} GROUP BY ${d.keys.map((_, i) => String(i + 1)).join(', ')}`;
  };
  const order = [...children.keys(), ...[...consumers].filter((t) => !children.has(t))];
  const ctes = [...fused, ...order.filter((t) => !children.has(t)).flatMap((t) => batches[t]!.joins.ctes(answer))];
  const columns = order.map((t, k) => {
    const c = children.get(t);
    const b = batches[t]!;
    const body = c
      ? `SELECT ARRAY[${b.predicates.map((_, i) => `coalesce(sum(pgmend_o${i}), 0)`).join(', ')}]::bigint[] FROM ${fusedName(c)}`
      : `SELECT ARRAY[${b.predicates.map((_, i) => `c${i}`).join(', ')}]::bigint[] FROM (${batchCountSelect(b.table, b.joins, b.predicates)}) AS pgmend_b`;
    return `(${body}) AS r${k}`;
  });
  return {
    sql: `WITH ${ctes.join(',\n')}\nSELECT\n  ${columns.join(',\n  ')}`,
    batches: order,
    children: [...children.values()].map((c) => ({ table: batches[c.batch]!.table, keys: c.keys })),
  };
}

/** The planner's estimate of how many groups `GROUP BY keys` makes of a table. */
async function estimatedGroups(client: pg.Client, table: string, keys: string[]): Promise<number> {
  const { rows } = await client.query(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${table} GROUP BY ${keys.join(', ')}`);
  const plan = (rows[0]['QUERY PLAN'] as { Plan: { 'Plan Rows': number } }[])[0]!.Plan;
  return plan['Plan Rows'];
}

/**
 * Counts the fusable batches in one statement: per batch index, its counts. Empty when nothing
 * fuses or the statement fails (the caller then counts every batch on its own).
 */
export async function countFused(client: pg.Client, batches: TableBatch[], catalog: Catalog): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  try {
    await withSavepoint(client, async () => {
      let statement = fuseBatches(batches, catalog);
      if (!statement) return;
      const excluded = new Set<string>();
      for (const c of statement.children) if ((await estimatedGroups(client, c.table, c.keys)) > MAX_FUSED_GROUPS) excluded.add(c.table);
      if (excluded.size > 0) statement = fuseBatches(batches, catalog, excluded);
      if (!statement) return;
      const { rows } = await client.query(statement.sql);
      statement.batches.forEach((b, k) => out.set(b, (rows[0][`r${k}`] as string[]).map(Number)));
    });
  } catch {
    out.clear();
  }
  return out;
}
