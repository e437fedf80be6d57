import { deparseSync, parseSync } from 'pgsql-parser';
import { quoteIdent } from '../../db/quote.js';
import { AggregateJoins } from '../checks/decorrelate.js';

/**
 * A counter repair's UPDATE sets the counter to its correlated aggregate
 * (`total_licenses = (SELECT count(*) FROM licenses WHERE licenses.identity_id = identities.id)`),
 * which PostgreSQL runs once per repaired row: without an index on the child's key that is a
 * whole scan of the child per row — seconds each at millions of rows, in the maintenance window.
 * Written instead with the aggregate read by ONE grouped scan of the child (decorrelate.ts, as the
 * counts and the backup already read it), restricted to the keys of the rows this transaction
 * backed up (with an index, the planner reads only those keys' children), LEFT JOINed back so a
 * row with no child rows gets the aggregate's empty value. Same rows, same values, same triggers.
 * Undefined where the SET list is not in that plainly safe shape: the correlated form stays.
 */

type Node = Record<string, unknown>;

/** `set` (`col = expr, …`) applied to the rows `changed` selects (its columns qualified by the name given), or undefined. */
export function groupedRepair(table: string, outer: { schema: string; name: string }, set: string, changed: (of: string) => string): string | undefined {
  let targets: Node[];
  try {
    const tree = parseSync(`UPDATE pgmend_t SET ${set}`) as { stmts: { stmt: Node }[] };
    targets = ((tree.stmts[0]?.stmt.UpdateStmt as Node | undefined)?.targetList as Node[] | undefined) ?? [];
  } catch {
    return undefined;
  }
  const joins = new AggregateJoins(outer);
  const assignments: { column: string; value: string }[] = [];
  for (const t of targets) {
    const r = t.ResTarget as { name?: string; indirection?: unknown[]; val?: unknown } | undefined;
    if (!r?.name || r.indirection?.length || !r.val) return undefined;
    assignments.push({ column: r.name, value: joins.rewrite(deparseSync(r.val as never)) });
  }
  if (assignments.length === 0 || joins.grouped().length === 0 || joins.subqueriesLeft) return undefined;
  const ctes = joins.ctes((d) => {
    const cols = [...d.keys.map((k, i) => `${k} AS pgmend_k${i}`), ...d.values.map((v, i) => `${v} AS pgmend_v${i}`)].join(', ');
    // Only the children of the rows being repaired.
    const mine = `(${d.keys.join(', ')}) IN (SELECT ${d.outerKeys.join(', ')} FROM ${table} WHERE ${changed(table)})`;
    return `SELECT ${cols} FROM ${d.from} WHERE ${mine} GROUP BY ${d.keys.map((_, i) => String(i + 1)).join(', ')}`;
  });
  const values = assignments.map((a, i) => `(${a.value}) AS pgmend_s${i}`).join(', ');
  // The grouped scans inside FROM: the statement still starts with its verb (UPDATE), as every reader of plans expects.
  const rows = `WITH ${ctes.join(', ')} SELECT ${table}.tableoid AS pgmend_tt, ${table}.ctid AS pgmend_tc, ${values} FROM ${table}${joins.joins()} WHERE ${changed(table)}`;
  return (
    `UPDATE ${table} SET ${assignments.map((a, i) => `${quoteIdent(a.column)} = pgmend_x.pgmend_s${i}`).join(', ')}` +
    ` FROM (${rows}) AS pgmend_x WHERE ${changed(table)} AND ${table}.tableoid = pgmend_x.pgmend_tt AND ${table}.ctid = pgmend_x.pgmend_tc`
  );
}
