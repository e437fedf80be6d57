import { displayName, quoteIdent, quoteLiteral, type LiteralValue } from '../../db/quote.js';
import type { Resolution } from '../../findings/model.js';
import { resolveColumn } from '../../db/resolve.js';
import { fksReferencing, type Catalog } from '../../db/catalog.js';
import type { PlanStep, RowChange, Step } from './plan-model.js';
import { rowsQuery, type PreparedFinding } from './prepare.js';
import { PgmendError } from '../../util/errors.js';
import { rowMatch, tableKey, type RowMatch } from './row-match.js';
import { groupedRepair } from './grouped-repair.js';

/**
 * Every row pgmend deletes or changes is first copied whole, in the same transaction, into a
 * backup table in the `pgmend` schema — locked FOR UPDATE so it cannot change in between — and
 * then changed by its ctid. Backup rows carry the transaction id, so a change only ever touches
 * the rows its own transaction backed up.
 */

import { BACKUP_SCHEMA } from './plan-model.js';

export { BACKUP_SCHEMA };

export function backupTableName(planId: string, findingId: string): string {
  const slug = findingId.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  return `${BACKUP_SCHEMA}.${quoteIdent(`bk_${planId}_${slug}`.slice(0, 63))}`;
}

/** Online mode changes rows in batches of this many, one transaction each. */
export const ONLINE_BATCH = 10_000;

/** The statements creating the backup schema and table: before a finding's first row change. */
function backupStorage(p: PreparedFinding, backup: string, phase: PlanStep['phase']): PlanStep[] {
  return [
    {
      sql: `CREATE SCHEMA IF NOT EXISTS ${BACKUP_SCHEMA}`,
      lock: 'ACCESS SHARE',
      tables: [],
      transactional: true,
      phase,
      description: 'the schema that holds backups and the journal',
    },
    {
      sql: `CREATE TABLE IF NOT EXISTS ${backup} (pgmend_row_table oid, pgmend_row_id tid, pgmend_txid xid8, LIKE ${p.view.targetSql})`,
      lock: 'ACCESS SHARE',
      tables: [p.target!.qualified],
      transactional: true,
      phase,
      description: 'backup table with the same columns',
    },
  ];
}

interface RowChangeSpec {
  phase: PlanStep['phase'];
  /** The query of the rows (row_table, row_id) to change. */
  rows: string;
  why: string;
  change: PlanStep;
  changes: RowChange['changes'];
  match: RowMatch;
  /** The finding's first row change also creates the backup storage. */
  first: boolean;
}

/** A row change: backed up (locked), then changed by ctid — one value (plan-model.ts). */
function rowChangeOf(p: PreparedFinding, backup: string, spec: RowChangeSpec, batch?: number): RowChange {
  const selected = `${spec.rows.replace(/\s+/g, ' ')}${batch ? ` LIMIT ${batch}` : ''}`;
  const t = p.view.targetSql;
  return {
    kind: 'row-change',
    phase: spec.phase,
    prepare: spec.first ? backupStorage(p, backup, spec.phase) : [],
    backup: {
      // ctids repeat across partitions (and inheritance children): a row is (tableoid, ctid). The
      // ctid list keeps the fast TID scan; the pair picks the right partition's row.
      sql: `WITH pgmend_rows AS MATERIALIZED (SELECT * FROM (${selected}) AS r) INSERT INTO ${backup} SELECT ${t}.tableoid, ${t}.ctid, pg_current_xact_id(), ${t}.* FROM ${t} WHERE ${t}.ctid = ANY (ARRAY(SELECT row_id FROM pgmend_rows)) AND (${t}.tableoid, ${t}.ctid) IN (SELECT row_table, row_id FROM pgmend_rows) FOR UPDATE OF ${quoteIdent(p.target!.name)}`,
      lock: 'ROW SHARE',
      tables: [p.target!.qualified],
      transactional: true,
      phase: spec.phase,
      description: `back up the rows ${spec.why}, locking them${batch ? ` (batches of ${batch})` : ''}`,
    },
    change: spec.change,
    changes: spec.changes,
    backupTable: backup,
    match: spec.match,
    repeat: batch !== undefined && batch > 0,
  };
}

/** The rows this transaction backed up; `of` qualifies the table's columns (needed in a join). */
function changedRows(backup: string, of?: string): string {
  const mine = `FROM ${backup} WHERE pgmend_txid = pg_current_xact_id()`;
  const q = of ? `${of}.` : '';
  return `${q}ctid = ANY (ARRAY(SELECT pgmend_row_id ${mine})) AND (${q}tableoid, ${q}ctid) IN (SELECT pgmend_row_table, pgmend_row_id ${mine})`;
}

/** A column a resolution's `set` names; errors say which field of the finding is wrong. */
function resolveColumnFor(catalog: Catalog, p: PreparedFinding, col: string) {
  try {
    return resolveColumn(catalog, p.target!, col);
  } catch (e) {
    if (e instanceof PgmendError) throw new PgmendError(`${p.finding.id}.resolution.set: ${e.message}`, e.exitCode, e.hint);
    throw e;
  }
}

/** The SET list a resolution writes. */
function setList(catalog: Catalog, p: PreparedFinding, resolution: Resolution, nullable: string | undefined): string {
  if (resolution.strategy === 'update') {
    return Object.entries(resolution.set ?? {})
      .map(([col, value]) => {
        const c = resolveColumnFor(catalog, p, col);
        return `${quoteIdent(c.name)} = ${value === null ? 'NULL' : quoteLiteral(value)}`;
      })
      .join(', ');
  }
  if (!nullable) {
    throw new PgmendError(`${p.finding.id}: strategy set-null does not apply to a ${p.playbook.name} finding`, 1, 'choose delete or update');
  }
  const cols = nullable.split(',').map((s) => s.trim()).filter(Boolean);
  for (const col of cols) {
    const c = p.target!.columns.find((x) => quoteIdent(x.name) === col);
    if (c?.notNull) {
      throw new PgmendError(`${p.finding.id}: strategy set-null cannot clear ${displayName(p.target!)}.${c.name}: the column is NOT NULL`, 1, 'choose delete or update');
    }
  }
  return cols.map((c) => `${c} = NULL`).join(', ');
}

const CARRIES = new Set(['cascade', 'set-null', 'set-default']);
const RULE: Record<string, string> = { cascade: 'CASCADE', 'set-null': 'SET NULL', 'set-default': 'SET DEFAULT' };

/**
 * A change that foreign keys carry into other tables (ON DELETE / ON UPDATE CASCADE, SET NULL, SET
 * DEFAULT) would change rows pgmend does not back up, and rollback could not restore them: refused.
 */
function refuseCarriedChanges(catalog: Catalog, p: PreparedFinding, resolution: Resolution, changedColumns: string[]): void {
  const carried = fksReferencing(catalog, p.target!).flatMap((c) => {
    const fk = c.foreignKey!;
    if (resolution.strategy === 'delete') return CARRIES.has(fk.onDelete) ? [`${c.table} (${c.name} ON DELETE ${RULE[fk.onDelete]})`] : [];
    return CARRIES.has(fk.onUpdate) && fk.columns.some((col) => changedColumns.includes(col)) ? [`${c.table} (${c.name} ON UPDATE ${RULE[fk.onUpdate]})`] : [];
  });
  if (carried.length) {
    throw new PgmendError(
      `${p.finding.id}: strategy ${resolution.strategy} would also change rows of ${carried.join(', ')}, which are not backed up, so rollback could not restore them`,
      1,
      resolution.strategy === 'delete' ? 'choose update, or resolve the referencing rows first' : 'resolve the referencing rows first',
    );
  }
}

/** Row changes that resolve the blocking rows of a finding's checks (those with rows > 0). */
export function resolutionSteps(catalog: Catalog, p: PreparedFinding, resolution: Resolution, backup: string, blockingChecks: string[], batch?: number): RowChange[] {
  const t = p.view.targetSql;
  const steps: RowChange[] = [];
  for (const check of p.checks.filter((c) => blockingChecks.includes(c.spec.id))) {
    const rows = rowsQuery(p, check);
    if (!rows) continue;
    const changed =
      resolution.strategy === 'update'
        ? Object.keys(resolution.set ?? {}).map((col) => resolveColumnFor(catalog, p, col).name)
        : p.target!.columns.filter((c) => (check.nullable ?? '').split(',').map((x) => x.trim()).includes(quoteIdent(c.name))).map((c) => c.name);
    refuseCarriedChanges(catalog, p, resolution, changed);
    const match = matchFor(catalog, p, resolution, changed);
    const sql =
      resolution.strategy === 'delete'
        ? `DELETE FROM ${t} WHERE ${changedRows(backup)}`
        : `UPDATE ${t} SET ${setList(catalog, p, resolution, check.nullable)} WHERE ${changedRows(backup)}`;
    const change: PlanStep = { sql, lock: 'ROW EXCLUSIVE', tables: [p.target!.qualified], transactional: true, phase: 'resolution', description: `${resolution.strategy} the backed-up rows` };
    const changes = resolution.strategy === 'delete' ? 'delete' : 'update';
    steps.push(rowChangeOf(p, backup, { phase: 'resolution', rows, why: `that block ${check.spec.id}`, change, changes, match, first: steps.length === 0 }, batch));
  }
  return steps;
}

/**
 * How rollback will find the rows again (row-match.ts); refused here, before anything runs, when
 * it could not. Deleted rows are re-inserted whole and need no match; the key is journaled anyway.
 */
function matchFor(catalog: Catalog, p: PreparedFinding, resolution: Resolution | undefined, changed: string[]): RowMatch {
  const table = p.target!;
  if (resolution?.strategy === 'delete') return tableKey(catalog, table) ?? { kind: 'whole-row', columns: table.columns.filter((c) => !c.generated).map((c) => c.name) };
  let set: Record<string, LiteralValue> | undefined;
  if (resolution?.strategy === 'update') set = Object.fromEntries(Object.entries(resolution.set ?? {}).map(([col, v]) => [resolveColumnFor(catalog, p, col).name, v as LiteralValue]));
  else if (resolution?.strategy === 'set-null') set = Object.fromEntries(changed.map((c) => [c, null]));
  const outcome = rowMatch(catalog, table, changed, set);
  if (outcome.ok) return outcome.match;
  throw new PgmendError(`${p.finding.id}: refused: rollback could not put back the rows this changes — ${outcome.why}`, 1, 'nothing is applied that rollback could not restore');
}

/** A playbook's own row-changing fix step (a counter repair), backed up the same way. */
export function rowChangingFixSteps(catalog: Catalog, p: PreparedFinding, step: PlanStep, backup: string, batch?: number): Step[] {
  const check = p.checks.find((c) => c.spec.id === step.rowsOf);
  const rows = check && rowsQuery(p, check);
  if (!rows || !step.set) return [step];
  const t = p.view.targetSql;
  const column = typeof p.finding.params.column === 'string' ? resolveColumnFor(catalog, p, p.finding.params.column).name : undefined;
  const match = matchFor(catalog, p, undefined, column ? [column] : p.target!.columns.map((c) => c.name));
  const outer = { schema: p.target!.schema, name: p.target!.name };
  const change = { ...step, sql: groupedRepair(t, outer, step.set, (of) => changedRows(backup, of)) ?? `UPDATE ${t} SET ${step.set} WHERE ${changedRows(backup)}` };
  return [rowChangeOf(p, backup, { phase: 'fix', rows, why: `whose ${check.spec.id} this repairs`, change, changes: 'update', match, first: true }, batch)];
}
