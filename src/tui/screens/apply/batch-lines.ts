import { type FindingPlan, type Mode, describeTableLocks, flatSteps, statements } from '../../../engine/index.js';
import { plural } from '../../../export/values.js';
import type { ReviewState } from '../../state.js';
import { statusSeg } from '../../StatusBadge.js';
import { seg, type Line } from '../../text.js';
import type { ApplyState } from './apply-slice.js';

/** The batch the confirmation shows: per finding its steps, the rows it changes and its locks; the total. */

/** `subscriptions: ACCESS SHARE, ROW SHARE, SHARE` — the locks each table will see (per-table declarations). */
function locksOf(f: FindingPlan): string {
  return describeTableLocks(flatSteps(f.steps));
}

const CHANGES: Record<string, string> = { delete: 'deletes', update: 'updates', 'set-null': 'sets NULL in' };

/** Rows a finding's row changes touch: the rehearsed counts of the changes (not their backups). */
export function changedRows(f: FindingPlan): number | undefined {
  const changes = statements(f.steps).flatMap((s) => (s.role === 'change' ? [s.index] : []));
  if (!changes.length) return 0;
  const counts = changes.map((i) => f.rehearsal?.rowCounts[i]);
  if (counts.every((c) => c !== undefined)) return counts.reduce<number>((a, c) => a + c!, 0);
  return f.resolutionPreview?.rows;
}

/** Lines of the confirmation's scrollable part: per finding its steps, rows and locks; what is left out. */
export function planLines(state: ReviewState, ap: ApplyState, frame: number): Line[] {
  const byId = new Map(state.plan?.findings.map((f) => [f.id, f]));
  const lines: Line[] = ap.ids.flatMap((id) => {
    const f = byId.get(id)!;
    const n = changedRows(f);
    const verb = f.resolution ? CHANGES[f.resolution.strategy] : 'changes';
    const rows = n === undefined ? ' · rows: not rehearsed' : n > 0 ? ` · ${verb} ${plural(n, 'row')} (backed up)` : '';
    return [
      [seg('  '), statusSeg(f.status, frame), seg(` ${f.id}`, undefined, { bold: true }), seg(` · ${plural(flatSteps(f.steps).length, 'step')}${rows}`)],
      [seg(`      locks: ${locksOf(f) || 'none on your tables'}`, 'muted')],
    ];
  });
  const skipped: Line[] = ap.skipped.length
    ? [[seg(`  not in this run (${ap.skipped.length}):`, 'muted')], ...ap.skipped.map((x) => [seg(`    ${x.id} — ${x.reason}`, 'muted')])]
    : [];
  return [...lines, ...skipped];
}

/** The batch in one line: findings, steps, rows changed, tables locked. */
export function totalLine(state: ReviewState, ap: ApplyState): Line {
  const fs = ap.ids.map((id) => state.plan!.findings.find((f) => f.id === id)!);
  const steps = fs.reduce((a, f) => a + flatSteps(f.steps).length, 0);
  const counts = fs.map(changedRows);
  const rows = counts.reduce<number>((a, c) => a + (c ?? 0), 0);
  const unknown = counts.filter((c) => c === undefined).length;
  const tables = new Set(fs.flatMap((f) => flatSteps(f.steps).flatMap((st) => st.tables)));
  return [
    seg('Total: ', undefined, { bold: true }),
    seg(`${plural(fs.length, 'finding')} · ${plural(steps, 'step')} · ${plural(rows, 'row')} changed, each backed up first${unknown ? ` (+${unknown} not rehearsed)` : ''} · ${plural(tables.size, 'table')} locked`),
  ];
}

/** What a failure leaves, said before the name is typed: the two modes differ. */
export function failureRule(mode: Mode): string {
  return mode === 'window'
    ? 'Any failure rolls everything back: nothing changes unless every step succeeds.'
    : 'Online mode: each step commits on its own. A failure stops the run; the steps before it stay committed (journaled): finish with pgmend apply --resume, or undo with pgmend rollback.';
}

