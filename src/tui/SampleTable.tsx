import React from 'react';
import type { Row } from '../engine/index.js';
import { displayValue, oneLine, plural } from '../export/values.js';
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
  /** How many of the priority columns stay put while the others scroll sideways (default 1: the key). */
  pinned?: number;
  /** Scrollable columns skipped on the left (sideways scroll). */
  offset?: number;
  /** Columns the reviewer chose not to see. */
  hidden?: string[];
  /** Header labels other than the column name (`created_at ↑`). */
  labels?: Record<string, string>;
  /** Widest a column gets. */
  maxCell?: number;
  /** Cells that changed: `old → new`, highlighted. */
  changed?: (row: number, column: string) => string | undefined;
  /** Said after the columns left out, e.g. the keys that bring them in. */
  hint?: string;
}

const GROUP = 'pgmend_group';
/** What a resolution does to the row (keep / delete / update), in tables of ranked groups. */
export const FATE = 'pgmend_fate';
const SHOWN_HELPERS = [GROUP, FATE];

export function columnLabel(c: string): string {
  return c === GROUP ? 'group' : c === FATE ? 'row' : c;
}

/** A timestamp in a cell: `2024-01-10 01:00:00Z`, not `2024-01-10T01:00:00.000Z` (four columns saved). */
function compactTime(s: string): string {
  return s.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.000)?Z$/, '$1 $2Z');
}

function cellText(v: unknown): { text: string; isNull: boolean } {
  const d = v instanceof Date ? compactTime(displayValue(v) ?? '') : displayValue(v);
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

/** Every column of the rows (pgmend's helpers left out, but the group and the fate), priority first. */
export function orderColumns(rows: Row[], priority: string[] = []): string[] {
  const all: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!all.includes(k)) all.push(k);
  const visible = all.filter((k) => SHOWN_HELPERS.includes(k) || !k.startsWith('pgmend_'));
  const first = [...SHOWN_HELPERS, ...priority].filter((k, i, xs) => visible.includes(k) && xs.indexOf(k) === i);
  return [...first, ...visible.filter((k) => !first.includes(k))];
}

/** The columns a table of `rows` can show (what the column chooser lists), in table order. */
export function tableColumns(rows: Row[]): string[] {
  return orderColumns(rows).filter((c) => !SHOWN_HELPERS.includes(c));
}

/** The table's layout: pinned columns, then the scrollable ones from `offset`, as many as fit. */
export function tableLayout(rows: Row[], width: number, opts: TableOptions = {}) {
  const maxCell = opts.maxCell ?? 26;
  const hidden = new Set(opts.hidden ?? []);
  const cols = orderColumns(rows, opts.priority).filter((c) => !hidden.has(c));
  const pinnedNames = [...SHOWN_HELPERS, ...(opts.priority ?? []).filter((c) => !hidden.has(c)).slice(0, opts.pinned ?? 1)];
  const pinned = cols.filter((c) => pinnedNames.includes(c));
  const scrollable = cols.filter((c) => !pinnedNames.includes(c));
  const offset = Math.max(0, Math.min(opts.offset ?? 0, scrollable.length - 1));
  return { cols, pinned, scrollable, offset, maxCell };
}

export function sampleTableLines(rows: Row[], width: number, opts: TableOptions = {}): Line[] {
  if (!rows.length) return [];
  const { cols, pinned, scrollable, offset, maxCell } = tableLayout(rows, width, opts);
  const label = (c: string) => opts.labels?.[c] ?? columnLabel(c);
  const texts = rows.map((r, i) =>
    cols.map((c) => {
      const changed = opts.changed?.(i, c);
      return changed !== undefined ? { text: changed, isNull: false, changed: true } : { ...cellText(r[c]), changed: false };
    }),
  );
  const widths = cols.map((c, j) => Math.min(maxCell, Math.max(Array.from(label(c)).length, ...texts.map((t) => Array.from(t[j]!.text).length))));
  // Pinned columns, then as many of the scrollable ones as fit, from the offset.
  const shown: number[] = [];
  let used = 0;
  for (const c of [...pinned, ...scrollable.slice(offset)]) {
    const j = cols.indexOf(c);
    const need = widths[j]! + (shown.length ? 2 : 0);
    if (used + need > width && shown.length) break;
    shown.push(j);
    used += need;
  }
  const sep = (): Seg => seg('  ');
  const header: Line = shown.flatMap((j, k) => [...(k ? [sep()] : []), seg(padEnd(label(cols[j]!), widths[j]!), undefined, { bold: true })]);
  const rule: Line = [seg(shown.map((j) => '─'.repeat(widths[j]!)).join('──'), 'muted')];
  const body: Line[] = texts.map((t) =>
    shown.flatMap((j, k) => {
      const cell = t[j]!;
      const text = padEnd(middleCut(cell.text, widths[j]!), widths[j]!);
      const fate = cols[j] === FATE ? (cell.text.startsWith('✔') ? 'ok' : 'bad') : undefined;
      return [...(k ? [sep()] : []), seg(text, fate ?? (cell.isNull ? 'muted' : cell.changed ? 'warn' : undefined), cell.changed || fate ? { bold: true } : {})];
    }),
  );
  const out = [header, rule, ...body];
  const left = scrollable.slice(0, offset);
  const right = scrollable.slice(offset).filter((c) => !shown.includes(cols.indexOf(c)));
  const hint = opts.hint && (left.length || right.length || opts.hidden?.length) ? ` (${opts.hint})` : '';
  const notes = [
    ...(left.length ? [`◂ ${plural(left.length, 'column')} left`] : []),
    ...(opts.hidden?.length ? [`${opts.hidden.length} hidden`] : []),
    ...(right.length ? [`+${right.length} more column${right.length === 1 ? '' : 's'}`] : []),
  ];
  if (notes.length) out.push(fit([seg(`${notes.join(' · ')}${hint}${right.length ? `: ${right.map(columnLabel).join(', ')}` : ''}`, 'muted')], width));
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
