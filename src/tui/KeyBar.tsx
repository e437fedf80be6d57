import React from 'react';
import { keyBarItems, type Screen } from './keymap.js';
import { LineView } from './LineView.js';
import { seg, type Line } from './text.js';

/** The bottom bar, drawn from the keymap: as many keys as fit, `?` and `q` always. */
export function keyBarLine(screen: Screen, width: number, extra: { keys: string; word: string }[] = []): Line {
  const items = [...extra, ...keyBarItems(screen, width - extra.reduce((n, x) => n + x.keys.length + x.word.length + 4, 0))];
  return items.flatMap((it, i) => [...(i ? [seg(' · ', 'muted')] : []), seg(it.keys, undefined, { bold: true, inverse: false }), seg(` ${it.word}`, 'muted')]);
}

export function KeyBar({ screen, width, extra }: { screen: Screen; width: number; extra?: { keys: string; word: string }[] }) {
  return <LineView line={keyBarLine(screen, width, extra)} width={width} />;
}
