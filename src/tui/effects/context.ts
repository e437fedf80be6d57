import type { ReviewServices } from '../services.js';
import type { Store } from '../store.js';

/**
 * What every effect works with: the store it reports to, the services it calls (engine, files,
 * editor), and the work in flight it shares with the others.
 */
export interface EffectContext {
  readonly store: Store;
  readonly services: ReviewServices;
  readonly running: {
    /** An apply is running: quitting is refused. */
    applying: boolean;
    /** The whole plan being built (one at a time). */
    planning?: Promise<void>;
    /** A rollback is running (from the journal screen): quitting is refused. */
    rollingBack?: boolean;
    /** The resolve panel's debounced preview. */
    previewTimer?: NodeJS.Timeout;
  };
  /** Ends the session (the reviewer quit). */
  readonly onQuit: () => void;
}

/** The message line. */
export function say(ctx: EffectContext, text: string, tone: 'ok' | 'bad' | 'info' = 'info'): void {
  ctx.store.dispatch({ type: 'message', message: { text, tone, ...(text.startsWith('wait: the plan') ? { untilPlan: true } : {}) } });
}

/** "wait: …" while the plan (or a finding's re-plan) is in progress; undefined when it is done. */
export function planInProgress(ctx: EffectContext): string | undefined {
  const s = ctx.store.getState();
  if (!s.plan || s.loading.running) return 'wait: the plan is still being built';
  const busy = Object.keys(s.busy);
  return busy.length ? `wait: ${busy.join(', ')} is being re-planned` : undefined;
}
