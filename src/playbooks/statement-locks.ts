import { parseSync } from 'pgsql-parser';
import type { LockMode } from './model.js';
import { walk } from './expression.js';

/**
 * For hand-written SQL (`sql` findings): the strongest table lock a statement takes and the
 * tables it names, read from its parse tree, so the checklist can say what a step locks.
 * Function and DO bodies are strings to the parser: what they touch at run time is not seen.
 */
const BY_STATEMENT: Record<string, LockMode> = {
  CreateTrigStmt: 'SHARE ROW EXCLUSIVE',
  CreateFunctionStmt: 'ACCESS SHARE',
  CreateEnumStmt: 'ACCESS SHARE',
  CompositeTypeStmt: 'ACCESS SHARE',
  CreateDomainStmt: 'ACCESS SHARE',
  DoStmt: 'ACCESS SHARE',
  CommentStmt: 'ACCESS SHARE',
  ViewStmt: 'ACCESS SHARE',
  VariableSetStmt: 'ACCESS SHARE',
  AlterRoleSetStmt: 'ACCESS SHARE',
  AlterDatabaseSetStmt: 'ACCESS SHARE',
  InsertStmt: 'ROW EXCLUSIVE',
  UpdateStmt: 'ROW EXCLUSIVE',
  DeleteStmt: 'ROW EXCLUSIVE',
  SelectStmt: 'ACCESS SHARE',
};

export interface StatementInfo {
  lock: LockMode;
  /** Relations named, as written (`schema.name` or `name`). */
  relations: string[];
}

export function statementInfo(sql: string): StatementInfo {
  let tree: { stmts: { stmt: Record<string, unknown> }[] };
  try {
    tree = parseSync(sql) as typeof tree;
  } catch {
    return { lock: 'ACCESS EXCLUSIVE', relations: [] };
  }
  const stmt = tree.stmts[0]?.stmt ?? {};
  const type = Object.keys(stmt)[0] ?? '';
  let lock: LockMode = BY_STATEMENT[type] ?? 'ACCESS EXCLUSIVE';
  if (type === 'IndexStmt') lock = (stmt.IndexStmt as { concurrent?: boolean }).concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE';
  const relations = new Set<string>();
  walk(stmt, (t, node) => {
    if (t !== 'RangeVar') return;
    const rel = node as { schemaname?: string; relname?: string };
    if (rel.relname) relations.add(rel.schemaname ? `${rel.schemaname}.${rel.relname}` : rel.relname);
  });
  // A view reads its tables but locks none of them for long; a trigger locks the one it is on.
  return { lock, relations: type === 'ViewStmt' ? [] : [...relations] };
}
