import React, { useCallback } from 'react';
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
import { seg, type Line } from './text.js';
import { spinnerGlyph } from './theme.js';
import { useFrame } from './use-tick.js';

/**
 * Apply the marked findings: what will run and the time left in the window, typed confirmation
 * of the database name (anything else cancels, Esc cancels), live progress per step, then the
 * result. Finished steps go to <Static> above, so this live part stays short.
 */

function locksOf(f: FindingPlan): string {
  const seen = new Map<string, Set<string>>();
  for (const s of f.steps) {
    const set = seen.get(s.lock) ?? new Set<string>();
    for (const t of tablesText(s.tables).split(', ').filter(Boolean)) set.add(t.replace(/^public\./, ''));
    seen.set(s.lock, set);
  }
  return [...seen].map(([lock, tables]) => `${lock}${tables.size ? ` on ${[...tables].join(', ')}` : ''}`).join('; ');
}

export function planLines(state: ReviewState, ap: ApplyState, frame: number, maxRows: number): Line[] {
  const byId = new Map(state.plan?.findings.map((f) => [f.id, f]));
  const rows: Line[] = ap.ids.map((id) => {
    const f = byId.get(id)!;
    const changes = f.resolution ? resolutionRows(f) : undefined;
    const what = f.resolution ? `${describeResolution(f.resolution)}${changes ? ` (${plural(changes.rows, 'row')})` : ''} · ` : '';
    return [seg('  '), statusSeg(f.status, frame), seg(` ${f.id} `, undefined, { bold: true }), seg(`${what}${plural(f.steps.length, 'step')} · locks ${locksOf(f)}`)];
  });
  const shown = rows.length > maxRows ? [...rows.slice(0, maxRows - 1), [seg(`  … and ${rows.length - maxRows + 1} more`, 'muted')]] : rows;
  const skipped: Line[] = ap.skipped.length ? [[seg('  not in this run: ', 'muted'), seg(ap.skipped.map((x) => `${x.id} (${x.reason})`).join('; '), 'muted')]] : [];
  return [...shown, ...skipped];
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

function runningLines(ap: ApplyState, frame: number): Line[] {
  const running = [...ap.steps].reverse().find((s) => s.status === 'running');
  const done = ap.steps.filter((s) => s.status === 'done').length;
  return [
    [seg(`${spinnerGlyph(frame)} `, 'info'), seg(`transaction open · phase ${ap.current ?? 'connect'} · ${plural(done, 'step')} done`, undefined, { bold: true })],
    running
      ? [seg(`${spinnerGlyph(frame + 3)} `, 'info'), seg(`${running.findingId} ${running.index + 1}/${running.total} `, undefined, { bold: true }), seg(running.description)]
      : [seg('  …', 'muted')],
    [seg('  q is refused until the transaction commits or rolls back', 'muted')],
  ];
}

function resultLines(ap: ApplyState): Line[] {
  const r = ap.result!;
  if (r.status === 'committed') {
    const n = r.findings.filter((f) => f.outcome === 'applied').length;
    return [
      [seg('✔ committed', 'ok', { bold: true }), seg(` · ${plural(n, 'finding')} applied · ${plural(r.rowsChanged, 'row')} changed (each backed up in the pgmend schema) · journal run ${r.runId}`)],
      [seg(`  undo with: pgmend rollback --run ${r.runId}${r.snapshotFile ? ` · schema snapshot ${r.snapshotFile}` : ''}`, 'muted')],
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
  const head: Line = [seg(`Apply ${plural(ap.ids.length, 'finding')} to `, undefined, { bold: true }), seg(svc.databaseLabel(), 'accent', { bold: true }), seg(` · ${svc.mode} mode${svc.mode === 'window' ? ', one transaction' : ''}`)];
  const windowLine: Line = win.inside
    ? [seg('◷ window ', 'info'), seg(`${svc.window.text}: ${formatDuration(win.ms)} left`, undefined, { bold: true }), seg(' (no statement runs past its end)', 'muted')]
    : [seg('✖ outside the maintenance window ', 'bad', { bold: true }), seg(`${svc.window.text}: it opens in ${formatDuration(win.ms)} — nothing can run now`)];
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
          <LinesView lines={runningLines(ap, frame)} width={width} />
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
          <LinesView lines={resultLines(ap)} width={width} />
          <LineView line={[seg('Enter', undefined, { bold: true }), seg(': back to the list (the plan is rebuilt)', 'muted')]} width={width} />
        </>
      )}
    </Box>
  );
}
