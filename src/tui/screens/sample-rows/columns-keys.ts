import type { Action } from '../../keymap.js';
import type { ReviewController } from '../../controller.js';
import { say } from '../../effects/context.js';
import { findingPlan } from '../../selectors.js';
import { seg, type Line } from '../../text.js';
import { sampleColumnsOf, sampleTable, type ColumnChooser, type ColumnsAction } from './columns-slice.js';

/**
 * Keys of sample rows, on the detail and the resolve screen: `<`/`>` (and ←/→ in the detail)
 * scroll the columns sideways, `c` opens the column chooser — which, while open, takes ↑/↓,
 * Space (show / hide) and Enter or Esc (done), and nothing else.
 */
export function columnsKey(ctx: ReviewController, action: Action): boolean {
  const s = ctx.state;
  const chooser = s.columns.chooser;
  const dispatch = (a: ColumnsAction) => ctx.store.dispatch(a);
  if (chooser) {
    chooserKey(chooser, action, dispatch);
    return true;
  }
  // In the detail ←/→ scroll the columns; on the resolve screen they change the field's option.
  const mapped: Action = s.screen === 'detail' ? (action === 'left' ? 'columnsLeft' : action === 'right' ? 'columnsRight' : action) : action;
  if (mapped !== 'columnsLeft' && mapped !== 'columnsRight' && mapped !== 'columns') return false;
  const fp = findingPlan(s, s.detail.id);
  if (!fp) return true;
  const result = s.screen === 'resolve' ? s.resolve?.preview?.result : undefined;
  const columns = sampleColumnsOf(fp, [...(result?.ranked ?? []), ...(result?.sample ?? [])]);
  if (mapped === 'columns') {
    if (!columns.length) return say(ctx, 'no sample rows here to choose columns of'), true;
    if (s.screen === 'detail') ctx.store.dispatch({ type: 'paneAt', pane: 'rows' });
    dispatch({ type: 'columnsChooser', chooser: { table: sampleTable(fp), columns, cursor: 0 } });
    return true;
  }
  const to = s.columns.offset + (mapped === 'columnsLeft' ? -1 : 1);
  // The key column stays put: at most all but one of the others scroll out.
  dispatch({ type: 'columnsScroll', to: Math.max(0, Math.min(to, columns.length - 2)) });
  return true;
}

function chooserKey(c: ColumnChooser, action: Action, dispatch: (a: ColumnsAction) => void): void {
  switch (action) {
    case 'up':
      return dispatch({ type: 'columnsCursor', to: c.cursor - 1 });
    case 'down':
      return dispatch({ type: 'columnsCursor', to: c.cursor + 1 });
    case 'top':
      return dispatch({ type: 'columnsCursor', to: 0 });
    case 'bottom':
      return dispatch({ type: 'columnsCursor', to: c.columns.length - 1 });
    case 'mark':
      return dispatch({ type: 'columnsToggle', table: c.table, column: c.columns[c.cursor]!, all: c.columns });
    case 'open':
    case 'back':
    case 'columns':
      return dispatch({ type: 'columnsChooser' });
    default:
      // Anything else waits until the chooser is closed.
      return;
  }
}

/** The chooser, in place of the rows: one line per column, ✔ shown / · hidden. */
export function chooserLines(c: ColumnChooser, hidden: string[], height: number): Line[] {
  const head: Line[] = [[seg(`Columns of ${c.table} in sample rows`, undefined, { bold: true }), seg(' · Space shows/hides · Enter done', 'muted')]];
  const room = Math.max(1, height - head.length);
  const top = Math.max(0, Math.min(c.cursor - Math.floor(room / 2), c.columns.length - room));
  const rows = c.columns.slice(top, top + room).map((col, i): Line => {
    const at = top + i === c.cursor;
    const shown = !hidden.includes(col);
    return [seg(at ? '▸ ' : '  ', 'accent', { bold: true }), seg(shown ? '✔ ' : '· ', shown ? 'ok' : 'muted'), seg(col, shown ? undefined : 'muted', at ? { bold: true } : {})];
  });
  return [...head, ...rows];
}
