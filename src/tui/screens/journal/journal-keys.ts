import type { Action } from '../../keymap.js';
import type { Layout, ReviewController } from '../../controller.js';
import { askRollback } from '../../effects/journal.js';
import { runsViewport } from './JournalScreen.js';

/** What keys do on the journal: move through the runs, roll one back, back to the list. */
export function journalKey(ctx: ReviewController, action: Action, layout: Layout): void {
  const j = ctx.state.journal;
  if (!j) return;
  const n = j.runs?.length ?? 0;
  const page = runsViewport(layout.height, n);
  const to = (i: number) => ctx.store.dispatch({ type: 'journalCursor', to: i });
  switch (action) {
    case 'up':
      return to(j.cursor - 1);
    case 'down':
      return to(j.cursor + 1);
    case 'top':
      return to(0);
    case 'bottom':
      return to(n - 1);
    case 'pageUp':
      return to(j.cursor - page);
    case 'pageDown':
      return to(j.cursor + page);
    case 'rollback':
      return askRollback(ctx);
    case 'back':
      return ctx.store.dispatch({ type: 'journalClose' });
    default:
      return;
  }
}
