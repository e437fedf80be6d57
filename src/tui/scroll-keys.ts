import type { Action } from './keymap.js';

/**
 * Where a movement key takes a position (a scroll offset or a cursor) in 0…last; undefined for
 * any other key. Callers clamp, as their reducers do.
 */
export function movedTo(action: Action, at: number, last: number, page: number): number | undefined {
  switch (action) {
    case 'up':
      return at - 1;
    case 'down':
      return at + 1;
    case 'top':
      return 0;
    case 'bottom':
      return last;
    case 'pageUp':
      return at - page;
    case 'pageDown':
      return at + page;
    default:
      return undefined;
  }
}
