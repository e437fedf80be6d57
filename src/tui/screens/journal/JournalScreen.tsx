import React, { useCallback } from 'react';
import { Box, Text } from 'ink';
import { plural } from '../../../export/values.js';
import type { ReviewController } from '../../controller.js';
import { cancelRollback, confirmRollback } from '../../effects/journal.js';
import { LineInput } from '../../LineInput.js';
import { LinesView, LineView } from '../../LineView.js';
import type { JournalRun } from '../../services.js';
import { padEnd, seg, wrap, type Line } from '../../text.js';
import { spinnerGlyph } from '../../theme.js';
import { useFrame } from '../../use-tick.js';
import type { ScreenProps } from '../screen.js';
import type { JournalState } from './journal-slice.js';

/**
 * The journal: past runs (newest first) as `pgmend journal` lists them, and the selected run's
 * findings with the rows each changed; `R` rolls the run back after the database name is typed.
 */

/** Rows for the list of runs: up to about half the screen, the rest for the selected run. */
export function runsViewport(height: number, runs: number): number {
  return Math.max(1, Math.min(runs, Math.max(3, Math.floor((height - 3) / 2))));
}

const utc = (d: Date) => d.toISOString().slice(5, 16).replace('T', ' ');

function statusWord(r: JournalRun): string {
  return r.rolledBackAt ? 'rolled back' : r.status;
}

function runLine(r: JournalRun, selected: boolean, width: number): Line {
  const tone = r.rolledBackAt ? 'muted' : r.status === 'committed' ? 'ok' : r.status === 'running' ? 'info' : 'bad';
  return [
    seg(selected ? '▸ ' : '  ', 'accent', { bold: true }),
    seg(padEnd(`#${r.id}`, 6), undefined, { bold: selected }),
    seg(padEnd(utc(r.startedAt), 15)),
    seg(padEnd(statusWord(r), 13), tone),
    seg(padEnd(r.mode, 8), 'muted'),
    seg(padEnd(plural(r.findings.length, 'finding'), 12)),
    seg(padEnd(plural(r.rowsChanged, 'row'), 11)),
    ...(width >= 100 ? [seg(r.who, 'muted')] : []),
  ];
}

const changed = (f: JournalRun['findings'][number]) =>
  f.deleted && f.updated ? `${plural(f.deleted, 'row')} deleted, ${f.updated} updated` : f.deleted ? `${plural(f.deleted, 'row')} deleted` : f.updated ? `${plural(f.updated, 'row')} updated` : 'no rows changed';

/** The selected run in full: who, its findings and rows, its error, and what rolling it back does. */
export function runLines(r: JournalRun, j: JournalState, width: number, frame: number): Line[] {
  const out: Line[] = [
    ...wrap([seg(`run #${r.id}`, 'accent', { bold: true }), seg(` · ${statusWord(r)} · ${r.mode} mode · started ${r.startedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC · ${r.who}`)], width),
    ...r.findings.map((f): Line => [seg(`  ${padEnd(f.id, 14)} `, undefined, { bold: true }), seg(changed(f), 'muted')]),
  ];
  if (r.error) out.push(...wrap([seg('  ✖ ', 'bad'), seg(r.error, 'bad')], width));
  if (j.rollingBack === r.id) out.push([seg(`${spinnerGlyph(frame)} rolling run #${r.id} back (one transaction)…`, 'info')]);
  else if (j.outcome) out.push(...wrap([seg(j.outcome.tone === 'ok' ? '✔ ' : '✖ ', j.outcome.tone === 'ok' ? 'ok' : 'bad'), seg(j.outcome.text)], width));
  if (r.rolledBackAt) out.push([seg(`  rolled back ${r.rolledBackAt.toISOString().replace('T', ' ').slice(0, 19)} UTC`, 'muted')]);
  else if (j.confirm === undefined && j.rollingBack === undefined) {
    out.push(...wrap([seg('  R rolls it back: schema and rows as they were before the run (pgmend rollback --run ' + r.id + ')', 'muted')], width));
  }
  return out;
}

function RollbackPrompt({ ctx, runId, database, width }: { ctx: ReviewController; runId: number; database: string; width: number }) {
  const onSubmit = useCallback((v: string) => void confirmRollback(ctx, v), [ctx]);
  const onCancel = useCallback(() => cancelRollback(ctx), [ctx]);
  return (
    <Box flexDirection="column">
      <LinesView lines={wrap([seg(`Type the database name `), seg(database, undefined, { bold: true }), seg(` to roll run #${runId} back — anything else cancels, Esc cancels:`)], width)} width={width} />
      <Box>
        <Text bold>{'> '}</Text>
        <LineInput onSubmit={onSubmit} onCancel={onCancel} />
      </Box>
    </Box>
  );
}

/** Rows the prompt takes (its question wraps once at 80 columns, then the input). */
const PROMPT_ROWS = 3;

export function JournalScreen({ state, ctx, width, height }: ScreenProps) {
  const frame = useFrame();
  const j = state.journal;
  if (!j) return null;
  const runs = j.runs ?? [];
  const title: Line = [seg('Journal', undefined, { bold: true }), seg(` · ${ctx.services.databaseLabel()}`), seg(runs.length ? ` · ${plural(runs.length, 'run')}, newest first` : '', 'muted')];
  if (!j.runs) {
    const why: Line[] = j.error ? wrap([seg('✖ could not read the journal: ', 'bad', { bold: true }), seg(j.error)], width) : [[seg(`${spinnerGlyph(frame)} reading the journal…`, 'info')]];
    return (
      <Box flexDirection="column" height={height}>
        <LineView line={title} width={width} />
        <LinesView lines={why} width={width} />
      </Box>
    );
  }
  if (!runs.length) {
    return (
      <Box flexDirection="column" height={height}>
        <LineView line={title} width={width} />
        <LineView line={[seg('no runs yet: apply something (a) and it is journaled here', 'muted')]} width={width} />
      </Box>
    );
  }
  const viewport = runsViewport(height, runs.length);
  const top = Math.max(0, Math.min(j.cursor - viewport + 1, runs.length - viewport, j.cursor));
  const header: Line = [seg('  ' + padEnd('run', 6) + padEnd('started (UTC)', 15) + padEnd('status', 13) + padEnd('mode', 8) + padEnd('findings', 12) + padEnd('rows', 11) + (width >= 100 ? 'who' : ''), 'muted')];
  const selected = runs[j.cursor]!;
  const room = Math.max(1, height - 3 - viewport - (j.confirm !== undefined ? PROMPT_ROWS : 0));
  const detail = runLines(selected, j, width, frame);
  const shown = detail.length > room ? [...detail.slice(0, room - 1), [seg(`  … ${detail.length - room + 1} more lines`, 'muted')]] : detail;
  return (
    <Box flexDirection="column" height={height}>
      <LineView line={title} width={width} />
      <LineView line={header} width={width} />
      <LinesView lines={runs.slice(top, top + viewport).map((r, i) => runLine(r, top + i === j.cursor, width))} width={width} />
      <LineView line={[seg('─'.repeat(Math.min(width, 60)), 'muted')]} width={width} />
      <LinesView lines={shown} width={width} />
      {j.confirm !== undefined ? <RollbackPrompt ctx={ctx} runId={j.confirm} database={ctx.services.databaseName} width={width} /> : null}
    </Box>
  );
}
