import type { FindingPlan, Row } from '../../../engine/index.js';
import { tableColumns } from '../../SampleTable.js';

/**
 * Which columns of sample rows are shown: a sideways scroll (the key stays put, the others move)
 * and the columns the reviewer chose to hide, per table — so `created_at`, which decides keep
 * oldest/newest, is never stuck behind "+13 more columns". Shared by the detail's rows pane and
 * the resolve preview; the column chooser is an overlay of either.
 */

export interface ColumnChooser {
  /** The table whose columns are chosen (its hidden set is kept per table). */
  table: string;
  columns: string[];
  cursor: number;
}

export interface ColumnsSlice {
  columns: {
    /** Scrollable columns skipped on the left. */
    offset: number;
    /** Per table (qualified), the columns hidden. */
    hidden: Record<string, string[]>;
    chooser?: ColumnChooser;
  };
}

export const initialColumns = (): ColumnsSlice => ({ columns: { offset: 0, hidden: {} } });

export type ColumnsAction =
  | { type: 'columnsScroll'; to: number }
  | { type: 'columnsChooser'; chooser?: ColumnChooser }
  | { type: 'columnsCursor'; to: number }
  | { type: 'columnsToggle'; table: string; column: string; all: string[] };

/** Another finding's (or screen's) rows start scrolled back, without the chooser; hidden columns stay. */
const RESET = new Set(['openDetail', 'resolveOpen', 'resolveClose', 'screen']);

export function reduceColumns<S extends ColumnsSlice>(s: S, action: { type: string }): S {
  if (RESET.has(action.type)) return s.columns.offset || s.columns.chooser ? { ...s, columns: { offset: 0, hidden: s.columns.hidden } } : s;
  const a = action as ColumnsAction;
  const c = s.columns;
  switch (a.type) {
    case 'columnsScroll':
      return { ...s, columns: { ...c, offset: Math.max(0, a.to) } };
    case 'columnsChooser': {
      const { chooser: _old, ...rest } = c;
      return { ...s, columns: a.chooser ? { ...rest, chooser: a.chooser } : rest };
    }
    case 'columnsCursor':
      return c.chooser ? { ...s, columns: { ...c, chooser: { ...c.chooser, cursor: Math.max(0, Math.min(c.chooser.columns.length - 1, a.to)) } } } : s;
    case 'columnsToggle': {
      const now = c.hidden[a.table] ?? [];
      const next = now.includes(a.column) ? now.filter((x) => x !== a.column) : [...now, a.column];
      // Hiding every column would leave an empty table: the last one stays.
      if (a.all.every((x) => next.includes(x))) return s;
      return { ...s, columns: { ...c, hidden: { ...c.hidden, [a.table]: next } } };
    }
    default:
      return s;
  }
}

/** The table a finding's sample rows come from (the hidden set's key). */
export function sampleTable(fp: FindingPlan): string {
  return fp.table ?? fp.id;
}

/** Every column the finding's sample rows (checks, resolution preview, `extra` rows) have. */
export function sampleColumnsOf(fp: FindingPlan, extra: Row[] = []): string[] {
  const rows = [...fp.checks.flatMap((c) => c.sample), ...(fp.resolutionPreview?.sample ?? []), ...(fp.resolutionPreview?.ranked ?? []), ...extra];
  return tableColumns(rows);
}

/** The view of sample tables for a finding: how far scrolled, which columns hidden. */
export function tableView(s: ColumnsSlice, fp: FindingPlan): { offset: number; hidden: string[] } {
  return { offset: s.columns.offset, hidden: s.columns.hidden[sampleTable(fp)] ?? [] };
}
