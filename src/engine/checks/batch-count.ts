import type { AggregateJoins } from './decorrelate.js';

/**
 * The one SELECT that counts every predicate check of a table in one scan: a column c0, c1, … per
 * predicate (already rewritten by `joins`), without the WITH of its grouped scans — the caller puts
 * `joins.with()` in front, or gathers the CTEs of several tables into one statement.
 *
 * With no subquery left, a plain aggregate the planner can run in parallel. Otherwise the
 * predicates are evaluated below the aggregate (OFFSET 0 keeps the subquery apart): only there
 * does the planner know an EXISTS runs once per row, and hash it rather than probe per row.
 */
export function batchCountSelect(table: string, joins: AggregateJoins, predicates: string[]): string {
  return joins.subqueriesLeft
    ? `SELECT\n  ${predicates.map((_, i) => `count(*) FILTER (WHERE pgmend_c${i}) AS c${i}`).join(',\n  ')}\n` +
        `FROM (SELECT\n    ${predicates.map((x, i) => `(${x}) AS pgmend_c${i}`).join(',\n    ')}\n  FROM ${table}${joins.joins()}\n  OFFSET 0) AS pgmend_rows`
    : `SELECT\n  ${predicates.map((x, i) => `count(*) FILTER (WHERE ${x}) AS c${i}`).join(',\n  ')}\nFROM ${table}${joins.joins()}`;
}
