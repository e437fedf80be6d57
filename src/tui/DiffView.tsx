import React from 'react';
import { LinesView } from './LineView.js';
import { withContext } from './diff-context.js';
import { clean, seg, wrapMarked, type Line } from './text.js';
import type { Tone } from './theme.js';

/** The schema diff as a colored unified diff; `+`/`-` at the start of a line say it without color. */
export function diffLines(diff: string, context: number, width: number): Line[] {
  const text = withContext(diff, context);
  if (!text) return [];
  return text
    .replace(/\n$/, '')
    .split('\n')
    .filter((l) => !/^=+$/.test(l))
    .flatMap((l) => {
      const tone: Tone | undefined = l.startsWith('@@') ? 'hunk' : l.startsWith('+++') || l.startsWith('---') ? 'muted' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : undefined;
      const bold = l.startsWith('+++') || l.startsWith('---');
      return wrapMarked([seg(clean(l), tone, bold ? { bold } : {})], width);
    });
}

export function DiffView({ diff, context, width }: { diff: string; context: number; width: number }) {
  return <LinesView lines={diffLines(diff, context, width)} width={width} />;
}
