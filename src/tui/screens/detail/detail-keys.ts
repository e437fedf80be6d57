import { plural } from '../../../export/values.js';
import type { Action } from '../../keymap.js';
import type { Layout, ReviewController } from '../../controller.js';
import { maxContext } from '../../diff-context.js';
import { movedTo } from '../../scroll-keys.js';
import { say } from '../../effects/context.js';
import { findingPlan } from '../../selectors.js';
import { findingKey } from '../finding-keys.js';
import { detailLayout } from './detail-layout.js';
import { PANES, type Pane } from './detail-slice.js';
import { cursorIndex, visibleItems } from '../list/list-view.js';
import { columnsKey } from '../sample-rows/columns-keys.js';
import { tableView } from '../sample-rows/columns-slice.js';

/** What keys do on a finding's detail. */

export function openDetail(ctx: ReviewController, id: string): void {
  const fp = findingPlan(ctx.state, id);
  if (!fp) return say(ctx, `${id}: still being checked — its detail opens when the engine has answered`);
  const pane: Pane = fp.status === 'blocked' || fp.status === 'resolved' ? 'rows' : fp.status === 'error' ? 'steps' : 'sql';
  ctx.store.dispatch({ type: 'openDetail', id, pane, context: maxContext(fp.diff) });
}

/** `]` / `[`: the next or previous finding of the list (its order and filter) that has a plan, on the same pane. */
function stepFinding(ctx: ReviewController, delta: 1 | -1): void {
  const s = ctx.state;
  const list = visibleItems(s);
  const at = list.findIndex((x) => x.id === s.detail.id);
  for (let i = (at < 0 ? cursorIndex(s, list) : at) + delta; i >= 0 && i < list.length; i += delta) {
    const fp = findingPlan(s, list[i]!.id);
    if (!fp) continue;
    ctx.store.dispatch({ type: 'openDetail', id: fp.id, pane: s.detail.pane, context: maxContext(fp.diff) });
    return say(ctx, `${fp.id} · ${i + 1} of ${list.length}${s.filter ? ` (filter "${s.filter}")` : ''}`);
  }
  say(ctx, delta > 0 ? 'this is the last finding' : 'this is the first finding');
}

export function detailKey(ctx: ReviewController, action: Action, layout: Layout, input: string): void {
  if (columnsKey(ctx, action)) return;
  const s = ctx.state;
  const { scroll, context, id } = s.detail;
  const f = findingPlan(s, id);
  const { lines, viewport } = f ? detailLayout(f, s.detail, layout.width, layout.height, tableView(s, f)) : { lines: [], viewport: 1 };
  const max = Math.max(0, lines.length - viewport);
  const page = Math.max(1, viewport - 1);
  const moved = movedTo(action, scroll, max, page);
  if (moved !== undefined) return ctx.store.dispatch({ type: 'scroll', to: Math.max(0, Math.min(max, moved)) });
  switch (action) {
    case 'nextPane':
      return ctx.store.dispatch({ type: 'pane', delta: 1 });
    case 'prevPane':
      return ctx.store.dispatch({ type: 'pane', delta: -1 });
    case 'paneAt': {
      const pane = PANES[Number(input) - 1];
      return pane ? ctx.store.dispatch({ type: 'paneAt', pane }) : undefined;
    }
    case 'nextFinding':
      return stepFinding(ctx, 1);
    case 'prevFinding':
      return stepFinding(ctx, -1);
    case 'moreContext':
    case 'lessContext': {
      const most = maxContext(f?.diff ?? '');
      const next = Math.max(0, Math.min(most, context + (action === 'moreContext' ? 1 : -1)));
      ctx.store.dispatch({ type: 'context', to: next });
      return say(ctx, `diff context: ${plural(next, 'line')}${next === most ? ' (all the plan holds)' : ''}`);
    }
    case 'back':
      return ctx.store.dispatch({ type: 'screen', screen: 'list' });
    default:
      findingKey(ctx, action);
  }
}
