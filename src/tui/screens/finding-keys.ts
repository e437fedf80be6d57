import type { Action } from '../keymap.js';
import { currentId } from '../selectors.js';
import type { ReviewController } from '../controller.js';
import { openApply } from '../effects/apply.js';
import { openJournal } from '../effects/journal.js';
import { edit } from '../effects/edit.js';
import { exportPlanFiles } from '../effects/export.js';
import { openResolve } from '../effects/resolve.js';
import { openPrompt } from '../effects/sign-off.js';

/** Keys that work the same from the list and from a finding's detail. Returns whether it was one. */
export function findingKey(ctx: ReviewController, action: Action): boolean {
  const id = currentId(ctx.state);
  switch (action) {
    case 'mark':
      if (id) ctx.store.dispatch({ type: 'toggleMark', id });
      return true;
    case 'resolve':
      if (id) openResolve(ctx, id);
      return true;
    case 'edit':
      if (id) void edit(ctx, id);
      return true;
    case 'apply':
      openApply(ctx);
      return true;
    case 'journal':
      openJournal(ctx);
      return true;
    case 'export':
      void exportPlanFiles(ctx);
      return true;
    case 'approve':
    case 'skip':
    case 'note':
      if (id) openPrompt(ctx, id, action);
      return true;
    default:
      return false;
  }
}
