import { Refusal, UsageError } from '../../util/errors.js';

/**
 * The maintenance window apply must run inside: `HH:MM-HH:MM` (local time, every day; may cross
 * midnight) or an ISO-8601 interval `START/END`. Apply refuses outside it, and no statement may
 * run past its end.
 */
export interface MaintenanceWindow {
  /** As given, for messages and the journal. */
  text: string;
  /** The occurrence that contains `now`, or the next one. */
  occurrence(now: Date): { start: Date; end: Date };
}

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

function daily(text: string, from: string, to: string): MaintenanceWindow {
  const [fh, fm] = from.split(':').map(Number) as [number, number];
  const [th, tm] = to.split(':').map(Number) as [number, number];
  const startMin = fh * 60 + fm;
  const endMin = th * 60 + tm;
  if (startMin === endMin) throw new UsageError(`--window ${text}: start and end are the same time`, 'give a range such as 22:00-02:00');
  return {
    text,
    occurrence(now) {
      // Try the window that started yesterday (it may cross midnight into today), then today's.
      for (const dayOffset of [-1, 0, 1]) {
        const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() + dayOffset, fh, fm, 0, 0);
        const end = new Date(start);
        end.setHours(th, tm, 0, 0);
        if (endMin <= startMin) end.setDate(end.getDate() + 1);
        if (now < end) return { start, end };
      }
      throw new Error('unreachable');
    },
  };
}

export function parseWindow(text: string): MaintenanceWindow {
  const t = text.trim();
  const range = t.split('-');
  if (range.length === 2 && HHMM.test(range[0]!) && HHMM.test(range[1]!)) return daily(t, range[0]!, range[1]!);
  const iso = t.split('/');
  if (iso.length === 2) {
    const start = new Date(iso[0]!);
    const end = new Date(iso[1]!);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
      throw new UsageError(`--window ${t}: not an ISO-8601 interval`, 'use START/END, e.g. 2026-11-22T22:00:00Z/2026-11-23T02:00:00Z');
    }
    if (end <= start) throw new UsageError(`--window ${t}: the end is not after the start`);
    return { text: t, occurrence: () => ({ start, end }) };
  }
  throw new UsageError(`--window ${t}: not a window`, 'use HH:MM-HH:MM (local, daily) or an ISO-8601 interval START/END');
}

export interface WindowState {
  inside: boolean;
  start: Date;
  end: Date;
  /** ms left when inside; ms until the start when not. */
  ms: number;
}

export function windowState(w: MaintenanceWindow, now = new Date()): WindowState {
  const { start, end } = w.occurrence(now);
  const inside = now >= start && now < end;
  return { inside, start, end, ms: inside ? end.getTime() - now.getTime() : Math.max(0, start.getTime() - now.getTime()) };
}

/**
 * Why a time outside the window is outside it, in words: `it opens in 2 h 5 min (at …)`, or for a
 * window already over `it closed 3 h ago` (within a day) / `it closed on 2024-01-02`.
 */
export function outsideText(state: WindowState, now = new Date()): string {
  if (state.start.getTime() > now.getTime()) return `it opens in ${formatDuration(state.ms)} (at ${state.start.toLocaleString()})`;
  const ago = now.getTime() - state.end.getTime();
  if (ago < 86_400_000) return `it closed ${formatDuration(ago).replace(/ \d+ min$/, '')} ago`;
  const d = state.end;
  const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return `it closed on ${day}`;
}

export function formatDuration(ms: number): string {
  const m = Math.floor(ms / 60000);
  if (m >= 60) return `${Math.floor(m / 60)} h ${m % 60} min`;
  if (m >= 1) return `${m} min`;
  return `${Math.ceil(ms / 1000)} s`;
}

/** The refusal outside the window (the CLI before it connects, the TUI's confirmation, apply and resume before they do anything). */
export function outsideWindow(window: MaintenanceWindow, state: WindowState, hint?: string, now = new Date()): Refusal {
  return new Refusal(`outside the maintenance window ${window.text} — ${outsideText(state, now)}`, hint);
}
