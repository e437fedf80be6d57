import type pg from 'pg';
import type { FindingPlan, RowChange } from '../plan/plan-model.js';
import { changesOf, statements, type Statement } from '../plan/steps.js';
import type { ApplyResult, AppliedFinding } from './apply-model.js';
import { rowsChangedByFinding } from './journal.js';
import type { StepRunner } from './step-runner.js';

/**
 * The part of an apply both modes share: the steps in their order (every finding's resolutions,
 * then every finding's fixes, each in plan order), the rows each finding changed (counted once, by
 * `changesOf`), the run closed in the journal, and the result. How one step runs — inside the one
 * transaction, or in a transaction of its own, batched, concurrently — is the mode's.
 */

/** Where an apply is, for the error line: the step, the lock, the verification. */
export interface RunPosition {
  current: string;
  snapshotFile?: string | undefined;
}

/** How a mode runs a finding's statements; each returns the rows it changed. `total`: the finding's statements in this phase. */
export interface StepExecutor {
  statement(f: FindingPlan, s: Statement, total: number): Promise<number>;
  /** A row change whole — its backup and its change, batch after batch (online). Without it, its statements run one by one. */
  rowChange?(f: FindingPlan, rc: RowChange, backup: Statement, total: number): Promise<number>;
}

export async function runFindings(selected: readonly FindingPlan[], at: RunPosition, run: StepExecutor): Promise<Map<string, number>> {
  const rows = new Map<string, number>(selected.map((f) => [f.id, 0]));
  for (const phase of ['resolution', 'fix'] as const) {
    for (const f of selected) {
      const steps = statements(f.steps.filter((s) => s.phase === phase));
      for (const s of steps) {
        // A row change run whole ran its change with its backup.
        if (run.rowChange && s.role === 'change') continue;
        at.current = `${f.id} ${phase} step ${s.index + 1}/${steps.length}`;
        const changed = run.rowChange && s.role === 'backup' ? await run.rowChange(f, s.of!, s, steps.length) : await run.statement(f, s, steps.length);
        rows.set(f.id, rows.get(f.id)! + changed);
      }
    }
  }
  return rows;
}

/** The rows a statement reported, when it changes rows (a backup's copies are not changes). */
export const changedBy = (s: Statement, rows: number): number => (changesOf(s) ? rows : 0);

/** Closes the run in the journal: committed, with the rows its steps changed (a resumed run's earlier attempts included). */
export async function finishRun(client: pg.Client, runId: number): Promise<Map<string, { deleted: number; updated: number }>> {
  const changed = await rowsChangedByFinding(client, runId);
  const total = [...changed.values()].reduce((n, c) => n + c.deleted + c.updated, 0);
  await client.query(`UPDATE pgmend.runs SET status = 'committed', finished_at = clock_timestamp(), rows_changed = $2, error = NULL WHERE id = $1`, [runId, total]);
  return changed;
}

export function committed(runId: number, selected: FindingPlan[], rows: Map<string, number>, changed: Map<string, { deleted: number; updated: number }>, alreadyOut: AppliedFinding[], snapshotFile?: string): ApplyResult {
  return {
    runId,
    status: 'committed',
    rowsChanged: [...changed.values()].reduce((n, c) => n + c.deleted + c.updated, 0),
    findings: [...selected.map((f) => ({ id: f.id, outcome: 'applied' as const, rows: rows.get(f.id)!, ...(changed.get(f.id) ?? { deleted: 0, updated: 0 }) })), ...alreadyOut],
    ...(snapshotFile ? { snapshotFile } : {}),
  };
}

export function notApplied(status: 'refused' | 'failed', error: string, alreadyOut: AppliedFinding[], extra: { runId?: number | null; rolledBack?: boolean; snapshotFile?: string | undefined } = {}): ApplyResult {
  return {
    runId: extra.runId ?? null,
    status,
    rowsChanged: 0,
    findings: alreadyOut,
    error,
    ...(extra.rolledBack !== undefined ? { rolledBack: extra.rolledBack } : {}),
    ...(extra.snapshotFile ? { snapshotFile: extra.snapshotFile } : {}),
  };
}

export type { StepRunner };
