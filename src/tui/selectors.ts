import type { FindingPlan } from '../engine/index.js';
import { cursorIndex, visibleItems } from './screens/list/list-view.js';
import type { ReviewState } from './state.js';

/** Questions every screen asks of the state. */

/** A finding's plan: from the whole plan, or from the engine's early report while it is built. */
export function findingPlan(s: ReviewState, id: string): FindingPlan | undefined {
  return s.plan?.findings.find((f) => f.id === id) ?? s.early[id];
}

/** The finding the keys act on: the detail's, else the list's cursor. */
export function currentId(s: ReviewState): string | undefined {
  if (s.screen === 'detail' || s.screen === 'resolve') return s.detail.id;
  const list = visibleItems(s);
  return list[cursorIndex(s, list)]?.id;
}
