import { blockingLeft } from '../../engine/index.js';
import { errorMessage } from '../../util/errors.js';
import { maxContext } from '../diff-context.js';
import { findingPlan } from '../selectors.js';
import { draftResolution, initialDraft } from '../screens/resolve/resolve-draft.js';
import { say, type EffectContext } from './context.js';
import { save } from './sign-off.js';
import { replan } from './plan.js';

/** The resolve panel's engine calls: the debounced preview of a draft, and choosing it. */

const PREVIEW_DEBOUNCE_MS = 200;

export function openResolve(ctx: EffectContext, id: string): void {
  const s = ctx.store.getState();
  if (!s.plan) return say(ctx, 'wait: the plan is still being built');
  const fp = findingPlan(s, id);
  if (!fp) return;
  if (s.busy[id]) return say(ctx, `${id} is being re-planned`);
  if (!blockingLeft(fp.checks).length) return say(ctx, `${id} has no blocking rows to resolve`);
  ctx.store.dispatch({ type: 'openDetail', id, pane: 'rows', context: maxContext(fp.diff) });
  ctx.store.dispatch({ type: 'resolveOpen', resolve: { id, ...initialDraft(fp) } });
  schedulePreview(ctx, 0);
}

export function closeResolve(ctx: EffectContext): void {
  clearTimeout(ctx.running.previewTimer);
  ctx.store.dispatch({ type: 'resolveClose' });
}

/** The set-values text input: typing updates the draft (and its preview). */
export function setResolveText(ctx: EffectContext, text: string): void {
  ctx.store.dispatch({ type: 'resolveUpdate', patch: { setText: text } });
  schedulePreview(ctx);
}

export function schedulePreview(ctx: EffectContext, delay = PREVIEW_DEBOUNCE_MS): void {
  clearTimeout(ctx.running.previewTimer);
  ctx.running.previewTimer = setTimeout(() => void preview(ctx), delay);
}

/** Recounts and samples the rows the draft would change (read-only; rolled back). */
export async function preview(ctx: EffectContext): Promise<void> {
  const { store } = ctx;
  const s = store.getState();
  const rs = s.resolve;
  const finding = rs && s.findings.find((f) => f.id === rs.id);
  if (!rs || !finding) return;
  const draft = draftResolution(rs);
  if (!draft.ok) {
    store.dispatch({ type: 'preview', preview: { key: JSON.stringify(rs), status: 'error', error: draft.error } });
    return;
  }
  const key = JSON.stringify(draft.resolution);
  if (rs.preview?.key === key && rs.preview.status !== 'error') return;
  store.dispatch({ type: 'preview', preview: { key, status: 'loading' } });
  try {
    const result = await ctx.services.previewResolution(finding, draft.resolution);
    store.dispatch({ type: 'preview', preview: { key, status: 'ok', result } });
  } catch (e) {
    store.dispatch({ type: 'preview', preview: { key, status: 'error', error: errorMessage(e) } });
  }
}

/** Enter on the resolve panel: the previewed resolution becomes the finding's, and it is re-planned. */
export async function chooseResolution(ctx: EffectContext): Promise<void> {
  const s = ctx.store.getState();
  const rs = s.resolve;
  const finding = rs && s.findings.find((f) => f.id === rs.id);
  if (!rs || !finding) return;
  const draft = draftResolution(rs);
  if (!draft.ok) return say(ctx, draft.error, 'bad');
  const p = rs.preview;
  if (!p || p.key !== JSON.stringify(draft.resolution) || p.status === 'loading') return say(ctx, 'wait for the preview: see the rows before choosing');
  if (p.status === 'error' || !p.result) return say(ctx, `cannot choose this resolution: ${p.error ?? 'no preview'}`, 'bad');
  clearTimeout(ctx.running.previewTimer);
  const { after: _after, ...shown } = p.result;
  ctx.store.dispatch({ type: 'resolveClose' });
  const next = { ...finding, resolution: draft.resolution };
  await save(ctx, finding, next);
  await replan(ctx, next, shown);
}
