import { useSyncExternalStore } from 'react';
import { reduce, type Action, type ReviewState } from './state.js';

/**
 * The session's state lives outside React, so Ink can be unmounted while $EDITOR runs and mounted
 * again with everything as it was — and so async engine calls can report after a remount.
 */
export interface Store {
  getState(): ReviewState;
  dispatch(action: Action): void;
  subscribe(listener: () => void): () => void;
}

/**
 * Renders are coalesced: the engine reports a finding at a time, and a React render plus an Ink
 * layout per report would slow the plan it is reporting on. A key press still renders at once
 * (the first change after a quiet spell is shown on the next tick).
 */
export const RENDER_INTERVAL_MS = 50;

export function createStore(initial: ReviewState): Store {
  let state = initial;
  const listeners = new Set<() => void>();
  let pending = false;
  let last = 0;
  const notify = () => {
    pending = false;
    last = Date.now();
    for (const l of [...listeners]) l();
  };
  return {
    getState: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      if (pending) return;
      pending = true;
      const wait = RENDER_INTERVAL_MS - (Date.now() - last);
      if (wait <= 0) setImmediate(notify);
      else setTimeout(notify, wait);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useReviewState(store: Store): ReviewState {
  return useSyncExternalStore(store.subscribe, store.getState, store.getState);
}
