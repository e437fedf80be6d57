import type {
  PlanEvent,
  FindingPlan,
  Plan,
  ResolutionPreview,
  Row,
  ApplyEvent,
  ApplyPhase,
  ApplyResult,
} from '../engine/index.js';
import type { Finding, Strategy } from '../findings/model.js';
import type { Screen } from './keymap.js';
import type { Line } from './text.js';

/**
 * Everything the review session shows, in one value changed only by `reduce`. Effects (the
 * engine calls) live in controller.ts and report back as actions.
 */

export type Pane = 'sql' | 'diff' | 'rows' | 'steps' | 'rollback';
export const PANES: Pane[] = ['sql', 'diff', 'rows', 'steps', 'rollback'];
export const PANE_TITLES: Record<Pane, string> = { sql: 'SQL', diff: 'Diff', rows: 'Rows', steps: 'Steps', rollback: 'Rollback' };

export type SortKey = 'plan' | 'severity' | 'table';
export const SORTS: SortKey[] = ['plan', 'severity', 'table'];

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

export type KeepChoice = 'none' | 'oldest' | 'newest';

export interface PreviewState {
  /** The resolution (JSON) this preview is for; a newer draft makes it stale. */
  key: string;
  status: 'loading' | 'ok' | 'error';
  result?: ResolutionPreview & { after: Row[] };
  error?: string;
}

export interface ResolveState {
  id: string;
  /** Index into the panel's fields (strategy, keep, order by, set). */
  field: number;
  strategy: Strategy;
  keep: KeepChoice;
  /** undefined: the primary key. */
  orderBy?: string;
  /** `column = value, …` for strategy update. */
  setText: string;
  editing: boolean;
  preview?: PreviewState;
}

/** A one-line prompt over the key bar: the note of a sign-off. */
export interface NotePrompt {
  id: string;
  kind: 'approved' | 'skipped' | 'note';
  initial: string;
}

export interface StepState {
  findingId: string;
  index: number;
  total: number;
  description: string;
  status: 'running' | 'done' | 'failed';
  rows?: number;
  ms?: number;
}

export interface ApplyState {
  phase: 'confirm' | 'running' | 'done';
  /** Findings that will run, in plan order. */
  ids: string[];
  /** Marked but not runnable, with why. */
  skipped: { id: string; reason: string }[];
  current?: ApplyPhase;
  steps: StepState[];
  progress?: { findingId: string; index: number; done: number; total: number; phase: string };
  result?: ApplyResult;
  /** First line of the batch shown in the confirmation. */
  scroll?: number;
}

export interface EditError {
  id: string;
  message: string;
  /** What the reviewer wrote, so editing again starts from it. */
  text: string;
}

export interface ReviewState {
  /** Shown while the database is being prepared (demo: embedded server starting). */
  boot?: string;
  /** The findings as loaded and edited, with chosen resolutions: what gets planned. */
  findings: Finding[];
  plan?: Plan;
  loading: Loading;
  /** Rehearsal events carry a finding's plan before the whole plan is done. */
  early: Record<string, FindingPlan>;
  /** Findings being re-planned (after an edit or a resolution), with what is happening. */
  busy: Record<string, string>;
  screen: Screen;
  help: boolean;
  helpScroll: number;
  cursorId?: string;
  filter: string;
  filtering: boolean;
  sort: SortKey;
  marked: string[];
  detail: { id: string; pane: Pane; scroll: number; context: number };
  resolve?: ResolveState;
  apply?: ApplyState;
  message?: Message;
  editError?: EditError;
  prompt?: NotePrompt;
  /** Finished output, printed once above the live area (Ink <Static>). */
  log: Line[];
}

export function initialState(findings: Finding[], boot?: string): ReviewState {
  return {
    ...(boot ? { boot } : {}),
    findings,
    loading: { running: true, checked: [] },
    early: {},
    busy: {},
    screen: 'list',
    help: false,
    helpScroll: 0,
    ...(findings[0] ? { cursorId: findings[0].id } : {}),
    filter: '',
    filtering: false,
    sort: 'plan',
    marked: [],
    detail: { id: '', pane: 'sql', scroll: 0, context: 3 },
    log: [],
  };
}

export type Action =
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
  | { type: 'openDetail'; id: string; pane: Pane; context: number }
  | { type: 'pane'; delta: number }
  | { type: 'scroll'; to: number }
  | { type: 'context'; to: number }
  | { type: 'toggleMark'; id: string }
  | { type: 'setMarks'; ids: string[] }
  | { type: 'filtering'; on: boolean }
  | { type: 'filter'; text: string }
  | { type: 'sort' }
  | { type: 'help'; show: boolean }
  | { type: 'helpScroll'; to: number }
  | { type: 'message'; message?: Message }
  | { type: 'resolveOpen'; resolve: ResolveState }
  | { type: 'resolveUpdate'; patch: Partial<Omit<ResolveState, 'id' | 'preview'>> }
  | { type: 'preview'; preview: PreviewState }
  | { type: 'resolveClose' }
  | { type: 'applyOpen'; ids: string[]; skipped: ApplyState['skipped'] }
  | { type: 'applyStarted' }
  | { type: 'applyScroll'; to: number }
  | { type: 'applyEvent'; event: ApplyEvent }
  | { type: 'applyDone'; result: ApplyResult }
  | { type: 'applyClose' }
  | { type: 'log'; lines: Line[] }
  | { type: 'editError'; error?: EditError }
  | { type: 'prompt'; prompt?: NotePrompt };

export function reduce(s: ReviewState, a: Action): ReviewState {
  switch (a.type) {
    case 'boot':
      return a.text ? { ...s, boot: a.text } : withoutKey(s, 'boot');
    case 'planStarted':
      return { ...s, loading: { running: true, checked: [] }, early: {} };
    case 'planEvent': {
      const e = a.event;
      if (e.kind === 'phase') return { ...s, loading: { ...s.loading, phase: e.phase, ...(e.total !== undefined ? { total: e.total } : {}) } };
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
        busy: {},
        ...(s.message?.untilPlan ? { message: undefined } : {}),
        marked: s.marked.filter((id) => ids.has(id)),
        ...(s.cursorId && ids.has(s.cursorId) ? {} : a.plan.findings[0] ? { cursorId: a.plan.findings[0].id } : {}),
      };
    }
    case 'planFailed':
      return { ...s, loading: { running: false, checked: [], error: a.error }, busy: {} };
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
    case 'openDetail':
      return { ...s, screen: 'detail', help: false, cursorId: a.id, detail: { id: a.id, pane: a.pane, scroll: 0, context: a.context } };
    case 'pane': {
      const i = PANES.indexOf(s.detail.pane);
      const pane = PANES[(i + a.delta + PANES.length) % PANES.length]!;
      return { ...s, detail: { ...s.detail, pane, scroll: 0 } };
    }
    case 'scroll':
      return { ...s, detail: { ...s.detail, scroll: Math.max(0, a.to) } };
    case 'context':
      return { ...s, detail: { ...s.detail, context: Math.max(0, a.to), scroll: 0 } };
    case 'toggleMark':
      return { ...s, marked: s.marked.includes(a.id) ? s.marked.filter((x) => x !== a.id) : [...s.marked, a.id] };
    case 'setMarks':
      return { ...s, marked: a.ids };
    case 'filtering':
      return s.filtering === a.on ? s : { ...s, filtering: a.on };
    case 'filter':
      return s.filter === a.text ? s : { ...s, filter: a.text };
    case 'sort':
      return { ...s, sort: SORTS[(SORTS.indexOf(s.sort) + 1) % SORTS.length]! };
    case 'help':
      return { ...s, help: a.show, helpScroll: 0 };
    case 'helpScroll':
      return { ...s, helpScroll: Math.max(0, a.to) };
    case 'message':
      return a.message ? { ...s, message: a.message } : withoutKey(s, 'message');
    case 'resolveOpen':
      return { ...s, screen: 'resolve', help: false, resolve: a.resolve };
    case 'resolveUpdate': {
      if (!s.resolve) return s;
      const r = s.resolve;
      const same = Object.entries(a.patch).every(([k, v]) => r[k as keyof ResolveState] === v);
      return same ? s : { ...s, resolve: { ...r, ...a.patch } };
    }
    case 'preview':
      // A late answer for an older draft is dropped.
      if (!s.resolve || (s.resolve.preview && s.resolve.preview.key !== a.preview.key && a.preview.status !== 'loading')) return s;
      return { ...s, resolve: { ...s.resolve, preview: a.preview } };
    case 'resolveClose':
      return { ...withoutKey(s, 'resolve'), screen: 'detail' };
    case 'applyOpen':
      return { ...s, screen: 'apply', help: false, apply: { phase: 'confirm', ids: a.ids, skipped: a.skipped, steps: [] } };
    case 'applyScroll':
      return s.apply ? { ...s, apply: { ...s.apply, scroll: Math.max(0, a.to) } } : s;
    case 'applyStarted':
      return s.apply ? { ...s, apply: { ...s.apply, phase: 'running' } } : s;
    case 'applyEvent':
      return s.apply ? { ...s, apply: applyEvent(s.apply, a.event) } : s;
    case 'applyDone':
      return s.apply ? { ...s, apply: { ...s.apply, phase: 'done', result: a.result, progress: undefined } } : s;
    case 'applyClose':
      return { ...withoutKey(s, 'apply'), screen: 'list' };
    case 'log':
      return { ...s, log: [...s.log, ...a.lines] };
    case 'editError':
      return a.error ? { ...s, editError: a.error } : withoutKey(s, 'editError');
    case 'prompt':
      return a.prompt ? { ...s, prompt: a.prompt } : withoutKey(s, 'prompt');
  }
}

function applyEvent(ap: ApplyState, e: ApplyEvent): ApplyState {
  if (e.kind === 'phase') return { ...ap, current: e.phase };
  if (e.kind === 'progress') return { ...ap, progress: { findingId: e.findingId, index: e.index, done: e.done, total: e.total, phase: e.phase } };
  if (e.kind === 'note') return ap; // the apply result carries what matters (a takeover is also journaled)
  const step: StepState = {
    findingId: e.findingId,
    index: e.index,
    total: e.total,
    description: e.description,
    status: e.status,
    ...(e.rows !== undefined ? { rows: e.rows } : {}),
    ...(e.ms !== undefined ? { ms: e.ms } : {}),
  };
  const same = (x: StepState) => x.findingId === e.findingId && x.index === e.index && x.description === e.description && x.status === 'running';
  const steps = ap.steps.some(same) ? ap.steps.map((x) => (same(x) ? step : x)) : [...ap.steps, step];
  const progress = e.status === 'running' ? ap.progress : undefined;
  return { ...ap, steps, ...(progress ? { progress } : { progress: undefined }) };
}

function withoutKey<T extends object, K extends keyof T>(o: T, k: K): T {
  const copy = { ...o };
  delete copy[k];
  return copy;
}
