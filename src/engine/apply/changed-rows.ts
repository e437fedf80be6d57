import type { FindingPlan } from '../plan/plan-model.js';
import { changesOf, statements } from '../plan/steps.js';

/**
 * Rows deleted and updated — by the rehearsal (what a run will change) or by a run (what it
 * changed) — and how both faces say it. Not the rows a check counted: a duplicate group keeps one
 * row, so "7 duplicates rows" resolve with 4 updates.
 */

export interface ChangedRows {
  deleted: number;
  updated: number;
}

/** What the finding's DELETE / UPDATE steps changed in rehearsal (alone); undefined when not rehearsed. */
export function rehearsedChanges(f: FindingPlan): ChangedRows | undefined {
  const counts = f.rehearsal?.ok && !f.rehearsal.skipped?.startsWith('--no-rehearse') ? f.rehearsal.rowCounts : undefined;
  const out: ChangedRows = { deleted: 0, updated: 0 };
  for (const s of statements(f.steps)) {
    const changes = changesOf(s);
    if (!changes) continue;
    const n = counts?.[s.index];
    if (n === undefined) return undefined;
    if (changes === 'delete') out.deleted += n;
    else out.updated += n;
  }
  return out;
}

/** `4 rows updated`, `3 rows deleted, 2 updated`, `no rows changed`. */
export function changedRowsText(c: Partial<ChangedRows>): string {
  const rows = (n: number) => `${n} row${n === 1 ? '' : 's'}`;
  const d = c.deleted ?? 0;
  const u = c.updated ?? 0;
  if (d && u) return `${rows(d)} deleted, ${u} updated`;
  if (d) return `${rows(d)} deleted`;
  if (u) return `${rows(u)} updated`;
  return 'no rows changed';
}
