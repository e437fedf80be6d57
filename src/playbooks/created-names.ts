import { parseSync } from 'pgsql-parser';
import { walk } from './expression.js';

/**
 * The constraints and the index a DDL statement creates, as the catalog will name them (the
 * parser folds and unquotes: `"Order_accountId_fkey"` stays as is, `Orders_Key` becomes
 * orders_key). Empty for text that does not parse.
 */
export function createdNames(sql: string): { constraints: string[]; index?: string } {
  let tree: unknown;
  try {
    tree = parseSync(sql);
  } catch {
    return { constraints: [] };
  }
  const constraints: string[] = [];
  let index: string | undefined;
  walk(tree, (type, node) => {
    if (type === 'Constraint' && typeof node.conname === 'string') constraints.push(node.conname);
    if (type === 'IndexStmt' && typeof node.idxname === 'string') index ??= node.idxname;
  });
  return index === undefined ? { constraints } : { constraints, index };
}
