import React from 'react';
import { Box } from 'ink';
import { bindingsFor, keyLabel, type Screen } from './keymap.js';
import { ScrollView } from './LineView.js';
import { padEnd, seg, wrap, type Line } from './text.js';
import type { ReviewController } from './controller.js';

/** `?`: every key of this screen, from the keymap. */
export function helpLines(screen: Screen, width: number): Line[] {
  const rows = bindingsFor(screen);
  const keyWidth = Math.max(...rows.map((b) => keyLabel(b).length)) + 2;
  return [
    [seg(`Keys on the ${screen} screen`, undefined, { bold: true }), seg('  (? or Esc closes, ↑/↓ scroll)', 'muted')],
    ...rows.flatMap((b) => {
      const [first, ...rest] = wrap([seg(b.does[screen]!)], Math.max(10, width - keyWidth - 2));
      return [[seg('  ' + padEnd(keyLabel(b), keyWidth), 'info', { bold: true }), ...(first ?? [])], ...rest.map((r) => [seg(' '.repeat(keyWidth + 2)), ...r])];
    }),
  ];
}

export function HelpOverlay({ screen, width, height, scroll, controller }: { screen: Screen; width: number; height: number; scroll: number; controller: ReviewController }) {
  const lines = helpLines(screen, width);
  controller.metrics.helpLines = lines.length;
  controller.metrics.helpPage = height;
  const offset = Math.min(scroll, Math.max(0, lines.length - height));
  return (
    <Box flexDirection="column" height={height}>
      <ScrollView lines={lines} offset={offset} height={height} width={width} />
    </Box>
  );
}
