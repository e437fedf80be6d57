import type { Screen } from './keymap.js';

/** The part of the session every screen's slice may move: which screen shows, over which finding. */
export interface Navigation {
  screen: Screen;
  help: boolean;
  cursorId?: string;
}
