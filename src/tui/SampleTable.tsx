import React from 'react';
import type { Row } from '../engine/index.js';
import { displayValue, oneLine } from '../export/values.js';
import { LinesView } from './LineView.js';
import { fit, padEnd, seg, type Line, type Seg } from './text.js';

/**
 * Sample rows as a table that fits the terminal: the columns that matter first (the duplicate
 * group, the primary key, the finding's own columns), long values cut in the middle so both
 * ends of an id stay readable, and a note of the columns left out.
 */

export interface TableOptions {
  /** Column names to show first, in this order, when present. */
  priority?: string[];
  /** Widest a column gets. */
  maxCell?: number;
  /** Cells that changed: `old → new`, highlighted. */
  changed?: (row: number, column: string) => string | undefined;
}

const GROUP = 'pgmend_group';

export function columnLabel(c: string): string {
  return c === GROUP ? 'group' : c;
}

function cellText(v: unknown): { text: string; isNull: boolean } {
  const d = displayValue(v);
  return d === null ? { text: 'NULL', isNull: true } : { text: oneLine(d), isNull: false };
}

/** Cuts in the middle: `00000008-00…000000000001`. */
export function middleCut(s: string, width: number): string {
  const c = Array.from(s);
  if (c.length <= width) return s;
  if (width <= 1) return '…'.slice(0, width);
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return c.slice(0, head).join('') + '…' + (tail ? c.slice(-tail).join('') : '');
}

export function orderColumns(rows: Row[], priority: string[] = []): string[] {
  const all: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!all.includes(k)) all.push(k);
  const visible = all.filter((k) => k === GROUP || !k.startsWith('pgmend_'));
  const first = [GROUP, ...priority].filter((k, i, xs) => visible.includes(k) && xs.indexOf(k) === i);
  return [...first, ...visible.filter((k) => !first.includes(k))];
}

export function sampleTableLines(rows: Row[], width: number, opts: TableOptions = {}): Line[] {
  if (!rows.length) return [];
  const maxCell = opts.maxCell ?? 26;
  const cols = orderColumns(rows, opts.priority);
  const texts = rows.map((r, i) =>
    cols.map((c) => {
      const changed = opts.changed?.(i, c);
      return changed !== undefined ? { text: changed, isNull: false, changed: true } : { ...cellText(r[c]), changed: false };
    }),
  );
  const widths = cols.map((c, j) => Math.min(maxCell, Math.max(columnLabel(c).length, ...texts.map((t) => Array.from(t[j]!.text).length))));
  // Greedy: as many columns as fit, in priority order.
  const shown: number[] = [];
  let used = 0;
  for (let j = 0; j < cols.length; j++) {
    const need = widths[j]! + (shown.length ? 2 : 0);
    if (used + need > width && shown.length) break;
    shown.push(j);
    used += need;
  }
  const hidden = cols.length - shown.length;
  const sep = (): Seg => seg('  ');
  const header: Line = shown.flatMap((j, k) => [...(k ? [sep()] : []), seg(padEnd(columnLabel(cols[j]!), widths[j]!), undefined, { bold: true })]);
  const rule: Line = [seg(shown.map((j) => '─'.repeat(widths[j]!)).join('──'), 'muted')];
  const body: Line[] = texts.map((t) =>
    shown.flatMap((j, k) => {
      const cell = t[j]!;
      const text = padEnd(middleCut(cell.text, widths[j]!), widths[j]!);
      return [...(k ? [sep()] : []), seg(text, cell.isNull ? 'muted' : cell.changed ? 'warn' : undefined, cell.changed ? { bold: true } : {})];
    }),
  );
  const out = [header, rule, ...body];
  if (hidden > 0) out.push(fit([seg(`+${hidden} more column${hidden === 1 ? '' : 's'}: ${cols.filter((_, j) => !shown.includes(j)).map(columnLabel).join(', ')}`, 'muted')], width));
  return out;
}

export function SampleTable({ rows, width, options }: { rows: Row[]; width: number; options?: TableOptions }) {
  return <LinesView lines={sampleTableLines(rows, width, options)} width={width} />;
}

/** Every string inside the finding's params (values only, not the param names). */
function paramStrings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(paramStrings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(paramStrings);
  return [];
}

/** The primary key (the sample's first column) and the finding's own columns, to show first. */
export function priorityColumns(params: Record<string, unknown>, row: Row | undefined): string[] {
  if (!row) return [];
  const keys = Object.keys(row).filter((k) => !k.startsWith('pgmend_'));
  const text = paramStrings(params).join(' ');
  const mentioned = keys.filter((k) => new RegExp(`(^|[^A-Za-z0-9_])${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`).test(text));
  return [...keys.slice(0, 1), ...mentioned];
}
