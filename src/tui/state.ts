import type { PlanEvent, FindingPlan, Plan, CheckResult } from '../engine/index.js';
import type { Finding } from '../findings/model.js';
import type { Screen } from './keymap.js';
import type { Line } from './text.js';
import { reduceList, initialList, type ListAction, type ListSlice } from './screens/list/list-slice.js';
import { reduceDetail, initialDetail, type DetailAction, type DetailSlice } from './screens/detail/detail-slice.js';
import { reduceResolve, type ResolveAction, type ResolveSlice } from './screens/resolve/resolve-slice.js';
import { reduceApply, type ApplyAction, type ApplySlice } from './screens/apply/apply-slice.js';
import { reduceJournal, type JournalAction, type JournalSlice } from './screens/journal/journal-slice.js';
import { withoutKey } from './without-key.js';
import { initialColumns, reduceColumns, type ColumnsAction, type ColumnsSlice } from './screens/sample-rows/columns-slice.js';

/**
 * Everything the review session shows, in one value changed only by `reduce`. The session's own
 * part (findings, plan, marks, messages, overlays) is reduced here; each screen reduces its slice
 * in its folder (screens/<name>/<name>-slice.ts). Effects (the engine calls) live in effects/ and
 * report back as actions.
 */

export type { Pane } from './screens/detail/detail-slice.js';
export { PANES, PANE_TITLES } from './screens/detail/detail-slice.js';
export type { SortKey } from './screens/list/list-slice.js';
export { SORTS } from './screens/list/list-slice.js';
export type { KeepChoice, PreviewState, ResolveState } from './screens/resolve/resolve-slice.js';
export type { ApplyState, StepState } from './screens/apply/apply-slice.js';

export interface Message {
  text: string;
  tone: 'ok' | 'bad' | 'info';
  /** Gone once the plan is built (e.g. "wait: the plan is still being built"). */
  untilPlan?: boolean;
}

export interface Loading {
  running: boolean;
  phase?: PlanEvent extends infer E ? (E extends { kind: 'phase'; phase: infer P } ? P : never) : never;
  total?: number;
  /** Findings whose prechecks finished. */
  checked: string[];
  error?: string;
}

/** A one-line prompt over the key bar: the note of a sign-off. */
export interface NotePrompt {
  id: string;
  kind: 'approved' | 'skipped' | 'note';
  initial: string;
}

export interface EditError {
  id: string;
  message: string;
  /** What the reviewer wrote, so editing again starts from it. */
  text: string;
}

export interface SessionState {
  /** Shown while the database is being prepared (demo: embedded server starting). */
  boot?: string;
  /** The findings as loaded and edited, with chosen resolutions: what gets planned. */
  findings: Finding[];
  plan?: Plan;
  loading: Loading;
  /** Rehearsal events carry a finding's plan before the whole plan is done. */
  early: Record<string, FindingPlan>;
  /** Each finding's counts, reported as soon as its tables' scans ended (before samples, cascade, rehearsal). */
  counted: Record<string, CheckResult[]>;
  /** Findings being re-planned (after an edit or a resolution), with what is happening. */
  busy: Record<string, string>;
  screen: Screen;
  help: boolean;
  helpScroll: number;
  /** The finding the list's cursor is on (a detail opens on it, and leaves it there). */
  cursorId?: string;
  marked: string[];
  message?: Message;
  editError?: EditError;
  prompt?: NotePrompt;
  /** Finished output, printed once above the live area (Ink <Static>). */
  log: Line[];
}

export type ReviewState = SessionState & ListSlice & DetailSlice & ResolveSlice & ApplySlice & JournalSlice & ColumnsSlice;

export function initialState(findings: Finding[], boot?: string): ReviewState {
  return {
    ...(boot ? { boot } : {}),
    findings,
    loading: { running: true, checked: [] },
    early: {},
    counted: {},
    busy: {},
    screen: 'list',
    help: false,
    helpScroll: 0,
    ...(findings[0] ? { cursorId: findings[0].id } : {}),
    marked: [],
    log: [],
    ...initialList(),
    ...initialDetail(),
    ...initialColumns(),
  };
}

export type SessionAction =
  | { type: 'boot'; text?: string }
  | { type: 'planStarted' }
  | { type: 'planEvent'; event: PlanEvent }
  | { type: 'planDone'; plan: Plan }
  | { type: 'planFailed'; error: string }
  | { type: 'busy'; id: string; what?: string }
  | { type: 'findingChanged'; finding: Finding }
  | { type: 'findingPlanned'; plan: FindingPlan }
  | { type: 'cursor'; id: string }
  | { type: 'screen'; screen: Screen }
  | { type: 'toggleMark'; id: string }
  | { type: 'setMarks'; ids: string[] }
  | { type: 'help'; show: boolean }
  | { type: 'helpScroll'; to: number }
  | { type: 'message'; message?: Message }
  | { type: 'log'; lines: Line[] }
  | { type: 'editError'; error?: EditError }
  | { type: 'prompt'; prompt?: NotePrompt };

export type Action = SessionAction | ListAction | DetailAction | ResolveAction | ApplyAction | JournalAction | ColumnsAction;

/** The session's part; every other action is left to the screens' slices. */
function reduceSession(s: ReviewState, a: Action): ReviewState {
  switch (a.type) {
    case 'boot':
      return a.text ? { ...s, boot: a.text } : withoutKey(s, 'boot');
    case 'planStarted':
      // A retry from the failed screen goes back to the list, filling in again.
      return { ...s, loading: { running: true, checked: [] }, early: {}, counted: {}, ...(s.screen === 'failed' ? { screen: 'list' as const } : {}) };
    case 'planEvent': {
      const e = a.event;
      if (e.kind === 'phase') return { ...s, loading: { ...s.loading, phase: e.phase, ...(e.total !== undefined ? { total: e.total } : {}) } };
      // Counts as soon as a finding's tables are read: the list shows them before the plan ends.
      if (e.kind === 'counts') return { ...s, counted: { ...s.counted, [e.id]: e.checks } };
      if (e.phase === 'prechecks') return { ...s, loading: { ...s.loading, checked: [...s.loading.checked, e.id] } };
      return e.finding ? { ...s, early: { ...s.early, [e.id]: e.finding } } : s;
    }
    case 'planDone': {
      const ids = new Set(a.plan.findings.map((f) => f.id));
      return {
        ...s,
        plan: a.plan,
        loading: { running: false, checked: [] },
        early: {},
        counted: {},
        busy: {},
        ...(s.message?.untilPlan ? { message: undefined } : {}),
        marked: s.marked.filter((id) => ids.has(id)),
        ...(s.cursorId && ids.has(s.cursorId) ? {} : a.plan.findings[0] ? { cursorId: a.plan.findings[0].id } : {}),
      };
    }
    case 'planFailed':
      // No plan at all (the database cannot be reached): the failed screen says why, whole.
      return { ...s, loading: { running: false, checked: [], error: a.error }, busy: {}, ...(s.plan ? {} : { screen: 'failed' as const, help: false }) };
    case 'busy':
      return { ...s, busy: a.what ? { ...s.busy, [a.id]: a.what } : withoutKey(s.busy, a.id) };
    case 'findingChanged': {
      const findings = s.findings.map((f) => (f.id === a.finding.id ? a.finding : f));
      // The plan carries the finding too (its sign-off goes into exports and the journal).
      const plan = s.plan && { ...s.plan, findings: s.plan.findings.map((f) => (f.id === a.finding.id ? { ...f, finding: a.finding } : f)) };
      return { ...s, findings, ...(plan ? { plan } : {}) };
    }
    case 'findingPlanned': {
      if (!s.plan) return s;
      const findings = s.plan.findings.map((f) => (f.id === a.plan.id ? a.plan : f));
      return { ...s, plan: { ...s.plan, findings }, busy: withoutKey(s.busy, a.plan.id) };
    }
    case 'cursor':
      return { ...s, cursorId: a.id };
    case 'screen':
      return { ...s, screen: a.screen, help: false };
    case 'toggleMark':
      return { ...s, marked: s.marked.includes(a.id) ? s.marked.filter((x) => x !== a.id) : [...s.marked, a.id] };
    case 'setMarks':
      return { ...s, marked: a.ids };
    case 'help':
      return { ...s, help: a.show, helpScroll: 0 };
    case 'helpScroll':
      return { ...s, helpScroll: Math.max(0, a.to) };
    case 'message':
      return a.message ? { ...s, message: a.message } : withoutKey(s, 'message');
    case 'log':
      return { ...s, log: [...s.log, ...a.lines] };
    case 'editError':
      return a.error ? { ...s, editError: a.error } : withoutKey(s, 'editError');
    case 'prompt':
      return a.prompt ? { ...s, prompt: a.prompt } : withoutKey(s, 'prompt');
    default:
      return s;
  }
}

const SLICES: ((s: ReviewState, a: Action) => ReviewState)[] = [reduceSession, reduceList, reduceDetail, reduceResolve, reduceApply, reduceJournal, reduceColumns];

/** Each action is the business of one slice; the others return the state unchanged. */
export function reduce(s: ReviewState, a: Action): ReviewState {
  return SLICES.reduce((state, slice) => slice(state, a), s);
}
