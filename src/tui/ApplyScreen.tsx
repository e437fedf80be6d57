import {
  changedRowsText,
  formatDuration,
  outsideText,
  windowState,
  describeTableLocks,
  type FindingPlan,
} from '../engine/index.js';
import React, { useCallback } from 'react';
import path from 'node:path';
import { Box, Text, useInput } from 'ink';
import { ProgressBar } from '@inkjs/ui';
import { LineInput } from './LineInput.js';
import { describeResolution, resolutionRows } from '../export/summary.js';
import { plural } from '../export/values.js';
import type { ReviewController } from './controller.js';
import { LinesView, LineView } from './LineView.js';
import type { ApplyState, ReviewState } from './state.js';
import { statusSeg } from './StatusBadge.js';
import { seg, wrap, type Line } from './text.js';
import { spinnerGlyph } from './theme.js';
import { useFrame } from './use-tick.js';

/**
 * Apply the marked findings: what will run and the time left in the window, typed confirmation
 * of the database name (anything else cancels, Esc cancels), live progress per step, then the
 * result. Finished steps go to <Static> above, so this live part stays short.
 */

/** `subscriptions: ACCESS SHARE, ROW SHARE, SHARE` — the locks each table will see (per-table declarations). */
function locksOf(f: FindingPlan): string {
  return describeTableLocks(f.steps);
}

const CHANGES: Record<string, string> = { delete: 'deletes', update: 'updates', 'set-null': 'sets NULL in' };

/** Rows a finding's row changes touch: the rehearsed counts of the changes (not their backups). */
export function changedRows(f: FindingPlan): number | undefined {
  const changes = f.steps.flatMap((st, i) => (st.sql.includes('pg_current_xact_id()') && !/INSERT\s+INTO\s+pgmend\./i.test(st.sql) ? [i] : []));
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
      [seg('  '), statusSeg(f.status, frame), seg(` ${f.id}`, undefined, { bold: true }), seg(` · ${plural(f.steps.length, 'step')}${rows}`)],
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
  const steps = fs.reduce((a, f) => a + f.steps.length, 0);
  const counts = fs.map(changedRows);
  const rows = counts.reduce<number>((a, c) => a + (c ?? 0), 0);
  const unknown = counts.filter((c) => c === undefined).length;
  const tables = new Set(fs.flatMap((f) => f.steps.flatMap((st) => st.tables)));
  return [
    seg('Total: ', undefined, { bold: true }),
    seg(`${plural(fs.length, 'finding')} · ${plural(steps, 'step')} · ${plural(rows, 'row')} changed, each backed up first${unknown ? ` (+${unknown} not rehearsed)` : ''} · ${plural(tables.size, 'table')} locked`),
  ];
}

/** Rows the confirmation takes besides its scrollable list. */
export const CONFIRM_CHROME = 7;

function ScrollKeys({ controller }: { controller: ReviewController }) {
  // The typed-name input has the keyboard; arrows and pages scroll the batch meanwhile.
  useInput((_input, key) => {
    if (key.upArrow) controller.scrollApply(-1);
    else if (key.downArrow) controller.scrollApply(1);
    else if (key.pageUp) controller.scrollApply(-controller.metrics.applyPage);
    else if (key.pageDown) controller.scrollApply(controller.metrics.applyPage);
  });
  return null;
}

/** `22:00–02:00` in local time (dates only when the window spans days). */
export function windowSpan(start: Date, end: Date): string {
  const hm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  const sameDay = start.toDateString() === end.toDateString() || end.getTime() - start.getTime() < 86_400_000;
  return sameDay ? `${hm(start)}–${hm(end)}` : `${start.toLocaleString()} – ${end.toLocaleString()}`;
}

function ConfirmPrompt({ controller, database }: { controller: ReviewController; database: string }) {
  const onSubmit = useCallback((v: string) => void controller.confirmApply(v), [controller]);
  const onCancel = useCallback(() => controller.cancelApply(), [controller]);
  return (
    <Box flexDirection="column">
      <Text>
        Type the database name <Text bold>{database}</Text> to apply — anything else cancels, Esc cancels:
      </Text>
      <Box>
        <Text bold>{'> '}</Text>
        <LineInput onSubmit={onSubmit} onCancel={onCancel} />
      </Box>
    </Box>
  );
}

function OutsideWindow({ controller }: { controller: ReviewController }) {
  useInput((input, key) => {
    if (key.escape || key.return || (key.ctrl && input === 'c')) controller.cancelApply();
  });
  return <Text>Esc: back to the list</Text>;
}

function runningLines(ap: ApplyState, frame: number, mode: string): Line[] {
  const running = [...ap.steps].reverse().find((s) => s.status === 'running');
  const done = ap.steps.filter((s) => s.status === 'done').length;
  return [
    [seg(`${spinnerGlyph(frame)} `, 'info'), seg(`${mode === 'window' ? 'transaction open' : 'applying step by step'} · phase ${ap.current ?? 'connect'} · ${plural(done, 'step')} done`, undefined, { bold: true })],
    running
      ? [seg(`${spinnerGlyph(frame + 3)} `, 'info'), seg(`${running.findingId} ${running.index + 1}/${running.total} `, undefined, { bold: true }), seg(running.description)]
      : [seg('  …', 'muted')],
    [seg(mode === 'window' ? '  q is refused until the transaction commits or rolls back' : '  q is refused until the run stops (each step commits on its own)', 'muted')],
  ];
}

function resultLines(ap: ApplyState): Line[] {
  const r = ap.result!;
  if (r.status === 'committed') {
    const n = r.findings.filter((f) => f.outcome === 'applied').length;
    return [
      [seg('✔ committed', 'ok', { bold: true }), seg(` · ${plural(n, 'finding')} applied · ${plural(r.rowsChanged, 'row')} changed · journal run ${r.runId}`)],
      // What the run changed, per finding (not what the checks counted).
      ...r.findings.filter((f) => f.outcome === 'applied').map((f): Line => [seg(`  ${f.id}: ${changedRowsText(f)}`)]),
      ...(r.rowsChanged ? [[seg('  every changed row was copied first into the pgmend schema', 'muted')]] : []),
      [seg(`  undo with: pgmend rollback --run ${r.runId}`, 'muted')],
      ...(r.snapshotFile ? [[seg(`  schema snapshot: ${path.relative(process.cwd(), r.snapshotFile) || r.snapshotFile}`, 'muted')]] : []),
    ];
  }
  if (r.status === 'nothing-to-do') return [[seg('● nothing to apply: every selected finding is already in place', 'muted')]];
  return [
    [seg(r.status === 'refused' ? '✖ refused' : '✖ failed', 'bad', { bold: true }), seg(`: ${(r.error ?? 'unknown error').replace(/^refused:\s*/, '')}`)],
    [seg('  nothing was changed', 'bad', { bold: true }), seg(' — the transaction rolled back', 'muted')],
  ];
}

function ConfirmList({ state, ap, frame, controller, width, height }: { state: ReviewState; ap: ApplyState; frame: number; controller: ReviewController; width: number; height: number }) {
  const lines = planLines(state, ap, frame);
  const fits = lines.length <= height;
  const viewport = fits ? lines.length : height - 1;
  controller.metrics.applyLines = lines.length;
  controller.metrics.applyPage = viewport;
  const offset = Math.max(0, Math.min(ap.scroll ?? 0, lines.length - viewport));
  const shown = lines.slice(offset, offset + viewport);
  const where: Line = [seg(`  lines ${offset + 1}–${offset + shown.length} of ${lines.length} · ↑/↓ PgUp/PgDn scroll`, 'info')];
  return (
    <>
      <ScrollKeys controller={controller} />
      <LinesView lines={fits ? shown : [...shown, where]} width={width} />
    </>
  );
}

export function ApplyScreen({ state, controller, width, height }: { state: ReviewState; controller: ReviewController; width: number; height: number }) {
  const frame = useFrame();
  const ap = state.apply;
  if (!ap) return null;
  const svc = controller.services;
  const win = windowState(svc.window, svc.now());
  const head: Line = [seg(`Apply ${plural(ap.ids.length, 'finding')} to `, undefined, { bold: true }), seg(svc.databaseLabel(), 'accent', { bold: true })];
  const span = windowSpan(win.start, win.end);
  const mode = svc.mode === 'window' ? 'window mode, one transaction' : 'online mode, step by step';
  const windowLine: Line = win.inside
    ? [seg('◷ ', 'info'), seg(`${formatDuration(win.ms)} left`, undefined, { bold: true }), seg(` in the window ${span} · ${mode}`)]
    : [seg('✖ outside the maintenance window ', 'bad', { bold: true }), seg(`${span}: ${outsideText(win, svc.now())} — nothing can run now`)];
  return (
    <Box flexDirection="column">
      <LineView line={head} width={width} />
      {ap.phase === 'confirm' && (
        <>
          <ConfirmList state={state} ap={ap} frame={frame} controller={controller} width={width} height={Math.max(3, height - CONFIRM_CHROME)} />
          <LineView line={totalLine(state, ap)} width={width} />
          <LineView line={windowLine} width={width} />
          <LineView line={[seg('Any failure rolls everything back: nothing changes unless every step succeeds.', 'muted')]} width={width} />
          {win.inside ? <ConfirmPrompt controller={controller} database={svc.databaseName} /> : <OutsideWindow controller={controller} />}
        </>
      )}
      {ap.phase === 'running' && (
        <>
          <LinesView lines={runningLines(ap, frame, svc.mode)} width={width} />
          {ap.progress && (
            <Box width={Math.min(width, 60)}>
              <Text>{`  ${ap.progress.phase} ${Math.round((100 * ap.progress.done) / Math.max(1, ap.progress.total))}% `}</Text>
              <ProgressBar value={(100 * ap.progress.done) / Math.max(1, ap.progress.total)} />
            </Box>
          )}
        </>
      )}
      {ap.phase === 'done' && (
        <>
          <LinesView lines={resultLines(ap).flatMap((l) => wrap(l, width))} width={width} />
          <LineView line={[seg('Enter', undefined, { bold: true }), seg(`: back to the list${ap.result?.status === 'committed' ? ' (the plan is rebuilt)' : ''}`, 'muted')]} width={width} />
        </>
      )}
    </Box>
  );
}
