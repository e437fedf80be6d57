import type { Action } from '../../keymap.js';
import type { Layout, ReviewController } from '../../controller.js';
import { askRollback } from '../../effects/journal.js';
import { runsViewport } from './JournalScreen.js';
import { movedTo } from '../../scroll-keys.js';

/** What keys do on the journal: move through the runs, roll one back, back to the list. */
export function journalKey(ctx: ReviewController, action: Action, layout: Layout): void {
  const j = ctx.state.journal;
  if (!j) return;
  const n = j.runs?.length ?? 0;
  const page = runsViewport(layout.height, n);
  const moved = movedTo(action, j.cursor, n - 1, page);
  if (moved !== undefined) return ctx.store.dispatch({ type: 'journalCursor', to: moved });
  switch (action) {
    case 'rollback':
      return askRollback(ctx);
    case 'back':
      return ctx.store.dispatch({ type: 'journalClose' });
    default:
      return;
  }
}
