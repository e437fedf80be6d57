import type { Navigation } from '../../screen-state.js';

/** The detail's slice: which finding, which pane, how far scrolled, how much diff context. */

export type Pane = 'sql' | 'diff' | 'rows' | 'steps' | 'rollback';
export const PANES: Pane[] = ['sql', 'diff', 'rows', 'steps', 'rollback'];
export const PANE_TITLES: Record<Pane, string> = { sql: 'SQL', diff: 'Diff', rows: 'Rows', steps: 'Steps', rollback: 'Rollback' };

export interface DetailSlice {
  detail: { id: string; pane: Pane; scroll: number; context: number };
}

export type DetailAction =
  | { type: 'openDetail'; id: string; pane: Pane; context: number }
  | { type: 'pane'; delta: number }
  | { type: 'paneAt'; pane: Pane }
  | { type: 'scroll'; to: number }
  | { type: 'context'; to: number };

export const initialDetail = (): DetailSlice => ({ detail: { id: '', pane: 'sql', scroll: 0, context: 3 } });

export function reduceDetail<S extends DetailSlice & Navigation>(s: S, action: { type: string }): S {
  const a = action as DetailAction;
  switch (a.type) {
    case 'openDetail':
      return { ...s, screen: 'detail', help: false, cursorId: a.id, detail: { id: a.id, pane: a.pane, scroll: 0, context: a.context } };
    case 'pane': {
      const i = PANES.indexOf(s.detail.pane);
      const pane = PANES[(i + a.delta + PANES.length) % PANES.length]!;
      return { ...s, detail: { ...s.detail, pane, scroll: 0 } };
    }
    case 'paneAt':
      return s.detail.pane === a.pane ? s : { ...s, detail: { ...s.detail, pane: a.pane, scroll: 0 } };
    case 'scroll':
      return { ...s, detail: { ...s.detail, scroll: Math.max(0, a.to) } };
    case 'context':
      return { ...s, detail: { ...s.detail, context: Math.max(0, a.to), scroll: 0 } };
    default:
      return s;
  }
}
