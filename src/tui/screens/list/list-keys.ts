import type { Key } from 'ink';
import { isApplicable, isSignedOffSkipped } from '../../../engine/index.js';
import { plural } from '../../../export/values.js';
import type { Action } from '../../keymap.js';
import type { Layout, ReviewController } from '../../controller.js';
import { say } from '../../effects/context.js';
import { openDetail } from '../detail/detail-keys.js';
import { findingKey } from '../finding-keys.js';
import { cursorIndex, visibleItems } from './list-view.js';
import { listViewport } from './ListScreen.js';

/** What keys do on the finding list. */

function moveCursor(ctx: ReviewController, to: (index: number, length: number) => number): void {
  const s = ctx.state;
  const list = visibleItems(s);
  if (!list.length) return;
  const i = Math.max(0, Math.min(list.length - 1, to(cursorIndex(s, list), list.length)));
  ctx.store.dispatch({ type: 'cursor', id: list[i]!.id });
}

export function listKey(ctx: ReviewController, action: Action, layout: Layout): void {
  const page = listViewport(layout.height);
  const s = ctx.state;
  switch (action) {
    case 'up':
      return moveCursor(ctx, (i) => i - 1);
    case 'down':
      return moveCursor(ctx, (i) => i + 1);
    case 'top':
      return moveCursor(ctx, () => 0);
    case 'bottom':
      return moveCursor(ctx, (_, n) => n - 1);
    case 'pageUp':
      return moveCursor(ctx, (i) => i - page);
    case 'pageDown':
      return moveCursor(ctx, (i) => i + page);
    case 'open': {
      const list = visibleItems(s);
      const id = list[cursorIndex(s, list)]?.id;
      if (id) openDetail(ctx, id);
      return;
    }
    case 'filter':
      return ctx.store.dispatch({ type: 'filtering', on: true });
    case 'sort':
      ctx.store.dispatch({ type: 'sort' });
      return say(ctx, `sorted by ${ctx.state.sort === 'plan' ? 'plan order' : ctx.state.sort}`);
    case 'markAll': {
      const skipped = new Set(s.findings.filter(isSignedOffSkipped).map((f) => f.id));
      const runnable = (s.plan?.findings ?? []).filter((f) => isApplicable(f) && !skipped.has(f.id)).map((f) => f.id);
      const all = runnable.length > 0 && runnable.every((id) => s.marked.includes(id));
      ctx.store.dispatch({ type: 'setMarks', ids: all ? [] : runnable });
      return say(ctx, all ? 'marks cleared' : `marked ${plural(runnable.length, 'ready or resolved finding')}`);
    }
    case 'back':
      // Esc never quits: a stray Esc must not end a review.
      if (s.filter) {
        ctx.store.dispatch({ type: 'filter', text: '' });
        return say(ctx, 'filter cleared');
      }
      return;
    default:
      findingKey(ctx, action);
  }
}

/**
 * `/` opened the filter within a chunk of keys (fast typing, tmux): the rest of the chunk is
 * filter text, up to Enter. Returns whether the key was taken as text.
 */
export function listText(ctx: ReviewController, ch: string, key: Key): boolean {
  const s = ctx.state;
  if (!s.filtering) return false;
  if (key.return) ctx.store.dispatch({ type: 'filtering', on: false });
  else ctx.store.dispatch({ type: 'filter', text: s.filter + ch });
  return true;
}
