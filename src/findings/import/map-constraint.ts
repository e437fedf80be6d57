import type { A_Const, Node } from 'libpg-query';
import { names, referencedColumns } from './ast.js';
import { singleAlter } from './alter-table.js';
import type { MapResult } from './candidate.js';
import { deparse } from './sql-parser.js';
import type { Statement } from './statements.js';

/**
 * `ADD CONSTRAINT … CHECK (expr)` → `check`, or `allowed-values` when the expression is
 * `column IN (…)` (or `column = ANY (ARRAY[…])`); `ALTER COLUMN … SET NOT NULL` → `not-null`.
 */
export function mapConstraint(stmt: Statement): MapResult {
  const alter = singleAlter(stmt);
  if (!alter) return undefined;
  const { table } = alter;
  const bare = table.split('.').pop() ?? table;

  if (alter.cmd.subtype === 'AT_SetNotNull' && alter.cmd.name) {
    const column = alter.cmd.name;
    return {
      candidate: {
        playbook: 'not-null',
        params: { table, column },
        statements: [stmt],
        id: `NN-${bare}.${column}`,
        description: `${table}.${column} NOT NULL`,
        match: { table, columns: [column] },
      },
    };
  }

  const check = alter.constraint;
  if (check?.contype !== 'CONSTR_CHECK' || !check.raw_expr) return undefined;
  if (check.is_no_inherit) return { rejected: 'CHECK … NO INHERIT: not a check playbook param' };
  const columns = referencedColumns(check.raw_expr);
  // PostgreSQL's own default name: table_firstcolumn_check.
  const name = check.conname ?? `${bare}_${columns[0] ?? ''}_check`.replace('__', '_');

  const allowed = allowedValues(check.raw_expr);
  if (allowed) {
    return {
      candidate: {
        playbook: 'allowed-values',
        params: { table, column: allowed.column, values: allowed.values, name },
        statements: [stmt],
        id: `AV-${name}`,
        description: `${table}.${allowed.column} in (${allowed.values.join(', ')})`,
        match: { table, columns: [allowed.column] },
      },
    };
  }
  const expression = deparse(check.raw_expr);
  return {
    candidate: {
      playbook: 'check',
      params: { table, name, expression },
      statements: [stmt],
      id: `CHK-${name}`,
      description: `${table}: CHECK (${expression})`,
      match: { table, columns },
    },
  };
}

type Literal = string | number | boolean;

/** `col IN ('a', 'b')` or `col = ANY (ARRAY['a', 'b'])` with literal values only. */
function allowedValues(expr: Node): { column: string; values: Literal[] } | undefined {
  if (!('A_Expr' in expr)) return undefined;
  const e = expr.A_Expr;
  const op = names(e.name).join('.');
  let items: Node[] | undefined;
  if (e.kind === 'AEXPR_IN' && op === '=' && e.rexpr && 'List' in e.rexpr) items = e.rexpr.List.items;
  if (e.kind === 'AEXPR_OP_ANY' && op === '=' && e.rexpr && 'A_ArrayExpr' in e.rexpr) items = e.rexpr.A_ArrayExpr.elements;
  if (!items || items.length === 0 || !e.lexpr || !('ColumnRef' in e.lexpr)) return undefined;
  const fields = names(e.lexpr.ColumnRef.fields);
  const column = fields.length === 1 ? fields[0] : undefined;
  if (!column) return undefined;
  const values: Literal[] = [];
  for (const item of items) {
    const value = 'A_Const' in item ? literal(item.A_Const) : undefined;
    if (value === undefined) return undefined;
    values.push(value);
  }
  return { column, values };
}

function literal(c: A_Const): Literal | undefined {
  if (c.isnull) return undefined;
  if (c.sval) return c.sval.sval ?? '';
  if (c.ival) return c.ival.ival ?? 0;
  if (c.fval?.fval !== undefined) return Number(c.fval.fval);
  if (c.boolval) return c.boolval.boolval ?? false;
  return undefined;
}
