import type { FindingPlan } from '../../../engine/index.js';
import { paneLines, type TableView } from './detail-panes.js';
import type { DetailSlice } from './detail-slice.js';

/** Header, title and tab rows above the pane. */
export const DETAIL_CHROME = 3;

// The pane's lines are built once per (plan, pane, width, context): the view and the scroll keys
// both ask, and a long SQL pane is highlighted line by line.
const built = new WeakMap<FindingPlan, Map<string, ReturnType<typeof paneLines>>>();

/** The pane's lines and how many of them show. */
export function detailLayout(f: FindingPlan, d: DetailSlice['detail'], width: number, height: number, view: TableView = { offset: 0, hidden: [] }) {
  const key = `${d.pane}:${width}:${d.context}:${view.offset}:${view.hidden.join('\u0000')}`;
  let forPlan = built.get(f);
  if (!forPlan) built.set(f, (forPlan = new Map()));
  let lines = forPlan.get(key);
  if (!lines) forPlan.set(key, (lines = paneLines(f, d.pane, width, d.context, view)));
  // A scanned finding says why it was proposed, on one line under its title.
  const viewport = Math.max(1, height - DETAIL_CHROME - (f.evidence ? 1 : 0));
  return { lines, viewport };
}
