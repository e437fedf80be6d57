import { quoteIdent } from '../../db/quote.js';
import type { Node, RangeVar } from 'libpg-query';

/** Small readers over the untyped-by-kind libpg_query AST. */

/** The node's kind: `AlterTableStmt`, `ColumnRef`, … */
export function kindOf(node: Node | undefined): string {
  return node ? (Object.keys(node)[0] ?? '') : '';
}

/** The String values of a name list (`funcname`, `fk_attrs`, `names`). */
export function names(list: Node[] | undefined): string[] {
  return (list ?? []).flatMap((n) => ('String' in n && n.String.sval !== undefined ? [n.String.sval] : []));
}

/** `schema.table` or `table`, as the findings format writes tables. */
export function tableName(rv: RangeVar | undefined): string {
  if (!rv?.relname) return '';
  const parts = rv.schemaname ? [rv.schemaname, rv.relname] : [rv.relname];
  // As the catalog spells it (findings accept that), SQL-quoted where a part holds a dot, a quote or edge spaces.
  if (parts.every((p) => !/[".]/.test(p) && p.trim() === p)) return parts.join('.');
  return parts.map((p) => quoteIdent(p)).join('.');
}

/** Case-insensitive name equality (unquoted identifiers fold to lower case). */
export function sameName(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** Visits every AST node (objects keyed by a node kind) depth first. */
export function walk(value: unknown, visit: (kind: string, body: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, body] of Object.entries(value)) {
    if (/^[A-Z]/.test(key) && body && typeof body === 'object' && !Array.isArray(body)) {
      visit(key, body as Record<string, unknown>);
    }
    walk(body, visit);
  }
}

/** Column names an expression references (the last field of each ColumnRef). */
export function referencedColumns(expr: unknown): string[] {
  const found: string[] = [];
  walk(expr, (kind, body) => {
    if (kind !== 'ColumnRef') return;
    const fields = names(body.fields as Node[] | undefined);
    const last = fields[fields.length - 1];
    if (last && !found.includes(last)) found.push(last);
  });
  return found;
}
