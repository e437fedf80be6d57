import { useInput, type Key } from 'ink';
import { actionFor } from './keymap.js';
import type { Layout, ReviewController } from './controller.js';
import { helpKey } from './HelpOverlay.js';
import { SCREENS } from './screens/index.js';
import type { ReviewState } from './state.js';

/** A prompt over any screen (a sign-off note, an edit's error) has the keyboard while it shows. */
const promptOpen = (s: ReviewState): boolean => Boolean(s.editError) || Boolean(s.prompt);

/** While an input has the keyboard (a prompt, or the screen's own: filter, values, typed confirmation), keys are text. */
export function textInputActive(s: ReviewState): boolean {
  return promptOpen(s) || (!s.help && Boolean(SCREENS[s.screen].typing?.(s)));
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

/**
 * Keys → keymap actions → the router, which hands them to the screen that shows. One hook for
 * the whole app: a chunk of keys that changes screens goes on on the new one.
 */
export function useKeys(ctx: ReviewController, s: ReviewState, layout: Layout): void {
  useInput(
    (input, key) => {
      const keys = splitKeys(input, key);
      for (let i = 0; i < keys.length; i++) {
        const [ch, k] = keys[i]!;
        const now = ctx.state;
        const screen = SCREENS[now.screen];
        if (!now.help && screen.text?.(ctx, ch, k)) continue;
        if (textInputActive(now)) return;
        const action = actionFor(now.screen, ch, k);
        if (action) ctx.route(action, screen.onKey, helpKey, layout, ch);
      }
    },
    { isActive: !textInputActive(s) },
  );
}
