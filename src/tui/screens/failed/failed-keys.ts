import type { Action } from '../../keymap.js';
import type { Layout, ReviewController } from '../../controller.js';
import { start } from '../../effects/plan.js';

/** On the failed screen: `r` connects and plans again (quit and help are the router's). */
export function failedKey(ctx: ReviewController, action: Action, _layout: Layout): void {
  if (action === 'retry' && !ctx.state.loading.running) void start(ctx);
}
