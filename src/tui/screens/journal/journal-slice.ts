import type { JournalRun } from '../../services.js';
import type { Navigation } from '../../screen-state.js';
import { withoutKey } from '../../without-key.js';

/** The journal screen's slice: the runs read from the database, the selected one, a rollback asked for or running. */

export interface JournalState {
  runs?: JournalRun[];
  loading: boolean;
  error?: string;
  /** Index of the selected run (newest first). */
  cursor: number;
  /** The run whose rollback waits for the typed database name. */
  confirm?: number;
  /** The run being rolled back. */
  rollingBack?: number;
  /** What the last rollback did (or why it could not). */
  outcome?: { tone: 'ok' | 'bad'; text: string };
}

export interface JournalSlice {
  journal?: JournalState;
}

export type JournalAction =
  | { type: 'journalOpen' }
  | { type: 'journalLoaded'; runs: JournalRun[] }
  | { type: 'journalFailed'; error: string }
  | { type: 'journalCursor'; to: number }
  | { type: 'journalConfirm'; runId?: number }
  | { type: 'journalRollback'; runId?: number; outcome?: JournalState['outcome'] }
  | { type: 'journalClose' };

export function reduceJournal<S extends JournalSlice & Navigation>(s: S, action: { type: string }): S {
  const a = action as JournalAction;
  const j = s.journal;
  switch (a.type) {
    case 'journalOpen':
      return { ...s, screen: 'journal', help: false, journal: { cursor: 0, ...j, loading: true } };
    case 'journalLoaded': {
      if (!j) return s;
      const cursor = Math.max(0, Math.min(j.cursor, a.runs.length - 1));
      return { ...s, journal: { ...withoutKey(j, 'error'), runs: a.runs, loading: false, cursor } };
    }
    case 'journalFailed':
      return j ? { ...s, journal: { ...j, loading: false, error: a.error } } : s;
    case 'journalCursor':
      return j ? { ...s, journal: { ...j, cursor: Math.max(0, Math.min((j.runs?.length ?? 1) - 1, a.to)) } } : s;
    case 'journalConfirm':
      if (!j) return s;
      return { ...s, journal: a.runId !== undefined ? { ...withoutKey(j, 'outcome'), confirm: a.runId } : withoutKey(j, 'confirm') };
    case 'journalRollback': {
      if (!j) return s;
      const rest = withoutKey(withoutKey(j, 'confirm'), 'rollingBack');
      return { ...s, journal: { ...rest, ...(a.runId !== undefined ? { rollingBack: a.runId } : {}), ...(a.outcome ? { outcome: a.outcome } : {}) } };
    }
    case 'journalClose':
      return { ...withoutKey(s, 'journal'), screen: 'list' };
    default:
      return s;
  }
}
