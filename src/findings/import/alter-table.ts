import type { AlterTableCmd, Constraint } from 'libpg-query';
import { tableName } from './ast.js';
import type { Statement } from './statements.js';

/** An `ALTER TABLE` with exactly one action — the only shape mapped to a playbook. */
export interface SingleAlter {
  table: string;
  cmd: AlterTableCmd;
  /** The constraint an `ADD CONSTRAINT` adds. */
  constraint?: Constraint;
}

export function singleAlter(stmt: Statement): SingleAlter | undefined {
  if (!('AlterTableStmt' in stmt.node)) return undefined;
  const alter = stmt.node.AlterTableStmt;
  if (alter.objtype !== 'OBJECT_TABLE' || alter.cmds?.length !== 1) return undefined;
  const only = alter.cmds[0];
  if (!only || !('AlterTableCmd' in only)) return undefined;
  const cmd = only.AlterTableCmd;
  const def = cmd.def;
  const constraint = cmd.subtype === 'AT_AddConstraint' && def && 'Constraint' in def ? def.Constraint : undefined;
  return { table: tableName(alter.relation), cmd, ...(constraint ? { constraint } : {}) };
}
