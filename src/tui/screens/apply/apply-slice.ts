import type { ApplyEvent, ApplyPhase, ApplyResult } from '../../../engine/index.js';
import type { Navigation } from '../../screen-state.js';
import { withoutKey } from '../../without-key.js';

/** The apply screen's slice: the batch, the typed confirmation's scroll, live steps, the result. */

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

export interface ApplySlice {
  apply?: ApplyState;
}

export type ApplyAction =
  | { type: 'applyOpen'; ids: string[]; skipped: ApplyState['skipped'] }
  | { type: 'applyStarted' }
  | { type: 'applyScroll'; to: number }
  | { type: 'applyEvent'; event: ApplyEvent }
  | { type: 'applyDone'; result: ApplyResult }
  | { type: 'applyClose' };

export function reduceApply<S extends ApplySlice & Navigation>(s: S, action: { type: string }): S {
  const a = action as ApplyAction;
  switch (a.type) {
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
    default:
      return s;
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
