import { type ApplyEvent, type ApplyResult, isApplicable, isSignedOffSkipped, outsideWindow, windowState } from '../../engine/index.js';
import { skipReason } from '../../export/summary.js';
import { errorMessage } from '../../util/errors.js';
import { resultLines, stepLine } from '../apply-log.js';
import { currentId } from '../selectors.js';
import { planInProgress, say, type EffectContext } from './context.js';
import { planAll } from './plan.js';

/** Applying: the batch chosen, the typed confirmation, the run itself, and back to the list. */

export function openApply(ctx: EffectContext): void {
  const wait = planInProgress(ctx);
  if (wait) return say(ctx, wait);
  const s = ctx.store.getState();
  const cur = currentId(s);
  const chosen = s.marked.length ? s.marked : cur ? [cur] : [];
  const inPlan = s.plan!.findings.filter((f) => chosen.includes(f.id));
  const signedSkip = (id: string) => s.findings.some((f) => f.id === id && isSignedOffSkipped(f));
  const ids = inPlan.filter((f) => isApplicable(f) && !signedSkip(f.id)).map((f) => f.id);
  const skipped = inPlan.filter((f) => !ids.includes(f.id)).map((f) => ({ id: f.id, reason: signedSkip(f.id) ? 'signed off as skipped' : skipReason(f) }));
  if (!ids.length) {
    const why = skipped.map((x) => `${x.id} ${x.reason}`).join('; ');
    return say(ctx, `nothing to apply${why ? `: ${why}` : ''} — mark ready or resolved findings with Space`, 'bad');
  }
  ctx.store.dispatch({ type: 'applyOpen', ids, skipped });
}

export function cancelApply(ctx: EffectContext): void {
  ctx.store.dispatch({ type: 'applyClose' });
  say(ctx, 'cancelled — nothing was changed');
}

/** The typed confirmation: the exact database name runs the apply; anything else cancels. */
export async function confirmApply(ctx: EffectContext, typed: string): Promise<void> {
  const { store, services } = ctx;
  const s = store.getState();
  const ap = s.apply;
  if (!ap || ap.phase !== 'confirm' || !s.plan) return;
  if (typed !== services.databaseName) return cancelApply(ctx);
  const now = services.now();
  const win = windowState(services.window, now);
  if (!win.inside) {
    store.dispatch({ type: 'applyClose' });
    return say(ctx, errorMessage(outsideWindow(services.window, win, 'nothing was changed', now)), 'bad');
  }
  ctx.running.applying = true;
  store.dispatch({ type: 'applyStarted' });
  let result: ApplyResult;
  try {
    result = await services.applyPlan(s.plan, ap.ids, (e) => onApplyEvent(ctx, e));
  } catch (e) {
    // Window mode: the transaction never committed. Online mode cannot say that of an error the
    // engine did not report as a result: steps may have committed (the journal tells).
    result = { runId: null, status: 'failed', rowsChanged: 0, findings: [], error: errorMessage(e), rolledBack: services.mode === 'window' };
  } finally {
    ctx.running.applying = false;
  }
  store.dispatch({ type: 'applyDone', result });
}

function onApplyEvent(ctx: EffectContext, e: ApplyEvent): void {
  ctx.store.dispatch({ type: 'applyEvent', event: e });
  if (e.kind === 'step' && e.status !== 'running') ctx.store.dispatch({ type: 'log', lines: [stepLine(e)] });
}

/** After the result: back to the list, marks of applied findings dropped, the plan rebuilt. */
export function closeApply(ctx: EffectContext): void {
  const { store } = ctx;
  const r = store.getState().apply?.result;
  const applied = new Set(r?.findings.filter((f) => f.outcome === 'applied').map((f) => f.id) ?? []);
  // The result stays in the scrollback, above the list.
  if (r) store.dispatch({ type: 'log', lines: resultLines(r, ctx.services.mode) });
  store.dispatch({ type: 'applyClose' });
  store.dispatch({ type: 'setMarks', ids: store.getState().marked.filter((id) => !applied.has(id)) });
  if (r?.status === 'committed') {
    say(ctx, `run ${r.runId} committed — re-planning to show what is left`, 'ok');
    void planAll(ctx);
  } else if (r?.status === 'failed' && !r.rolledBack) {
    // Online mode: the steps before the failure are committed; the plan shows what is left.
    void planAll(ctx);
  }
}
