import { sameName } from './ast.js';

/**
 * Rewrites references to an outer table's alias (`i.id` in `UPDATE identities i …`) into its table
 * name (`identities.id`), on the AST. Subqueries that define the alias themselves keep theirs;
 * a subquery that exposes the table's own name would capture the rewritten references, so that is
 * refused rather than silently changing what the expression means.
 */

export type RewriteResult = { ok: true; expr: unknown; correlated: boolean } | { ok: false; reason: string };

export function rewriteOuterAlias(expr: unknown, alias: string | undefined, table: string): RewriteResult {
  const copy = structuredClone(expr);
  const from = alias ?? table;
  let correlated = false;
  let captured = false;

  const visit = (value: unknown, aliasVisible: boolean, depth: number): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, aliasVisible, depth);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const node = value as Record<string, unknown>;
    if ('SelectStmt' in node) {
      const select = node.SelectStmt as Record<string, unknown>;
      const exposed = exposedNames(select.fromClause);
      // Unaliased, nothing is rewritten and the report's own meaning stands.
      if (!sameName(from, table) && exposed.some((n) => sameName(n, table))) captured = true;
      const visible = aliasVisible && !exposed.some((n) => sameName(n, from));
      for (const child of Object.values(select)) visit(child, visible, depth + 1);
      return;
    }
    if ('ColumnRef' in node) {
      const ref = node.ColumnRef as { fields?: { String?: { sval?: string } }[] };
      const fields = ref.fields ?? [];
      const first = fields[0]?.String;
      if (aliasVisible && fields.length === 2 && first && sameName(first.sval, from)) {
        first.sval = table;
        if (depth > 0) correlated = true;
      }
      return;
    }
    for (const child of Object.values(node)) visit(child, aliasVisible, depth);
  };
  visit(copy, true, 0);
  if (captured) return { ok: false, reason: `a subquery reads ${table} itself, so "${table}.column" would not mean the outer row` };
  return { ok: true, expr: copy, correlated };
}

/** Names a FROM list makes visible: aliases, else table names. */
function exposedNames(fromClause: unknown): string[] {
  const out: string[] = [];
  const visit = (item: unknown): void => {
    if (!item || typeof item !== 'object') return;
    const node = item as Record<string, Record<string, unknown>>;
    if (node.RangeVar) {
      const alias = (node.RangeVar.alias as { aliasname?: string } | undefined)?.aliasname;
      out.push(alias ?? String(node.RangeVar.relname ?? ''));
    } else if (node.RangeSubselect || node.RangeFunction) {
      const alias = ((node.RangeSubselect ?? node.RangeFunction)?.alias as { aliasname?: string } | undefined)?.aliasname;
      if (alias) out.push(alias);
    } else if (node.JoinExpr) {
      const alias = (node.JoinExpr.alias as { aliasname?: string } | undefined)?.aliasname;
      if (alias) out.push(alias);
      visit(node.JoinExpr.larg);
      visit(node.JoinExpr.rarg);
    }
  };
  for (const item of Array.isArray(fromClause) ? fromClause : []) visit(item);
  return out;
}
