import type pg from 'pg';
import { connect, withTransaction } from '../../db/session.js';
import { loadCatalog } from '../../db/catalog.js';
import { ROW_SECURITY_OFF } from '../../db/row-security.js';
import { ensureParser } from '../../playbooks/expression.js';
import type { FindingPlan } from '../plan/plan-model.js';
import { flatSteps } from '../plan/steps.js';
import type { ApplyOptions, ApplyResult, AppliedFinding } from './apply-model.js';
import { windowState } from './maintenance-window.js';
import { checkTargets, prepareAll, refuseOtherSearchPath, refuseStaleOrEdited, takeAdvisoryLock } from './guard.js';
import { claimLease, newHolder } from './lease.js';
import { lockTablesUpFront, runStep, type StepRunner } from './step-runner.js';
import { ensureJournal, recordFindings, startRun } from './journal.js';
import { snapshotBeforeChange } from './snapshot.js';
import { runFindings, finishRun, committed, notApplied, changedBy, type RunPosition } from './run-flow.js';
import { verify } from './verify.js';
import { faultPoint, faultCounter } from './fault-seam.js';
import { Refusal, errorMessage } from '../../util/errors.js';

/**
 * Window mode: everything selected in ONE transaction. Advisory lock first, then the table locks
 * the steps need; blocking checks re-run inside the transaction and the schema fingerprint
 * compared, so a plan that went stale is refused with what changed; a schema snapshot is written
 * before anything changes; then resolutions (each row backed up), fixes, verification, journal,
 * COMMIT. Any failure: ROLLBACK — nothing changed.
 */
export async function applyInWindow(opts: ApplyOptions, selected: FindingPlan[], alreadyOut: AppliedFinding[]): Promise<ApplyResult> {
  await ensureParser();
  const emit = opts.onProgress ?? (() => {});
  emit({ kind: 'phase', phase: 'connect' });
  const client = await connect(opts.target, 'pgmend');
  const at: RunPosition = { current: '' };
  try {
    const result = await withTransaction(client, () => inTransaction(client, opts, selected, alreadyOut, at));
    emit({ kind: 'phase', phase: 'done' });
    return result;
  } catch (e) {
    const refused = e instanceof Refusal;
    const error = refused ? errorMessage(e) : `${at.current ? `${at.current}: ` : ''}${errorMessage(e)} — nothing was changed (rolled back)`;
    if (!refused) await recordFailure(client, opts, selected, error, at.snapshotFile);
    return notApplied(refused ? 'refused' : 'failed', error, alreadyOut, { rolledBack: true, snapshotFile: at.snapshotFile });
  } finally {
    await client.end().catch(() => {});
  }
}

async function inTransaction(client: pg.Client, opts: ApplyOptions, selected: FindingPlan[], alreadyOut: AppliedFinding[], at: RunPosition): Promise<ApplyResult> {
  const emit = opts.onProgress ?? (() => {});
  const plan = opts.plan;
  // Deferred FKs (Django makes every FK DEFERRABLE INITIALLY DEFERRED) would leave pending trigger
  // events that make a later ALTER TABLE in this transaction fail: check constraints per statement.
  await client.query('SET CONSTRAINTS ALL IMMEDIATE');
  // No statement may run past the window's end.
  await client.query(`SET LOCAL statement_timeout = ${Math.max(1000, windowState(opts.window).ms)}`);
  await client.query(`SET LOCAL lock_timeout = ${Math.round(opts.lockTimeoutMs)}`);
  await client.query(ROW_SECURITY_OFF); // a policy raises instead of hiding rows from a change
  emit({ kind: 'phase', phase: 'lock' });
  await takeAdvisoryLock(client);
  await faultPoint('after-lock');

  emit({ kind: 'phase', phase: 'recheck' });
  const catalog = await loadCatalog(client);
  refuseOtherSearchPath(catalog, plan);
  const prepared = prepareAll(catalog, opts, selected);
  const tables = [...new Set(prepared.flatMap((p) => p.tables))];
  await checkTargets(client, catalog, selected, tables);
  // An online apply between two of its transactions holds no lock, only its lease.
  await claimLease(client, newHolder(), { hold: false, say: (text) => emit({ kind: 'note', text }) });
  at.current = 'locking the tables';
  await lockTablesUpFront(client, catalog, selected.flatMap((f) => flatSteps(f.steps)), opts.lockTimeoutMs, opts.lockRetries);
  at.current = '';
  await refuseStaleOrEdited(client, catalog, opts, selected, prepared);

  emit({ kind: 'phase', phase: 'snapshot' });
  at.snapshotFile = await snapshotBeforeChange(opts, catalog, tables);
  await ensureJournal(client);
  const runId = await startRun(client, { mode: 'window', window: opts.window.text, planId: plan.id, fingerprint: plan.fingerprint, findings: selected.map((f) => f.id), snapshotFile: at.snapshotFile });
  await faultPoint('after-snapshot');

  emit({ kind: 'phase', phase: 'steps' });
  const runner: StepRunner = { client, runId, lockTimeoutMs: opts.lockTimeoutMs, lockRetries: opts.lockRetries, emit, seq: 0 };
  const faults = faultCounter();
  // Every step in this one transaction (each in a savepoint of its own: step-runner.ts).
  const rows = await runFindings(selected, at, {
    statement: async (f, s, total) => {
      const n = await runStep(runner, f, s, total);
      await faults.stepDone(s.role === 'backup');
      return changedBy(s, n);
    },
  });

  emit({ kind: 'phase', phase: 'verify' });
  at.current = 'verification';
  await verify(client, selected, prepared);

  emit({ kind: 'phase', phase: 'journal' });
  await recordFindings(client, runId, selected, prepared, 'applied');
  const changed = await finishRun(client, runId);
  emit({ kind: 'phase', phase: 'commit' });
  await faultPoint('before-commit');
  // withTransaction commits when this returns.
  return committed(runId, selected, rows, changed, alreadyOut, at.snapshotFile);
}

async function recordFailure(client: pg.Client, opts: ApplyOptions, selected: FindingPlan[], error: string, snapshotFile?: string): Promise<void> {
  // Best effort: the server may be the thing that failed.
  await withTransaction(client, async () => {
    await ensureJournal(client);
    await startRun(client, { mode: opts.mode, window: opts.window.text, planId: opts.plan.id, fingerprint: opts.plan.fingerprint, findings: selected.map((f) => f.id), status: 'failed', error, ...(snapshotFile ? { snapshotFile } : {}) });
  }).catch(() => {});
}
