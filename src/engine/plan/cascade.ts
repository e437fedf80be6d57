import type pg from 'pg';
import type { Catalog, Constraint, FkAction } from '../../db/catalog.js';
import { tableByOid } from '../../db/catalog.js';
import { quoteIdent, quoteQualified } from '../../db/quote.js';
import type { CascadeNode } from './plan-model.js';

/**
 * The blast radius of deleting a parent row once a foreign key's ON DELETE rule changes: follow
 * CASCADE edges transitively (SET NULL / SET DEFAULT rows are changed, not deleted, so they end a
 * branch; RESTRICT / NO ACTION rows would block the delete and are shown as such). For each table
 * reached: the most rows one parent delete touches there, and the rows referencing any parent.
 */

const MAX_DEPTH = 6;

export interface ChangedEdge {
  /** The FK being changed (constraint oid, or undefined for a new FK). */
  constraintOid?: number;
  childOid: number;
  childColumns: string[];
  parentOid: number;
  parentColumns: string[];
  action: FkAction;
}

interface Edge {
  childOid: number;
  childColumns: string[];
  parentOid: number;
  parentColumns: string[];
  action: FkAction;
  name: string;
}

function edgesInto(catalog: Catalog, parentOid: number, changed: ChangedEdge): Edge[] {
  const sameAsChanged = (c: Constraint) =>
    c.oid === changed.constraintOid ||
    (c.tableOid === changed.childOid && c.columns.join(',') === changed.childColumns.join(','));
  const edges: Edge[] = catalog.constraints
    .filter((c): c is Constraint & { foreignKey: NonNullable<Constraint['foreignKey']> } => c.type === 'f' && c.foreignKey !== null && c.foreignKey.tableOid === parentOid && !c.inherited)
    .filter((c) => !sameAsChanged(c))
    .map((c) => ({ childOid: c.tableOid, childColumns: c.columns, parentOid, parentColumns: c.foreignKey.columns, action: c.foreignKey.onDelete, name: c.name }));
  if (changed.parentOid === parentOid) {
    edges.push({ childOid: changed.childOid, childColumns: changed.childColumns, parentOid, parentColumns: changed.parentColumns, action: changed.action, name: '(this change)' });
  }
  return edges;
}

/** Path from the root parent down to a table: each hop joins child → parent. */
interface Hop {
  edge: Edge;
}

function tableSql(catalog: Catalog, oid: number): string {
  const t = tableByOid(catalog, oid)!;
  return quoteQualified(t.schema, t.name);
}

/**
 * Rows reached per root parent key along a path: the last table joined up to the first child,
 * grouped by the first child's FK columns (the root parent's key).
 */
function countSql(catalog: Catalog, path: Hop[]): string {
  const alias = (i: number) => `pgmend_t${i}`;
  const last = path.length - 1;
  let from = `${tableSql(catalog, path[last]!.edge.childOid)} AS ${alias(last)}`;
  for (let i = last; i > 0; i--) {
    const e = path[i]!.edge;
    const on = e.childColumns.map((c, k) => `${alias(i)}.${quoteIdent(c)} = ${alias(i - 1)}.${quoteIdent(e.parentColumns[k]!)}`).join(' AND ');
    from += ` JOIN ${tableSql(catalog, path[i - 1]!.edge.childOid)} AS ${alias(i - 1)} ON ${on}`;
  }
  const rootKey = path[0]!.edge.childColumns.map((c) => `${alias(0)}.${quoteIdent(c)}`);
  const notNull = rootKey.map((k) => `${k} IS NOT NULL`).join(' AND ');
  return `SELECT coalesce(max(n), 0) AS max_per_parent, coalesce(sum(n), 0) AS total FROM (SELECT count(*) AS n FROM ${from} WHERE ${notNull} GROUP BY ${rootKey.join(', ')}) AS pgmend_c`;
}

/**
 * The same counts over the last table already grouped by the FK columns of the last hop (the
 * prechecks' scan of that table, fused-scans.ts): `grouped` has columns pgmend_k0, … (those
 * columns) and pgmend_n (rows per group, possibly finer groups). Joining a group joins the same
 * parent rows as each of its rows, so summing pgmend_n per root key equals count(*) above.
 */
function groupedCountSql(catalog: Catalog, path: Hop[], grouped: string): string {
  const alias = (i: number) => `pgmend_t${i}`;
  const last = path.length - 1;
  let from = `${grouped} AS ${alias(last)}`;
  for (let i = last; i > 0; i--) {
    const e = path[i]!.edge;
    const col = (c: string, k: number) => (i === last ? `${alias(i)}.pgmend_k${k}` : `${alias(i)}.${quoteIdent(c)}`);
    const on = e.childColumns.map((c, k) => `${col(c, k)} = ${alias(i - 1)}.${quoteIdent(e.parentColumns[k]!)}`).join(' AND ');
    from += ` JOIN ${tableSql(catalog, path[i - 1]!.edge.childOid)} AS ${alias(i - 1)} ON ${on}`;
  }
  const rootKey = path[0]!.edge.childColumns.map((c, k) => (last === 0 ? `${alias(0)}.pgmend_k${k}` : `${alias(0)}.${quoteIdent(c)}`));
  const notNull = rootKey.map((k) => `${k} IS NOT NULL`).join(' AND ');
  return `SELECT coalesce(max(n), 0) AS max_per_parent, coalesce(sum(n), 0) AS total FROM (SELECT sum(${alias(last)}.pgmend_n) AS n FROM ${from} WHERE ${notNull} GROUP BY ${rootKey.join(', ')}) AS pgmend_c`;
}

/** A path's count as a grouped read of its last table: `key` is the query blastRadius would run (its CascadeCounts key). */
export interface CascadeRead {
  key: string;
  target: { schema: string; name: string };
  keys: string[];
  answer: (grouped: string) => string;
}

/** Every count blastRadius will need for this change, as grouped reads the prechecks' scans can answer. */
export function cascadeReads(catalog: Catalog, changed: ChangedEdge): CascadeRead[] {
  const out: CascadeRead[] = [];
  const walk = (parentOid: number, path: Hop[], seen: Set<number>): void => {
    if (path.length >= MAX_DEPTH) return;
    for (const edge of edgesInto(catalog, parentOid, changed)) {
      const hopPath = [...path, { edge }];
      const t = tableByOid(catalog, edge.childOid)!;
      out.push({ key: countSql(catalog, hopPath), target: { schema: t.schema, name: t.name }, keys: edge.childColumns.map(quoteIdent), answer: (g) => groupedCountSql(catalog, hopPath, g) });
      if (edge.action === 'cascade' && !seen.has(edge.childOid)) walk(edge.childOid, hopPath, new Set([...seen, edge.childOid]));
    }
  };
  walk(changed.parentOid, [], new Set([changed.parentOid]));
  return out;
}

/** Counts already read in this snapshot, by query: findings on the same parent walk the same paths. A query that failed (a table held by another session) is not run again. */
export type CascadeCounts = Map<string, { max_per_parent: unknown; total: unknown } | Error>;

export async function blastRadius(client: pg.Client, catalog: Catalog, changed: ChangedEdge, counts: CascadeCounts = new Map()): Promise<CascadeNode[]> {
  async function walk(parentOid: number, path: Hop[], seen: Set<number>): Promise<CascadeNode[]> {
    if (path.length >= MAX_DEPTH) return [];
    const nodes: CascadeNode[] = [];
    for (const edge of edgesInto(catalog, parentOid, changed)) {
      const hopPath = [...path, { edge }];
      const sql = countSql(catalog, hopPath);
      let row = counts.get(sql);
      if (row instanceof Error) throw row;
      if (!row) {
        try {
          row = (await client.query(sql)).rows[0] as { max_per_parent: unknown; total: unknown };
        } catch (e) {
          counts.set(sql, e as Error);
          throw e;
        }
        counts.set(sql, row);
      }
      const child = tableByOid(catalog, edge.childOid)!;
      const node: CascadeNode = {
        table: child.qualified,
        via: `${edge.name} (${edge.childColumns.join(', ')})`,
        action: edge.action,
        maxPerParent: Number(row.max_per_parent),
        total: Number(row.total),
        children: [],
      };
      // Only deleted rows go on to reach their own children; a cycle ends the branch.
      if (edge.action === 'cascade' && !seen.has(edge.childOid)) {
        node.children = await walk(edge.childOid, hopPath, new Set([...seen, edge.childOid]));
      }
      nodes.push(node);
    }
    return nodes.sort((a, b) => b.total - a.total || a.table.localeCompare(b.table));
  }
  return walk(changed.parentOid, [], new Set([changed.parentOid]));
}
