import type { Tone } from './theme.js';

/**
 * Screens are built as lines of styled segments first and rendered second: a line is exactly
 * one terminal row, so scrolling, paging and "keep the live area shorter than the terminal" are
 * plain arithmetic instead of guesses about how Ink will wrap.
 */

export interface Seg {
  text: string;
  tone?: Tone;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export type Line = Seg[];

export function seg(text: string, tone?: Tone, style: Omit<Seg, 'text' | 'tone'> = {}): Seg {
  return { text, ...(tone ? { tone } : {}), ...style };
}

export const plain = (text: string): Line => [{ text }];

const chars = (s: string): string[] => Array.from(s);

export function lineText(line: Line): string {
  return line.map((s) => s.text).join('');
}

export function lineWidth(line: Line): number {
  return line.reduce((n, s) => n + chars(s.text).length, 0);
}

/** Control characters and newlines would break the one-line-per-row rule. */
export function clean(s: string): string {
  return s.replace(/\t/g, '  ').replace(/[\u0000-\u001f\u007f]/g, ' ');
}

/** At most `width` characters; a cut is marked with `…`. */
export function fit(line: Line, width: number): Line {
  if (width <= 0) return [];
  if (lineWidth(line) <= width) return line;
  const out: Line = [];
  let left = width - 1;
  for (const s of line) {
    if (left <= 0) break;
    const c = chars(s.text);
    out.push({ ...s, text: c.slice(0, left).join('') });
    left -= Math.min(left, c.length);
  }
  out.push({ text: '…', tone: 'muted' });
  return out;
}

/** Hard-wraps a line into rows of at most `width` characters, keeping segment styles. */
export function wrap(line: Line, width: number): Line[] {
  if (width <= 0) return [line];
  const rows: Line[] = [];
  let row: Line = [];
  let used = 0;
  for (const s of line) {
    let rest = chars(s.text);
    while (rest.length) {
      const take = Math.min(width - used, rest.length);
      row.push({ ...s, text: rest.slice(0, take).join('') });
      used += take;
      rest = rest.slice(take);
      if (used === width) {
        rows.push(row);
        row = [];
        used = 0;
      }
    }
  }
  if (row.length || rows.length === 0) rows.push(row);
  return rows;
}

export function padEnd(s: string, width: number): string {
  const n = chars(s).length;
  if (n > width) return chars(s).slice(0, Math.max(0, width - 1)).join('') + (width > 0 ? '…' : '');
  return s + ' '.repeat(width - n);
}

export function padStart(s: string, width: number): string {
  const n = chars(s).length;
  return n >= width ? s : ' '.repeat(width - n) + s;
}

/** Splits multi-line text into lines, each a single segment with the same style. */
export function textLines(text: string, tone?: Tone, style: Omit<Seg, 'text' | 'tone'> = {}): Line[] {
  return text.split('\n').map((t) => [seg(clean(t), tone, style)]);
}
