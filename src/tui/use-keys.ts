import { useInput } from 'ink';
import { actionFor } from './keymap.js';
import type { ReviewController } from './controller.js';
import type { ReviewState } from './state.js';

/** While a text input has the keyboard (filter, values, typed confirmation), keys are text. */
export function textInputActive(s: ReviewState): boolean {
  return s.filtering || Boolean(s.resolve?.editing) || (s.screen === 'apply' && s.apply?.phase === 'confirm') || Boolean(s.editError);
}

/** Keys → keymap actions → the controller. One handler for the whole app. */
export function useKeys(controller: ReviewController, s: ReviewState): void {
  useInput(
    (input, key) => {
      const action = actionFor(s.screen, input, key);
      if (action) controller.command(action);
    },
    { isActive: !textInputActive(s) },
  );
}
