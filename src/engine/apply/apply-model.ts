import type { DbTarget } from '../../db/connection.js';
import type { PlaybookSet } from '../../playbooks/load.js';
import type { Mode, Plan } from '../plan/plan-model.js';
import type { MaintenanceWindow } from './maintenance-window.js';

/** What apply takes and reports. The CLI and the TUI both drive apply through this. */

export interface ApplyOptions {
  target: DbTarget;
  /** The reviewed plan; its findings (and their resolutions) are re-rendered against the live catalog. */
  plan: Plan;
  playbooks: PlaybookSet;
  /** Finding ids to apply; default: every ready or resolved finding. */
  only?: string[];
  mode: Mode;
  window: MaintenanceWindow;
  lockTimeoutMs: number;
  /** Attempts to take each lock before giving up (backoff doubles from lockTimeoutMs). */
  lockRetries: number;
  /** Where schema snapshots are written (default: snapshots/ of the checkout, or ./snapshots). */
  snapshotDir?: string;
  onProgress?: (e: ApplyEvent) => void;
}

export type ApplyPhase = 'connect' | 'lock' | 'recheck' | 'snapshot' | 'steps' | 'verify' | 'journal' | 'commit' | 'done';

export type ApplyEvent =
  | { kind: 'phase'; phase: ApplyPhase }
  | { kind: 'step'; findingId: string; index: number; total: number; description: string; status: 'running' | 'done' | 'failed'; rows?: number; ms?: number }
  /** Index builds: blocks done of blocks total (pg_stat_progress_create_index). */
  | { kind: 'progress'; findingId: string; index: number; done: number; total: number; phase: string }
  /** A line worth telling the user as it happens (an expired lease taken over). */
  | { kind: 'note'; text: string };

export interface AppliedFinding {
  id: string;
  outcome: 'applied' | 'already-applied' | 'skipped';
  rows: number;
  /** Rows this run deleted and updated for the finding, as its statements reported them. */
  deleted?: number;
  updated?: number;
  reason?: string;
}

export interface ApplyResult {
  runId: number | null;
  status: 'committed' | 'failed' | 'refused' | 'nothing-to-do';
  rowsChanged: number;
  findings: AppliedFinding[];
  /** One line: the finding, the step and the database's error, or why it was refused. */
  error?: string;
  snapshotFile?: string;
  /** For a failure: nothing was changed (the transaction rolled back). */
  rolledBack?: boolean;
}

export type { DbTarget, PlaybookSet };
