import path from 'node:path';
import type { Finding, Review } from '../../findings/model.js';
import { errorMessage } from '../../util/errors.js';
import { say, type EffectContext } from './context.js';

/** Decisions saved in the findings file: any change of a finding, and the sign-off prompt. */

const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Writes a decision into the findings file; a failed write is said, and the session keeps it. */
export async function save(ctx: EffectContext, before: Finding, after: Finding): Promise<boolean> {
  try {
    await ctx.services.saveFinding(before, after);
    return true;
  } catch (e) {
    const file = ctx.services.findingsFile ? path.basename(ctx.services.findingsFile) : 'the findings file';
    say(ctx, `${after.id}: could not save to ${file}: ${errorMessage(e)} — kept in this session only`, 'bad');
    return false;
  }
}

/** `v` / `w` / `n`: the note prompt of a sign-off. */
export function openPrompt(ctx: EffectContext, id: string, action: 'approve' | 'skip' | 'note'): void {
  const finding = ctx.store.getState().findings.find((f) => f.id === id);
  if (!finding) return;
  if (action === 'note' && !finding.review) return say(ctx, `${id} has no sign-off yet: v approves, w skips (each asks for a note)`);
  const kind = action === 'approve' ? 'approved' : action === 'skip' ? 'skipped' : 'note';
  ctx.store.dispatch({ type: 'prompt', prompt: { id, kind, initial: finding.review?.note ?? '' } });
}

export function cancelPrompt(ctx: EffectContext): void {
  ctx.store.dispatch({ type: 'prompt' });
  say(ctx, 'no sign-off written');
}

/** Enter on the note prompt: the sign-off (who, when, note) goes into the findings file. */
export async function submitPrompt(ctx: EffectContext, text: string): Promise<void> {
  const { store, services } = ctx;
  const p = store.getState().prompt;
  store.dispatch({ type: 'prompt' });
  const finding = p && store.getState().findings.find((f) => f.id === p.id);
  if (!p || !finding) return;
  const note = text.trim();
  const base = p.kind === 'note' ? finding.review! : { status: p.kind, by: services.reviewer, at: isoSeconds(services.now()) };
  const { note: _old, ...rest } = base;
  const review: Review = note ? { ...rest, note } : rest;
  const next: Finding = { ...finding, review };
  store.dispatch({ type: 'findingChanged', finding: next });
  if (!(await save(ctx, finding, next))) return;
  const where = services.findingsFile ? ` — saved in ${path.basename(services.findingsFile)}` : '';
  say(ctx, p.kind === 'note' ? `${p.id}: note saved${where}` : `${p.id} ${review.status} by ${review.by}${where}`, 'ok');
  if (p.kind === 'skipped' && store.getState().marked.includes(p.id)) store.dispatch({ type: 'toggleMark', id: p.id });
}
