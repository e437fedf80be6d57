import type { Action } from './keymap.js';
import type { ReviewServices } from './services.js';
import type { ReviewState } from './state.js';
import type { Store } from './store.js';
import type { EffectContext } from './effects/context.js';
import { say } from './effects/context.js';
import { start } from './effects/plan.js';

/**
 * The session's router. A key arrives as a keymap action; the router takes the few that mean the
 * same on every screen (quit, the help overlay, clearing the message) and hands the rest to the
 * screen that shows (its `onKey`, registered in screens/index.ts). Engine calls live in effects/,
 * screen moves in each screen's slice; the router holds only what they share.
 */

/** The room a screen has: the terminal's width and the rows between header and message line. */
export interface Layout {
  width: number;
  height: number;
}

/** `input`: the key as typed (`3` for the pane-by-number action). */
export type KeyHandler = (ctx: ReviewController, action: Action, layout: Layout, input: string) => void;

export class ReviewController implements EffectContext {
  readonly running: EffectContext['running'] = { applying: false };

  constructor(
    readonly store: Store,
    readonly services: ReviewServices,
    readonly onQuit: () => void,
  ) {}

  get state(): ReviewState {
    return this.store.getState();
  }

  /** Boot (if any), then the whole plan. */
  start(): Promise<void> {
    return start(this);
  }

  route(action: Action, screenKey: KeyHandler, helpKey: KeyHandler, layout: Layout, input = ''): void {
    const s = this.state;
    if (action === 'quit') return this.quit();
    if (s.help) return helpKey(this, action, layout, input);
    if (action === 'help') return this.store.dispatch({ type: 'help', show: true });
    if (s.message && s.screen !== 'apply') this.store.dispatch({ type: 'message' });
    screenKey(this, action, layout, input);
  }

  quit(): void {
    if (this.running.rollingBack) return say(this, 'a rollback is running: quitting is refused until it commits or rolls back', 'bad');
    if (this.running.applying) {
      const why = this.services.mode === 'window' ? 'a transaction is open: quitting is refused until it commits or rolls back' : 'a run is in progress: quitting is refused until its current step ends';
      return say(this, why, 'bad');
    }
    this.onQuit();
  }
}
