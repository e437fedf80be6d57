import React from 'react';
import type { CascadeNode } from '../engine/index.js';
import { plural } from '../export/values.js';
import { LinesView } from './LineView.js';
import { seg, type Line } from './text.js';
import type { Tone } from './theme.js';

/**
 * The blast radius of deleting one parent row, as a tree: each table reached, how (cascade,
 * set null, or refused), the rows in total and the most one parent reaches.
 */

const ACTION: Record<CascadeNode['action'], { word: string; tone: Tone; glyph: string }> = {
  cascade: { glyph: '✂', word: 'deletes', tone: 'warn' },
  'set-null': { glyph: '∅', word: 'sets NULL', tone: 'info' },
  'set-default': { glyph: '↺', word: 'sets default', tone: 'info' },
  restrict: { glyph: '⊘', word: 'refuses the delete', tone: 'bad' },
  'no-action': { glyph: '⊘', word: 'refuses the delete', tone: 'bad' },
};

export function cascadeLines(nodes: CascadeNode[], prefix = ''): Line[] {
  return nodes.flatMap((n, i) => {
    const last = i === nodes.length - 1;
    const a = ACTION[n.action];
    const line: Line = [
      seg(prefix + (last ? '└─ ' : '├─ '), 'muted'),
      seg(n.table.replace(/^public\./, ''), undefined, { bold: true }),
      seg(` ${a.glyph} ${a.word}`, a.tone),
      seg(` · ${plural(n.total, 'row')}, ≤${n.maxPerParent} per parent`),
      seg(` · via ${n.via}`, 'muted'),
    ];
    return [line, ...cascadeLines(n.children, prefix + (last ? '   ' : '│  '))];
  });
}

export function CascadeTree({ nodes, width }: { nodes: CascadeNode[]; width: number }) {
  return <LinesView lines={cascadeLines(nodes)} width={width} />;
}
