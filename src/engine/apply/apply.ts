import type { ApplyOptions, ApplyResult, AppliedFinding } from './apply-model.js';
import { blockingLeft, isApplicable, isSignedOffSkipped, type FindingPlan, type Plan } from '../plan/plan-model.js';
import { connect } from '../../db/session.js';
import { PgmendError, Refusal, errorMessage } from '../../util/errors.js';
import { outsideWindow, windowState } from './maintenance-window.js';
import { applyInWindow } from './window-mode.js';
import { applyOnline } from './online-mode.js';
import { notApplied } from './run-flow.js';
import { planFromFlat } from '../plan/steps.js';

/**
 * Apply's one entry: which findings run, the maintenance window checked (for a resumed run too),
 * then window mode (window-mode.ts: one transaction) or online mode (online-mode.ts: a transaction
 * per step, resumable). The two modes share their guard, steps loop, verification and journal
 * (guard.ts, run-flow.ts, verify.ts, journal.ts) and never import each other.
 */

export { ADVISORY_KEY } from './guard.js';

export function selectFindings(plan: ApplyOptions['plan'], only?: string[]): { selected: FindingPlan[]; already: FindingPlan[] } {
  if (only) {
    const unknown = only.filter((id) => !plan.findings.some((f) => f.id === id));
    if (unknown.length) {
      throw new PgmendError(`--only: no finding ${unknown.map((u) => `"${u}"`).join(', ')} in the plan`, 2, `findings: ${plan.findings.map((f) => f.id).join(', ')}`);
    }
  }
  // A reviewer's skip sign-off keeps a finding out unless --only names it (an explicit override).
  const chosen = plan.findings.filter((f) => (only ? only.includes(f.id) : !isSignedOffSkipped(f.finding)));
  const refused = chosen.filter((f) => f.status === 'blocked' || f.status === 'error');
  if (refused.length) {
    const list = refused.map((f) => (f.status === 'error' ? `${f.id} (error: ${f.error})` : `${f.id} (${blockingLeft(f.checks).map((c) => `${c.rows} ${c.id}`).join(', ')})`)).join('; ');
    const rest = chosen.filter((f) => !refused.includes(f) && f.status !== 'applied').map((f) => f.id);
    const fix = refused.some((f) => f.status === 'blocked') ? (refused.some((f) => f.status === 'error') ? 'add a resolution to each blocked finding and fix the findings in error' : 'add a resolution to each blocked finding') : 'fix the findings in error';
    throw new Refusal(`${refused.length} finding(s) cannot be applied: ${list}`, `${fix}, or leave them out${rest.length ? ` with --only ${rest.join(',')}` : ' with --only'}`);
  }
  return { selected: chosen.filter(isApplicable), already: chosen.filter((f) => f.status === 'applied') };
}

export async function applyPlan(opts: ApplyOptions): Promise<ApplyResult> {
  const { selected, already } = selectFindings(opts.plan, opts.only);
  const alreadyOut: AppliedFinding[] = already.map((f) => ({ id: f.id, outcome: 'already-applied', rows: 0, reason: f.appliedReason ?? 'already in place' }));
  const outside = outsideRefusal(opts, alreadyOut);
  if (outside) return outside;
  if (selected.length === 0) {
    return { runId: null, status: 'nothing-to-do', rowsChanged: 0, findings: alreadyOut };
  }
  return opts.mode === 'online' ? applyOnline(opts, selected, alreadyOut) : applyInWindow(opts, selected, alreadyOut);
}

/** `pgmend apply --resume RUN`: the plan comes from the journal; done steps are skipped; the same window check as any apply. */
export async function resumeRun(opts: Omit<ApplyOptions, 'plan' | 'only' | 'mode'>, runId: number): Promise<ApplyResult> {
  const outside = outsideRefusal(opts, []);
  if (outside) return outside;
  const client = await connect(opts.target, 'pgmend');
  let plan: Plan;
  let findings: string[];
  try {
    const { rows } = await client.query(`SELECT status, mode, plan, findings FROM pgmend.runs WHERE id = $1`, [runId]).catch(() => ({ rows: [] as Record<string, unknown>[] }));
    const run = rows[0];
    if (!run) throw new PgmendError(`no run ${runId} in the journal`, 1, 'see pgmend journal');
    if (run.mode !== 'online' || !run.plan) throw new PgmendError(`run ${runId} is a ${String(run.mode)}-mode run: only online runs resume`, 1, 'a window-mode run either committed or changed nothing');
    if (run.status === 'committed') throw new PgmendError(`run ${runId} already completed`, 1);
    if (run.status === 'rolled-back') throw new PgmendError(`run ${runId} was rolled back`, 1);
    plan = planFromFlat(run.plan as Parameters<typeof planFromFlat>[0]);
    findings = run.findings as string[];
  } finally {
    await client.end().catch(() => {});
  }
  const selected = plan.findings.filter((f) => findings.includes(f.id));
  return applyOnline({ ...opts, plan, mode: 'online' }, selected, [], runId);
}

function outsideRefusal(opts: Pick<ApplyOptions, 'window'>, alreadyOut: AppliedFinding[]): ApplyResult | undefined {
  const win = windowState(opts.window);
  return win.inside ? undefined : notApplied('refused', errorMessage(outsideWindow(opts.window, win)), alreadyOut);
}
