import type { ComponentType } from 'react';
import type { Key } from 'ink';
import type { KeyHandler, ReviewController } from '../controller.js';
import type { ReviewState } from '../state.js';

/**
 * A screen of the review session: its view, what keys do on it, and when its own text input has
 * the keyboard. Registered once, in screens/index.ts; its state is its slice of the reducer.
 */

export interface ScreenProps {
  state: ReviewState;
  ctx: ReviewController;
  width: number;
  /** Rows between the header and the message line. */
  height: number;
}

export interface ScreenDef {
  View: ComponentType<ScreenProps>;
  /** What a keymap action does here (quit, help and the message are the router's). */
  onKey: KeyHandler;
  /** While true, an input of the screen has the keyboard: keys are text, not actions. */
  typing?(s: ReviewState): boolean;
  /** A key of a chunk that is text for an input the chunk just opened (`/` then the filter). */
  text?(ctx: ReviewController, ch: string, key: Key): boolean;
  /** The screen fills the body (false: as tall as its content). */
  fixedHeight: boolean;
  /** Key bar words this screen puts first (its own wording of a key). */
  bar?: { keys: string; word: string }[];
}
