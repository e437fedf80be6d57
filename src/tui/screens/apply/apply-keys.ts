import type { Action } from '../../keymap.js';
import type { Layout, ReviewController } from '../../controller.js';
import { cancelApply, closeApply } from '../../effects/apply.js';
import type { Mode } from '../../../engine/index.js';
import type { ReviewState } from '../../state.js';
import { seg, wrap } from '../../text.js';
import { failureRule, planLines } from './batch-lines.js';

/** What keys do on the apply screen; the confirmation's scroll (its name input has the keyboard). */

/** Rows the confirmation takes besides its scrollable list and the failure rule: title, total, window, the prompt (its question wraps at 80 columns, then the input). */
export const CONFIRM_CHROME = 6;

/** Rows for the batch: what the confirmation leaves (the failure rule is wrapped, online mode's takes more). */
export const confirmListHeight = (height: number, mode: Mode, width: number): number =>
  Math.max(3, height - CONFIRM_CHROME - wrap([seg(failureRule(mode))], width).length);

/** How the batch fits the rows it has: whole, or a viewport with a "lines a–b of n" row under it. */
export function confirmViewport(s: ReviewState, listHeight: number): { total: number; fits: boolean; viewport: number } {
  const total = s.apply ? planLines(s, s.apply, 0).length : 0;
  const fits = total <= listHeight;
  return { total, fits, viewport: fits ? total : listHeight - 1 };
}

/** Scrolls the batch shown in the apply confirmation. */
export function scrollApply(ctx: ReviewController, delta: number, listHeight: number): void {
  const ap = ctx.state.apply;
  if (!ap || ap.phase !== 'confirm') return;
  const { total, viewport } = confirmViewport(ctx.state, listHeight);
  const max = Math.max(0, total - viewport);
  ctx.store.dispatch({ type: 'applyScroll', to: Math.max(0, Math.min(max, (ap.scroll ?? 0) + delta)) });
}

export function applyKey(ctx: ReviewController, action: Action, _layout: Layout): void {
  const ap = ctx.state.apply;
  if (!ap) return;
  if (ap.phase === 'done' && (action === 'open' || action === 'back')) return closeApply(ctx);
  if (ap.phase === 'confirm' && action === 'back') return cancelApply(ctx);
}
