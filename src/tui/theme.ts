import { createContext, useContext } from 'react';
import type { FindingStatus } from '../engine/index.js';
import type { Severity } from '../findings/model.js';

/**
 * Colors by meaning, never by hand: components name a tone, the theme picks the color — or none
 * under NO_COLOR (chalk alone ignores it). Every colored status also carries a glyph and a word,
 * so nothing depends on color to be read.
 */

export type Tone =
  | 'ok'
  | 'bad'
  | 'warn'
  | 'info'
  | 'muted'
  | 'accent'
  | 'keyword'
  | 'string'
  | 'number'
  | 'comment'
  | 'add'
  | 'del'
  | 'hunk';

const COLORS: Record<Tone, string> = {
  ok: 'green',
  bad: 'red',
  warn: 'yellow',
  info: 'cyan',
  muted: 'gray',
  accent: 'magenta',
  keyword: 'blue',
  string: 'green',
  number: 'yellow',
  comment: 'gray',
  add: 'green',
  del: 'red',
  hunk: 'cyan',
};

export interface Theme {
  noColor: boolean;
  /** An Ink `color` value, or undefined (no color) under NO_COLOR. */
  color(tone: Tone | undefined): string | undefined;
}

/** NO_COLOR (https://no-color.org): present and not empty disables color. */
export function makeTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  const noColor = typeof env.NO_COLOR === 'string' && env.NO_COLOR !== '';
  return { noColor, color: (tone) => (noColor || !tone ? undefined : COLORS[tone]) };
}

export const ThemeContext = createContext<Theme>(makeTheme());
export const useTheme = (): Theme => useContext(ThemeContext);

export interface Look {
  glyph: string;
  word: string;
  tone: Tone;
}

export const STATUS_LOOK: Record<FindingStatus, Look> = {
  ready: { glyph: '✔', word: 'ready', tone: 'ok' },
  blocked: { glyph: '✖', word: 'blocked', tone: 'bad' },
  resolved: { glyph: '◆', word: 'resolved', tone: 'info' },
  applied: { glyph: '●', word: 'applied', tone: 'muted' },
  error: { glyph: '⚠', word: 'error', tone: 'warn' },
};

export const SEVERITY_LOOK: Record<Severity, Look> = {
  critical: { glyph: '‼', word: 'critical', tone: 'bad' },
  high: { glyph: '!', word: 'high', tone: 'warn' },
  medium: { glyph: '•', word: 'medium', tone: 'info' },
  low: { glyph: '·', word: 'low', tone: 'muted' },
};

export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function spinnerGlyph(frame: number): string {
  return SPINNER_FRAMES[frame % SPINNER_FRAMES.length]!;
}
