import { defaultTheme, extendTheme, type Theme as UiTheme } from '@inkjs/ui';
import type { Theme } from './theme.js';

/** @inkjs/ui components colored by the same rule as ours: no color under NO_COLOR. */
export function uiTheme(theme: Theme): UiTheme {
  return extendTheme(defaultTheme, {
    components: {
      ProgressBar: {
        styles: { completed: () => (theme.color('info') ? { color: theme.color('info') } : { bold: true }) },
        config: () => ({ completedCharacter: '█', remainingCharacter: '░' }),
      },
      ConfirmInput: {
        styles: { input: ({ isFocused }: { isFocused: boolean }) => ({ dimColor: !isFocused }) },
      },
    },
  });
}
