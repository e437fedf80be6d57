import { type Mode, formatDuration, outsideText, windowState } from '../../../engine/index.js';
import React, { useCallback } from 'react';
import { Box, Text, useInput } from 'ink';
import { ProgressBar } from '@inkjs/ui';
import { LineInput } from '../../LineInput.js';
import { plural } from '../../../export/values.js';
import type { ReviewController } from '../../controller.js';
import { cancelApply, confirmApply } from '../../effects/apply.js';
import { LinesView, LineView } from '../../LineView.js';
import type { ReviewState } from '../../state.js';
import type { ApplyState } from './apply-slice.js';
import { seg, wrap, type Line } from '../../text.js';
import { spinnerGlyph } from '../../theme.js';
import { useFrame } from '../../use-tick.js';
import { resultLines } from '../../apply-log.js';
import type { ScreenProps } from '../screen.js';
import { confirmListHeight, confirmViewport, scrollApply } from './apply-keys.js';
import { failureRule, planLines, totalLine } from './batch-lines.js';

/**
 * Apply the marked findings: what will run and the time left in the window, typed confirmation
 * of the database name (anything else cancels, Esc cancels), live progress per step, then the
 * result. Finished steps go to <Static> above, so this live part stays short.
 */

/** The confirmation's own input hook: the typed-name input has the keyboard; arrows and pages scroll the batch meanwhile. */
function useScrollKeys(ctx: ReviewController, listHeight: number) {
  useInput((_input, key) => {
    const page = confirmViewport(ctx.state, listHeight).viewport;
    if (key.upArrow) scrollApply(ctx, -1, listHeight);
    else if (key.downArrow) scrollApply(ctx, 1, listHeight);
    else if (key.pageUp) scrollApply(ctx, -page, listHeight);
    else if (key.pageDown) scrollApply(ctx, page, listHeight);
  });
}

/** `22:00–02:00` in local time (dates only when the window spans days). */
export function windowSpan(start: Date, end: Date): string {
  const hm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  const sameDay = start.toDateString() === end.toDateString() || end.getTime() - start.getTime() < 86_400_000;
  return sameDay ? `${hm(start)}–${hm(end)}` : `${start.toLocaleString()} – ${end.toLocaleString()}`;
}

function ConfirmPrompt({ ctx, database }: { ctx: ReviewController; database: string }) {
  const onSubmit = useCallback((v: string) => void confirmApply(ctx, v), [ctx]);
  const onCancel = useCallback(() => cancelApply(ctx), [ctx]);
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

function OutsideWindow({ ctx }: { ctx: ReviewController }) {
  useInput((input, key) => {
    if (key.escape || key.return || (key.ctrl && input === 'c')) cancelApply(ctx);
  });
  return <Text>Esc: back to the list</Text>;
}

function runningLines(ap: ApplyState, frame: number, mode: Mode): Line[] {
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

function ConfirmList({ state, ap, frame, ctx, width, height }: { state: ReviewState; ap: ApplyState; frame: number; ctx: ReviewController; width: number; height: number }) {
  useScrollKeys(ctx, height);
  const lines = planLines(state, ap, frame);
  const { fits, viewport } = confirmViewport(state, height);
  const offset = Math.max(0, Math.min(ap.scroll ?? 0, lines.length - viewport));
  const shown = lines.slice(offset, offset + viewport);
  const where: Line = [seg(`  lines ${offset + 1}–${offset + shown.length} of ${lines.length} · ↑/↓ PgUp/PgDn scroll`, 'info')];
  return (
<LinesView lines={fits ? shown : [...shown, where]} width={width} />
  );
}

export function ApplyScreen({ state, ctx, width, height }: ScreenProps) {
  const frame = useFrame();
  const ap = state.apply;
  if (!ap) return null;
  const svc = ctx.services;
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
          <ConfirmList state={state} ap={ap} frame={frame} ctx={ctx} width={width} height={confirmListHeight(height, svc.mode, width)} />
          <LineView line={totalLine(state, ap)} width={width} />
          <LineView line={windowLine} width={width} />
          <LinesView lines={wrap([seg(failureRule(svc.mode), 'muted')], width)} width={width} />
          {win.inside ? <ConfirmPrompt ctx={ctx} database={svc.databaseName} /> : <OutsideWindow ctx={ctx} />}
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
          <LinesView lines={resultLines(ap.result!, svc.mode).flatMap((l) => wrap(l, width))} width={width} />
          <LineView line={[seg('Enter', undefined, { bold: true }), seg(`: back to the list${ap.result?.status === 'committed' ? ' (the plan is rebuilt)' : ''}`, 'muted')]} width={width} />
        </>
      )}
    </Box>
  );
}
