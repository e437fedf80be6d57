import type { AlterTableStmt, DoStmt, Node } from 'libpg-query';
import { kindOf, names, tableName } from './ast.js';
import { doBlockStatements } from './do-block.js';
import { functionName } from './functions.js';
import { deparse, quoteName } from './sql-parser.js';

/**
 * Rollback SQL for statements a `sql` finding runs, where it can be derived: drop what was created
 * (trigger, function, type, view, policy, added column or constraint), undo a flag. Anything
 * else — data changes, drops, settings whose previous value is unknown — has no derivable rollback.
 */

export type Rollback = { ok: true; sql: string[] } | { ok: false; reason: string };

const none = (reason: string): Rollback => ({ ok: false, reason });
const drop = (...sql: string[]): Rollback => ({ ok: true, sql });

export function rollbackFor(node: Node): Rollback {
  const kind = kindOf(node);
  if ('CreateFunctionStmt' in node) {
    const fn = node.CreateFunctionStmt;
    const what = fn.is_procedure ? 'PROCEDURE' : 'FUNCTION';
    return drop(`DROP ${what} IF EXISTS ${quoteName(functionName(fn))}(${inputArgTypes(fn.parameters).join(', ')});`);
  }
  if ('CreateTrigStmt' in node) {
    const t = node.CreateTrigStmt;
    return drop(`DROP TRIGGER IF EXISTS ${quoteName(t.trigname ?? '')} ON ${quoteName(tableName(t.relation))};`);
  }
  if ('CreateEnumStmt' in node) return drop(`DROP TYPE IF EXISTS ${quoteName(names(node.CreateEnumStmt.typeName).join('.'))};`);
  if ('CreateRangeStmt' in node) return drop(`DROP TYPE IF EXISTS ${quoteName(names(node.CreateRangeStmt.typeName).join('.'))};`);
  if ('CompositeTypeStmt' in node) return drop(`DROP TYPE IF EXISTS ${quoteName(tableName(node.CompositeTypeStmt.typevar))};`);
  if ('CreateDomainStmt' in node) return drop(`DROP DOMAIN IF EXISTS ${quoteName(names(node.CreateDomainStmt.domainname).join('.'))};`);
  if ('ViewStmt' in node) return drop(`DROP VIEW IF EXISTS ${quoteName(tableName(node.ViewStmt.view))};`);
  if ('CreateTableAsStmt' in node) {
    const ctas = node.CreateTableAsStmt;
    const what = ctas.objtype === 'OBJECT_MATVIEW' ? 'MATERIALIZED VIEW' : 'TABLE';
    return drop(`DROP ${what} IF EXISTS ${quoteName(tableName(ctas.into?.rel))};`);
  }
  if ('CreateStmt' in node) return drop(`DROP TABLE IF EXISTS ${quoteName(tableName(node.CreateStmt.relation))};`);
  if ('CreateSeqStmt' in node) return drop(`DROP SEQUENCE IF EXISTS ${quoteName(tableName(node.CreateSeqStmt.sequence))};`);
  if ('IndexStmt' in node) {
    const ix = node.IndexStmt;
    if (!ix.idxname) return none('the index has no name to drop');
    const schema = ix.relation?.schemaname;
    return drop(`DROP INDEX IF EXISTS ${quoteName(schema ? `${schema}.${ix.idxname}` : ix.idxname)};`);
  }
  if ('CreatePolicyStmt' in node) {
    const p = node.CreatePolicyStmt;
    return drop(`DROP POLICY IF EXISTS ${quoteName(p.policy_name ?? '')} ON ${quoteName(tableName(p.table))};`);
  }
  if ('CreateRoleStmt' in node) return drop(`DROP ROLE IF EXISTS ${quoteName(node.CreateRoleStmt.role ?? '')};`);
  if ('CreateExtensionStmt' in node) return drop(`DROP EXTENSION IF EXISTS ${quoteName(node.CreateExtensionStmt.extname ?? '')};`);
  if ('AlterTableStmt' in node) return alterTableRollback(node.AlterTableStmt);
  if ('DoStmt' in node) return doBlockRollback(node.DoStmt);
  if (kind === 'UpdateStmt' || kind === 'InsertStmt' || kind === 'DeleteStmt' || kind === 'MergeStmt') {
    return none('a data change: rows as they were are not known here');
  }
  if (kind === 'AlterRoleSetStmt' || kind === 'AlterDatabaseSetStmt' || kind === 'AlterSystemStmt') {
    return none('the previous setting is not known');
  }
  if (kind === 'DropStmt') return none('what was dropped cannot be recreated from the report');
  return none(`no rollback known for ${kind.replace(/Stmt$/, '')}`);
}

/** Rollbacks of several statements: undone in reverse order; none if any one has none. */
export function rollbackAll(nodes: Node[]): Rollback {
  const parts: string[] = [];
  for (const node of [...nodes].reverse()) {
    const r = rollbackFor(node);
    if (!r.ok) return r;
    parts.push(...r.sql);
  }
  return drop(...parts);
}

function alterTableRollback(alter: AlterTableStmt): Rollback {
  if (alter.objtype !== 'OBJECT_TABLE') return none('ALTER of something other than a table');
  const table = quoteName(tableName(alter.relation));
  const undo: string[] = [];
  for (const item of alter.cmds ?? []) {
    if (!('AlterTableCmd' in item)) return none('unknown ALTER TABLE action');
    const cmd = item.AlterTableCmd;
    const def = cmd.def;
    switch (cmd.subtype) {
      case 'AT_AddColumn': {
        const column = def && 'ColumnDef' in def ? def.ColumnDef.colname : undefined;
        if (!column) return none('ADD COLUMN without a column name');
        undo.push(`DROP COLUMN IF EXISTS ${quoteName(column)}`);
        break;
      }
      case 'AT_AddConstraint': {
        const name = def && 'Constraint' in def ? def.Constraint.conname : undefined;
        if (!name) return none('the constraint has no name to drop');
        undo.push(`DROP CONSTRAINT IF EXISTS ${quoteName(name)}`);
        break;
      }
      case 'AT_DropNotNull':
        undo.push(`ALTER COLUMN ${quoteName(cmd.name ?? '')} SET NOT NULL`);
        break;
      case 'AT_SetNotNull':
        undo.push(`ALTER COLUMN ${quoteName(cmd.name ?? '')} DROP NOT NULL`);
        break;
      case 'AT_EnableRowSecurity':
        undo.push('DISABLE ROW LEVEL SECURITY');
        break;
      case 'AT_DisableRowSecurity':
        undo.push('ENABLE ROW LEVEL SECURITY');
        break;
      case 'AT_ForceRowSecurity':
        undo.push('NO FORCE ROW LEVEL SECURITY');
        break;
      case 'AT_NoForceRowSecurity':
        undo.push('FORCE ROW LEVEL SECURITY');
        break;
      default:
        return none(`ALTER TABLE ${String(cmd.subtype).replace(/^AT_/, '')}: the previous state is not known`);
    }
  }
  return drop(`ALTER TABLE ${table} ${undo.reverse().join(', ')};`);
}

/** A DO block is undone by undoing the plain statements inside it. */
function doBlockRollback(doStmt: DoStmt): Rollback {
  const inner = doBlockStatements(doStmt);
  if (!inner.ok) return none(inner.reason);
  if (inner.nodes.length === 0) return none('the DO block changes nothing a rollback could undo');
  return rollbackAll(inner.nodes);
}

/** Input argument types, as DROP FUNCTION needs them. */
function inputArgTypes(parameters: Node[] | undefined): string[] {
  const types: string[] = [];
  for (const p of parameters ?? []) {
    if (!('FunctionParameter' in p)) continue;
    const { mode, argType } = p.FunctionParameter;
    if (mode === 'FUNC_PARAM_OUT' || mode === 'FUNC_PARAM_TABLE' || !argType) continue;
    types.push(deparse({ TypeName: argType }));
  }
  return types;
}
