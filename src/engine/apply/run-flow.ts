import type pg from 'pg';
import { rowChange, type FindingPlan, type PlanStep } from '../plan/plan-model.js';
import type { ApplyResult, AppliedFinding } from './apply-model.js';
import { rowsChangedByFinding } from './journal.js';
import type { StepRunner } from './step-runner.js';

/**
 * The part of an apply both modes share: the steps in their order (every finding's resolutions,
 * then every finding's fixes, each in plan order), the rows each finding changed (counted once, by
 * `rowChange`), the run closed in the journal, and the result. How one step runs — inside the one
 * transaction, or in a transaction of its own, batched, concurrently — is the mode's.
 */

/** Where an apply is, for the error line: the step, the lock, the verification. */
export interface RunPosition {
  current: string;
  snapshotFile?: string | undefined;
}

/**
 * Runs `steps[index]` (and what goes with it: a batched change runs with its backup step);
 * returns the rows it changed and how many steps it took.
 */
export type StepExecutor = (f: FindingPlan, steps: PlanStep[], index: number) => Promise<{ changed: number; consumed: number }>;

export async function runFindings(selected: FindingPlan[], at: RunPosition, run: StepExecutor): Promise<Map<string, number>> {
  const rows = new Map<string, number>(selected.map((f) => [f.id, 0]));
  for (const phase of ['resolution', 'fix'] as const) {
    for (const f of selected) {
      const steps = f.steps.filter((s) => s.phase === phase);
      for (let i = 0; i < steps.length; ) {
        at.current = `${f.id} ${phase} step ${i + 1}/${steps.length}`;
        const { changed, consumed } = await run(f, steps, i);
        rows.set(f.id, rows.get(f.id)! + changed);
        i += consumed;
      }
    }
  }
  return rows;
}

/** The rows a step's statement reported, when the step changes rows (a backup's copies are not changes). */
export const changedBy = (step: PlanStep, rows: number): number => (rowChange(step) ? rows : 0);

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
