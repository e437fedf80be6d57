import { useInput, type Key } from 'ink';
import { actionFor } from './keymap.js';
import type { ReviewController } from './controller.js';
import type { ReviewState } from './state.js';
import type { Store } from './store.js';

/** While a text input has the keyboard (filter, values, typed confirmation), keys are text. */
export function textInputActive(s: ReviewState): boolean {
  return s.filtering || Boolean(s.resolve?.editing) || (s.screen === 'apply' && s.apply?.phase === 'confirm') || Boolean(s.editError) || Boolean(s.prompt);
}

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/**
 * A chunk of plain characters (key repeat, fast typing, tmux send-keys) arrives as one input;
 * it is split back into single keys. Special keys come alone.
 */
export function splitKeys(input: string, key: Key): [string, Key][] {
  const special = Object.entries(key).some(([k, v]) => v === true && k !== 'shift');
  if (special || Array.from(input).length <= 1) return [[input, key]];
  return Array.from(input).map((ch) =>
    ch === '\r' || ch === '\n'
      ? ['', { ...NO_KEY, return: true }]
      : ch === '\t'
        ? ['', { ...NO_KEY, tab: true }]
        : [ch, { ...NO_KEY, shift: ch !== ch.toLowerCase() }],
  );
}

/** Keys → keymap actions → the controller. One handler for the whole app. */
export function useKeys(controller: ReviewController, store: Store, s: ReviewState): void {
  useInput(
    (input, key) => {
      const keys = splitKeys(input, key);
      for (let i = 0; i < keys.length; i++) {
        const [ch, k] = keys[i]!;
        const now = store.getState();
        if (now.filtering) {
          // `/` opened the filter within this chunk: the rest is filter text, up to Enter.
          if (k.return) store.dispatch({ type: 'filtering', on: false });
          else store.dispatch({ type: 'filter', text: now.filter + ch });
          continue;
        }
        if (textInputActive(now)) return;
        const action = actionFor(now.screen, ch, k);
        if (action) controller.command(action);
      }
    },
    { isActive: !textInputActive(s) },
  );
}
