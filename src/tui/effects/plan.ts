import type { FindingPlan, ResolutionPreview } from '../../engine/index.js';
import type { Finding } from '../../findings/model.js';
import { errorMessage } from '../../util/errors.js';
import { maxContext } from '../diff-context.js';
import { keyCount } from '../screens/list/list-view.js';
import { STATUS_LOOK } from '../theme.js';
import { say, type EffectContext } from './context.js';

/** Planning: the session's start (boot, then the whole plan), and one finding re-planned. */

/** Boot (if any), then the whole plan, filling statuses in as the engine reports. */
export async function start(ctx: EffectContext): Promise<void> {
  const { store } = ctx;
  try {
    await ctx.services.ready((text) => store.dispatch({ type: 'boot', text }));
    store.dispatch({ type: 'boot' });
  } catch (e) {
    store.dispatch({ type: 'boot' });
    store.dispatch({ type: 'planFailed', error: errorMessage(e) });
    return;
  }
  await planAll(ctx);
}

export function planAll(ctx: EffectContext): Promise<void> {
  const { store } = ctx;
  ctx.running.planning ??= (async () => {
    store.dispatch({ type: 'planStarted' });
    try {
      const plan = await ctx.services.buildPlan(store.getState().findings, { onProgress: (event) => store.dispatch({ type: 'planEvent', event }) });
      store.dispatch({ type: 'planDone', plan });
    } catch (e) {
      store.dispatch({ type: 'planFailed', error: errorMessage(e) });
    } finally {
      ctx.running.planning = undefined;
    }
  })();
  return ctx.running.planning;
}

/** Re-plans one finding (after an edit or a resolution) and merges it into the plan. */
export async function replan(ctx: EffectContext, finding: Finding, resolutionPreview?: ResolutionPreview): Promise<void> {
  const { store } = ctx;
  const plan = store.getState().plan;
  if (!plan) return;
  store.dispatch({ type: 'findingChanged', finding });
  store.dispatch({ type: 'busy', id: finding.id, what: 're-planning' });
  try {
    const sub = await ctx.services.buildPlan([finding], { planId: plan.id });
    const fp = sub.findings[0]!;
    const known = new Set(store.getState().plan?.tables ?? plan.tables ?? []);
    if ((sub.tables ?? []).some((t) => !known.has(t))) {
      // The edit reaches tables the plan did not cover: its fingerprint must cover them too.
      store.dispatch({ type: 'busy', id: finding.id });
      await planAll(ctx);
      return;
    }
    const merged: FindingPlan = resolutionPreview && fp.status === 'resolved' ? { ...fp, resolutionPreview } : fp;
    store.dispatch({ type: 'findingPlanned', plan: merged });
    // The new diff opens with all the context it holds (as a freshly opened detail does), not the old diff's.
    if (store.getState().detail.id === merged.id) store.dispatch({ type: 'context', to: maxContext(merged.diff) });
    const look = STATUS_LOOK[merged.status];
    const count = keyCount(merged);
    say(ctx, `${merged.id} re-planned: ${look.glyph} ${look.word}${count ? ` · ${count}` : ''}${merged.error ? ` · ${merged.error}` : ''}`, merged.status === 'error' ? 'bad' : 'ok');
  } catch (e) {
    store.dispatch({ type: 'busy', id: finding.id });
    say(ctx, `${finding.id}: could not re-plan: ${errorMessage(e)}`, 'bad');
  }
}
