import React, { useCallback } from 'react';
import path from 'node:path';
import { Box, Text, useInput } from 'ink';
import { ProgressBar } from '@inkjs/ui';
import { LineInput } from './LineInput.js';
import type { FindingPlan } from '../engine/plan-model.js';
import { formatDuration, windowState } from '../engine/window.js';
import { describeResolution, resolutionRows } from '../export/summary.js';
import { plural } from '../export/values.js';
import type { ReviewController } from './controller.js';
import { tablesText } from './detail-panes.js';
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

/** `subscriptions: ACCESS SHARE, ROW SHARE, SHARE` — the locks each table will see. */
function locksOf(f: FindingPlan): string {
  const byTable = new Map<string, string[]>();
  for (const s of f.steps) {
    // Steps on no table (CREATE SCHEMA for the backups) lock nothing anyone else uses.
    for (const t of tablesText(s.tables).split(', ').filter(Boolean)) {
      const locks = byTable.get(t.replace(/^public\./, '')) ?? [];
      if (!locks.includes(s.lock)) locks.push(s.lock);
      byTable.set(t.replace(/^public\./, ''), locks);
    }
  }
  return [...byTable].map(([t, locks]) => `${t}: ${locks.join(', ')}`).join('; ');
}

const CHANGES: Record<string, string> = { delete: 'deletes', update: 'updates', 'set-null': 'sets NULL in' };

export function planLines(state: ReviewState, ap: ApplyState, frame: number, maxRows: number): Line[] {
  const byId = new Map(state.plan?.findings.map((f) => [f.id, f]));
  const rows: Line[][] = ap.ids.map((id) => {
    const f = byId.get(id)!;
    const changes = f.resolution ? resolutionRows(f) : undefined;
    const rows = f.resolution && changes ? ` · ${CHANGES[f.resolution.strategy]} ${plural(changes.rows, 'row')} (backed up)` : '';
    return [
      [seg('  '), statusSeg(f.status, frame), seg(` ${f.id}`, undefined, { bold: true }), seg(` · ${plural(f.steps.length, 'step')}${rows}`)],
      [seg(`      locks: ${locksOf(f)}`, 'muted')],
    ];
  });
  const perFinding = Math.max(1, Math.floor(maxRows / 2));
  const shown = rows.length > perFinding ? [...rows.slice(0, perFinding - 1).flat(), [seg(`  … and ${rows.length - perFinding + 1} more`, 'muted')]] : rows.flat();
  const skipped: Line[] = ap.skipped.length ? [[seg('  not in this run: ', 'muted'), seg(ap.skipped.map((x) => `${x.id} (${x.reason})`).join('; '), 'muted')]] : [];
  return [...shown, ...skipped];
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
    : [seg('✖ outside the maintenance window ', 'bad', { bold: true }), seg(`${span}: it opens in ${formatDuration(win.ms)} — nothing can run now`)];
  return (
    <Box flexDirection="column">
      <LineView line={head} width={width} />
      {ap.phase === 'confirm' && (
        <>
          <LinesView lines={planLines(state, ap, frame, Math.max(3, height - 8))} width={width} />
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
