import React from 'react';
import { Box } from 'ink';
import { bindingsFor, keyLabel, type Action, type Screen } from './keymap.js';
import { ScrollView } from './LineView.js';
import { padEnd, seg, wrap, type Line } from './text.js';
import type { Layout, ReviewController } from './controller.js';
import { movedTo } from './scroll-keys.js';

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

/** Keys while the overlay shows: scrolling, and closing it. */
export function helpKey(ctx: ReviewController, action: Action, layout: Layout): void {
  const s = ctx.state;
  const max = Math.max(0, helpLines(s.screen, layout.width).length - layout.height);
  const page = Math.max(1, layout.height - 1);
  const at = s.helpScroll;
  const moved = movedTo(action, at, max, page);
  if (moved !== undefined) return ctx.store.dispatch({ type: 'helpScroll', to: Math.max(0, Math.min(max, moved)) });
  switch (action) {
    case 'help':
    case 'back':
    case 'open':
      return ctx.store.dispatch({ type: 'help', show: false });
    default:
      return;
  }
}

export function HelpOverlay({ screen, width, height, scroll }: { screen: Screen; width: number; height: number; scroll: number }) {
  const lines = helpLines(screen, width);
  const offset = Math.min(scroll, Math.max(0, lines.length - height));
  return (
    <Box flexDirection="column" height={height}>
      <ScrollView lines={lines} offset={offset} height={height} width={width} />
    </Box>
  );
}
