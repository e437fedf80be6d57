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

/** Words (non-space runs, even across segments) and spaces, each as styled pieces. */
function tokens(line: Line): { space: boolean; pieces: Seg[] }[] {
  const out: { space: boolean; pieces: Seg[] }[] = [];
  for (const s of line) {
    for (const text of s.text.match(/\s+|\S+/g) ?? []) {
      const space = /^\s/.test(text);
      const last = out[out.length - 1];
      if (last && !last.space && !space) last.pieces.push({ ...s, text });
      else out.push({ space, pieces: [{ ...s, text }] });
    }
  }
  return out;
}

/** Wraps a line into rows of at most `width` characters at spaces (hard cuts only inside long words). */
export function wrap(line: Line, width: number): Line[] {
  if (width <= 0 || lineWidth(line) <= width) return [line];
  const rows: Line[] = [];
  let row: Line = [];
  let used = 0;
  const newRow = () => {
    rows.push(row);
    row = [];
    used = 0;
  };
  for (const t of tokens(line)) {
    const len = lineWidth(t.pieces);
    if (used + len <= width) {
      row.push(...t.pieces);
      used += len;
      continue;
    }
    if (t.space) {
      if (used > 0) newRow();
      continue;
    }
    if (len <= width && used > 0) newRow();
    for (const p of t.pieces) {
      let rest = chars(p.text);
      while (rest.length) {
        if (used === width) newRow();
        const take = Math.min(width - used, rest.length);
        row.push({ ...p, text: rest.slice(0, take).join('') });
        used += take;
        rest = rest.slice(take);
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

/** Wraps, marking each continuation row with `↪ ` so a wrapped line never reads as a new one. */
export function wrapMarked(line: Line, width: number): Line[] {
  if (lineWidth(line) <= width) return [line];
  return wrap(line, Math.max(4, width - 2)).map((row, i) => (i ? [{ text: '↪ ', tone: 'muted' as const }, ...row] : row));
}
