import type { Node, ResTarget } from 'libpg-query';
import { kindOf, names, sameName, tableName, walk } from './ast.js';
import type { MapResult } from './candidate.js';
import { rewriteOuterAlias } from './rewrite-alias.js';
import { deparse } from './sql-parser.js';
import type { Statement } from './statements.js';

/**
 * A reconciliation `UPDATE t [alias] SET col = (correlated subquery) [WHERE col <> (same)]` →
 * `counter` {table, column, expression}, the expression naming the outer table by its name.
 */
export function mapCounter(stmt: Statement): MapResult {
  if (!('UpdateStmt' in stmt.node)) return undefined;
  const update = stmt.node.UpdateStmt;
  const table = tableName(update.relation);
  const bare = update.relation?.relname ?? table;
  const alias = update.relation?.alias?.aliasname;

  if ((update.fromClause ?? []).length > 0 || update.withClause || update.returningClause) {
    return { rejected: 'UPDATE with FROM, WITH or RETURNING: not a counter reconciliation' };
  }
  const targets = (update.targetList ?? []).flatMap((n) => ('ResTarget' in n ? [n.ResTarget] : []));
  const target: ResTarget | undefined = targets.length === 1 ? targets[0] : undefined;
  if (!target?.name || !target.val || (target.indirection ?? []).length > 0) {
    return { rejected: 'UPDATE of several columns: a counter recomputes one' };
  }
  if (!hasSubquery(target.val)) return { rejected: 'UPDATE without a subquery: a data change, not a counter' };
  if (update.whereClause && !isDriftFilter(update.whereClause, target.name, target.val, alias ?? bare)) {
    return { rejected: 'UPDATE whose WHERE is not "column <> (the same expression)": a counter covers every row' };
  }

  const rewritten = rewriteOuterAlias(target.val, alias, bare);
  if (!rewritten.ok) return { rejected: rewritten.reason };
  if (!rewritten.correlated) return { rejected: `the subquery does not read the ${bare} row it updates` };
  const column = target.name;
  return {
    candidate: {
      playbook: 'counter',
      params: { table, column, expression: deparse(rewritten.expr as Node) },
      statements: [stmt],
      id: `CNT-${bare}.${column}`,
      description: `${table}.${column} matches what it counts`,
      match: { table, columns: [column] },
    },
  };
}

function hasSubquery(expr: Node): boolean {
  let found = false;
  walk(expr, (kind) => {
    if (kind === 'SubLink') found = true;
  });
  return found;
}

/** `col <> expr`, `col != expr` or `col IS DISTINCT FROM expr` (either side), expr the SET value. */
function isDriftFilter(where: Node, column: string, value: Node, qualifier: string): boolean {
  if (!('A_Expr' in where)) return false;
  const e = where.A_Expr;
  const op = names(e.name).join('');
  const distinct = e.kind === 'AEXPR_DISTINCT' || (e.kind === 'AEXPR_OP' && op === '<>');
  if (!distinct || !e.lexpr || !e.rexpr) return false;
  const isColumn = (n: Node) => {
    if (kindOf(n) !== 'ColumnRef' || !('ColumnRef' in n)) return false;
    const parts = names(n.ColumnRef.fields);
    return parts.length === 1 ? sameName(parts[0], column) : parts.length === 2 && sameName(parts[0], qualifier) && sameName(parts[1], column);
  };
  const same = (n: Node) => deparse(n) === deparse(value);
  return (isColumn(e.lexpr) && same(e.rexpr)) || (isColumn(e.rexpr) && same(e.lexpr));
}
