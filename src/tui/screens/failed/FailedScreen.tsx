import React from 'react';
import { Box } from 'ink';
import { LinesView } from '../../LineView.js';
import { seg, wrap, type Line } from '../../text.js';
import type { ScreenProps } from '../screen.js';

/**
 * The database could not be reached or planned against, and there is no plan: the whole error,
 * wrapped (never cut off) — it says what to check — and the two ways on: r tries again, q quits.
 */
export function failedLines(error: string, database: string, width: number): Line[] {
  return [
    ...wrap([seg('✖ could not plan against ', 'bad', { bold: true }), seg(database, undefined, { bold: true })], width),
    [],
    ...wrap([seg(error)], width),
    [],
    [seg('r', undefined, { bold: true }), seg(' tries again · ', 'muted'), seg('q', undefined, { bold: true }), seg(' quits', 'muted')],
  ];
}

export function FailedScreen({ state, ctx, width, height }: ScreenProps) {
  const lines = failedLines(state.loading.error ?? 'unknown error', ctx.services.databaseLabel(), width);
  return (
    <Box flexDirection="column" height={height}>
      <LinesView lines={lines.slice(0, height)} width={width} />
    </Box>
  );
}
