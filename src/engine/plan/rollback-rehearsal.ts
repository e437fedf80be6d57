import type pg from 'pg';
import { withRolledBackSavepoint } from '../../db/session.js';
import { tableByLabel, type Catalog, type Table } from '../../db/catalog.js';
import type { LockMode } from '../../playbooks/model.js';
import type { RollbackRehearsal, RowChange, Step } from './plan-model.js';
import { backupRecord, needsRowsBack, restoreBackup } from '../rollback/restore-backup.js';
import { flatSteps, isRowChange } from './steps.js';
import { readState, stateDifferences, type RehearsedState, type StateProbe } from './rollback-state.js';
import { errorMessage } from '../../util/errors.js';
import { withSavepoint } from '../../db/session.js';
import { asRestored, rollbackForm, writesNoRow, type RollbackProof } from './rollback-answered.js';

/**
 * Rollback rehearsed (window mode): right after a finding's fix ran in the rehearsal's savepoint,
 * run what `pgmend rollback` runs for it — its rollback SQL, then every backed-up row put back by
 * rollback's own restore (restore-backup.ts, matched as the backup step journals it), then what
 * needed the rows back — and compare with the state before the fix (rollback-state.ts). The
 * savepoint then rolls back both, as it did the fix alone.
 */

export interface RollbackItem {
  /** The finding's table: its backups copy its rows. */
  table?: string;
  tables: string[];
  steps: readonly Step[];
  rollback: readonly string[];
  /** Hand-written SQL: any step taking a row-changing lock may change rows (DDL included: a type change, a dropped column). */
  handWritten: boolean;
}

/** Modes only statements that may change rows take: DML's ROW EXCLUSIVE; EXCLUSIVE and ACCESS EXCLUSIVE for hand-written SQL (TRUNCATE, a rewrite). */
const ROW_CHANGING: Record<'playbook' | 'sql', Set<LockMode>> = {
  playbook: new Set(['ROW EXCLUSIVE']),
  sql: new Set(['ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE']),
};

/** What to compare: the schema of the finding's tables, the rows of the tables its steps change (only those: a checksum reads the table). */
export function rollbackProbe(catalog: Catalog, item: RollbackItem): StateProbe {
  const byOid = (labels: Iterable<string>): Table[] => [...new Map([...labels].flatMap((l) => {
    const t = tableByLabel(catalog, l);
    return t && t.schema !== 'pgmend' ? [[t.oid, t] as const] : [];
  })).values()];
  const modes = ROW_CHANGING[item.handWritten ? 'sql' : 'playbook'];
  const flat = flatSteps(item.steps);
  const rowLabels = flat.flatMap((s) => Object.entries(s.locks ?? Object.fromEntries(s.tables.map((t) => [t, s.lock]))).flatMap(([t, m]) => (modes.has(m) ? [t] : [])));
  return { schemaTables: byOid([...item.tables, ...flat.flatMap((s) => s.tables)]), rowTables: byOid(rowLabels) };
}

export interface RollbackRun {
  probe: StateProbe;
  before: RehearsedState;
}

/**
 * Before the fix: the state the rollback must give back. Read in a savepoint that is rolled back,
 * not released: the catalog and table locks the read took go with it, so they neither show among
 * the step's observed locks nor make every pg_locks read after it longer. A read that fails leaves
 * the fix's rehearsal as it was.
 */
export async function stateBeforeFix(client: pg.Client, probe: StateProbe): Promise<RollbackRun | { failed: string }> {
  return withRolledBackSavepoint(client, async () => {
    try {
      return { probe, before: await readState(client, probe) };
    } catch (e) {
      return { failed: `the state before the fix could not be read: ${errorMessage(e)}` };
    }
  });
}

/**
 * After the fix, in the same savepoint: the rollback as `pgmend rollback` runs it, then the
 * comparison. `run` executes the finding's own rollback SQL (in the sandbox role when its steps ran there).
 * `proof`: the fix's validation was answered by the key it replaces and no step changes rows — the
 * statements it proves are rehearsed without reading rows (rollback-answered.ts).
 */
export async function rehearseRollback(client: pg.Client, catalog: Catalog, item: RollbackItem, r: RollbackRun, run: (sql: string) => Promise<void>, proof?: RollbackProof): Promise<RollbackRehearsal> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const exec = async (sql: string) => {
    await client.query(sql);
  };
  const answered: { statement: number; says: string }[] = [];
  const inFull: { statement: number; why: string }[] = [];
  const formed = { fk: false, notNull: [] as string[] };
  const notes = () => ({ ...(answered.length ? { answered } : {}), ...(inFull.length ? { inFull } : {}) });
  // A rollback statement that may write rows (run in full) ends what the proof covers.
  let proven = proof;
  const runStatement = async (statement: number) => {
    const sql = item.rollback[statement]!;
    const form = proven && rollbackForm(sql, proven, catalog);
    if (form && 'sql' in form) {
      try {
        await withSavepoint(client, () => run(form.sql));
        answered.push({ statement, says: form.says });
        if ('fk' in form.adds) formed.fk = true;
        else formed.notNull.push(...form.adds.notNull);
        return;
      } catch (e) {
        // PostgreSQL refusing the form (a partitioned table, say) leaves the statement to run in full; any other error is the statement's.
        const code = (e as { code?: string }).code;
        if (code !== '42809' && code !== '0A000') throw e;
        inFull.push({ statement, why: `PostgreSQL refuses the NOT VALID form here (${errorMessage(e)})` });
      }
    } else if (form) inFull.push({ statement, why: form.inFull });
    await run(sql);
    if (!writesNoRow(sql)) proven = undefined;
  };
  try {
    for (const [k, sql] of item.rollback.entries()) if (!needsRowsBack(sql)) await runStatement(k);
    // Newest backup first, as rollback orders them; one journal row per backup table, as apply writes it.
    const journaled = new Map<string, RowChange>();
    for (const s of item.steps) if (isRowChange(s) && !journaled.has(s.backupTable)) journaled.set(s.backupTable, s);
    for (const rc of [...journaled.values()].reverse()) {
      const { rows } = await client.query(`SELECT pg_current_xact_id()::text AS txid, (SELECT count(*) FROM ${rc.backupTable} WHERE pgmend_txid = pg_current_xact_id())::int AS n`);
      if (rows[0].n === 0) continue;
      await restoreBackup(client, catalog, { ...backupRecord(item, rc), backup_table: rc.backupTable, txid: rows[0].txid, rows: rows[0].n }, 'rollback', exec);
    }
    for (const [k, sql] of item.rollback.entries()) if (needsRowsBack(sql)) await runStatement(k);
    const read = await readState(client, r.probe);
    const after = proof && (formed.fk || formed.notNull.length) ? { ...read, lines: asRestored(read.lines, r.before.lines, proof, formed) } : read;
    const differs = stateDifferences(r.probe, r.before, after);
    return differs.length ? { ok: false, differs, ms: ms(), ...notes() } : { ok: true, ms: ms(), ...notes() };
  } catch (e) {
    return { ok: false, differs: [`the rollback failed: ${errorMessage(e)}`], ms: ms(), ...notes() };
  }
}
