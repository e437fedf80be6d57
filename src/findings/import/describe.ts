import type { Node } from 'libpg-query';
import { kindOf, names, tableName } from './ast.js';
import { doBlockStatements } from './do-block.js';
import { functionName } from './functions.js';

/** What a statement is, in a few words, and the object it is about (for titles and ids). */
export interface Described {
  /** "type identity_status", "view data_integrity_issues", "users.deleted_at column". */
  text: string;
  /** A readable name for an id: `identity_status`, `users.deleted_at`. */
  name: string;
  /** Why no playbook takes it. */
  why: string;
}

export function describe(node: Node): Described {
  if ('CreateFunctionStmt' in node) {
    const name = functionName(node.CreateFunctionStmt);
    return { text: `function ${name}`, name, why: 'a function: no playbook' };
  }
  if ('CreateTrigStmt' in node) {
    const t = node.CreateTrigStmt;
    const fn = names(t.funcname).join('.');
    const name = t.trigname ?? 'trigger';
    return {
      text: `trigger ${name} on ${tableName(t.relation)}`,
      name,
      why: `a trigger calling ${fn}, which the report does not define: no playbook`,
    };
  }
  const typeName =
    'CreateEnumStmt' in node
      ? node.CreateEnumStmt.typeName
      : 'CreateRangeStmt' in node
        ? node.CreateRangeStmt.typeName
        : 'CreateDomainStmt' in node
          ? node.CreateDomainStmt.domainname
          : undefined;
  if (typeName) {
    const name = names(typeName).join('.');
    return { text: `type ${name}`, name, why: 'CREATE TYPE: no playbook' };
  }
  if ('CompositeTypeStmt' in node) {
    const name = tableName(node.CompositeTypeStmt.typevar);
    return { text: `type ${name}`, name, why: 'CREATE TYPE: no playbook' };
  }
  if ('DoStmt' in node) {
    const inner = doBlockStatements(node.DoStmt);
    const parts = inner.ok ? inner.nodes.map(describe) : [];
    return {
      text: parts.length > 0 ? `DO block: ${parts.map((p) => p.text).join(', ')}` : 'DO block',
      name: parts[0]?.name ?? 'do',
      why: `a DO block (procedural code)${parts[0] ? ` for ${parts.map((p) => p.text).join(', ')}` : ''}: no playbook`,
    };
  }
  if ('ViewStmt' in node) {
    const name = tableName(node.ViewStmt.view);
    return { text: `view ${name}`, name, why: 'a view: no playbook' };
  }
  if ('CreatePolicyStmt' in node) {
    const p = node.CreatePolicyStmt;
    const name = p.policy_name ?? 'policy';
    return { text: `RLS policy ${name} on ${tableName(p.table)}`, name, why: 'a row-level security policy: no playbook' };
  }
  if ('AlterTableStmt' in node) {
    const alter = node.AlterTableStmt;
    const table = tableName(alter.relation);
    const cmds = (alter.cmds ?? []).flatMap((c) => ('AlterTableCmd' in c ? [c.AlterTableCmd] : []));
    const added = cmds.flatMap((c) => (c.subtype === 'AT_AddColumn' && c.def && 'ColumnDef' in c.def ? [c.def.ColumnDef.colname ?? ''] : []));
    if (added.length > 0 && added.length === cmds.length) {
      return { text: `column ${added.map((c) => `${table}.${c}`).join(', ')} added`, name: `${table}.${added.join('_')}`, why: 'ADD COLUMN: no playbook' };
    }
    const actions = cmds.map((c) => String(c.subtype).replace(/^AT_/, '')).join(', ');
    return {
      text: `ALTER TABLE ${table} ${actions}`,
      name: `${table}.${actions.toLowerCase().replace(/[^a-z]+/g, '-')}`,
      why: cmds.length > 1 ? 'ALTER TABLE with several actions: mapped only one at a time' : `ALTER TABLE ${actions}: no playbook`,
    };
  }
  if ('AlterRoleSetStmt' in node) {
    const role = node.AlterRoleSetStmt.role?.rolename ?? 'role';
    return { text: `settings of role ${role}`, name: role, why: 'a role setting: no playbook' };
  }
  const dml =
    'UpdateStmt' in node
      ? { verb: 'UPDATE', rel: node.UpdateStmt.relation }
      : 'InsertStmt' in node
        ? { verb: 'INSERT', rel: node.InsertStmt.relation }
        : 'DeleteStmt' in node
          ? { verb: 'DELETE', rel: node.DeleteStmt.relation }
          : undefined;
  if (dml) {
    const table = tableName(dml.rel);
    return { text: `${dml.verb} ${table}`, name: `${dml.verb.toLowerCase()}-${table}`, why: `${dml.verb}: a data change, no playbook` };
  }
  const kind = kindOf(node).replace(/Stmt$/, '');
  return { text: kind, name: kind.toLowerCase(), why: `${kind}: no playbook` };
}

/** Existing tables a statement changes or locks (not objects it creates). */
export function touchedTables(node: Node): string[] {
  if ('AlterTableStmt' in node) return node.AlterTableStmt.objtype === 'OBJECT_TABLE' ? [tableName(node.AlterTableStmt.relation)] : [];
  if ('CreateTrigStmt' in node) return [tableName(node.CreateTrigStmt.relation)];
  if ('CreatePolicyStmt' in node) return [tableName(node.CreatePolicyStmt.table)];
  if ('IndexStmt' in node) return [tableName(node.IndexStmt.relation)];
  if ('UpdateStmt' in node) return [tableName(node.UpdateStmt.relation)];
  if ('InsertStmt' in node) return [tableName(node.InsertStmt.relation)];
  if ('DeleteStmt' in node) return [tableName(node.DeleteStmt.relation)];
  if ('DoStmt' in node) {
    const inner = doBlockStatements(node.DoStmt);
    return inner.ok ? inner.nodes.flatMap(touchedTables) : [];
  }
  return [];
}
