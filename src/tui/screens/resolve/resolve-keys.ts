import type { Action } from '../../keymap.js';
import type { Layout, ReviewController } from '../../controller.js';
import { chooseResolution, closeResolve, schedulePreview } from '../../effects/resolve.js';
import { findingPlan } from '../../selectors.js';
import { cycle, fieldsFor } from './resolve-draft.js';
import { columnRef } from '../../../db/resolve.js';
import { say } from '../../effects/context.js';
import { columnsKey } from '../sample-rows/columns-keys.js';

/** What keys do on the resolve panel: ↑/↓ between fields, ←/→ through a field's options. */
export function resolveKey(ctx: ReviewController, action: Action, _layout: Layout): void {
  if (columnsKey(ctx, action)) return;
  const s = ctx.state;
  const rs = s.resolve;
  const fp = rs && findingPlan(s, rs.id);
  if (!rs || !fp) return;
  const fields = fieldsFor(rs, fp);
  const field = fields[Math.min(rs.field, fields.length - 1)]!;
  switch (action) {
    case 'up':
    case 'down': {
      const next = (rs.field + (action === 'up' ? -1 : 1) + fields.length) % fields.length;
      // The values field is a text input: focusing it gives it the keyboard.
      return ctx.store.dispatch({ type: 'resolveUpdate', patch: { field: next, editing: fields[next] === 'set' } });
    }
    case 'left':
    case 'right': {
      ctx.store.dispatch({ type: 'resolveUpdate', patch: cycle(rs, fp, field, action === 'left' ? -1 : 1) });
      return schedulePreview(ctx);
    }
    case 'timestamp': {
      // The creation timestamp offered in place of a random key.
      const offer = rs.ordering?.offer ?? rs.ordering?.timestamps[0];
      if (rs.keep === 'none' || !offer) return say(ctx, rs.keep === 'none' ? 'no row is kept here: nothing to order' : 'this table has no timestamp column to order by');
      ctx.store.dispatch({ type: 'resolveUpdate', patch: { orderBy: columnRef(offer), field: Math.max(0, fields.indexOf('orderBy')) } });
      return schedulePreview(ctx, 0);
    }
    case 'open':
      return void chooseResolution(ctx);
    case 'back':
      return closeResolve(ctx);
    default:
      return;
  }
}
