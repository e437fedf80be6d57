import type { Screen } from '../keymap.js';
import { ApplyScreen } from './apply/ApplyScreen.js';
import { applyKey } from './apply/apply-keys.js';
import { DetailScreen } from './detail/DetailScreen.js';
import { detailKey } from './detail/detail-keys.js';
import { ListScreen } from './list/ListScreen.js';
import { listKey, listText } from './list/list-keys.js';
import { ResolvePanel } from './resolve/ResolvePanel.js';
import { resolveKey } from './resolve/resolve-keys.js';
import { JournalScreen } from './journal/JournalScreen.js';
import { journalKey } from './journal/journal-keys.js';
import { FailedScreen } from './failed/FailedScreen.js';
import { failedKey } from './failed/failed-keys.js';
import type { ScreenDef } from './screen.js';

/**
 * Every screen, registered once: App draws `SCREENS[screen].View`, the key hook hands actions to
 * its `onKey` and keeps off while it is `typing`. A screen's keys (and its line in the README's
 * key table) are in the keymap; its state is its slice, in its folder.
 */
export const SCREENS: Record<Screen, ScreenDef> = {
  list: { View: ListScreen, onKey: listKey, text: listText, typing: (s) => s.filtering, fixedHeight: true },
  detail: { View: DetailScreen, onKey: detailKey, fixedHeight: true },
  resolve: {
    View: ResolvePanel,
    onKey: resolveKey,
    typing: (s) => Boolean(s.resolve?.editing),
    fixedHeight: true,
    bar: [
      { keys: '←/→', word: 'change' },
      { keys: 'Enter', word: 'choose' },
    ],
  },
  // The typed confirmation has the keyboard (the screen's own hook scrolls the batch meanwhile).
  apply: { View: ApplyScreen, onKey: applyKey, typing: (s) => s.apply?.phase === 'confirm', fixedHeight: false },
  journal: { View: JournalScreen, onKey: journalKey, typing: (s) => s.journal?.confirm !== undefined, fixedHeight: true },
  failed: { View: FailedScreen, onKey: failedKey, fixedHeight: true },
};

export type { ScreenDef, ScreenProps } from './screen.js';
