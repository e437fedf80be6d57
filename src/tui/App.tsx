import React, { useMemo } from 'react';
import { Box, Static } from 'ink';
import { ThemeProvider } from '@inkjs/ui';
import type { ReviewController } from './controller.js';
import { EDIT_ERROR_ROWS, EditErrorPrompt } from './EditErrorPrompt.js';
import { HelpOverlay } from './HelpOverlay.js';
import { KeyBar } from './KeyBar.js';
import { LineView } from './LineView.js';
import { SCREENS } from './screens/index.js';
import { SIGN_OFF_ROWS, SignOffPrompt } from './SignOffPrompt.js';
import type { ReviewState } from './state.js';
import { useReviewState, type Store } from './store.js';
import { seg, type Line } from './text.js';
import { makeTheme, ThemeContext, type Theme } from './theme.js';
import { uiTheme } from './ui-theme.js';
import { useKeys } from './use-keys.js';
import { useTerminalSize, type TermSize } from './use-terminal-size.js';
import { TickContext, useTick } from './use-tick.js';

/**
 * The review session. The live area is always shorter than the terminal (so Ink redraws in place
 * instead of clearing the screen); finished output (applied steps, exports) goes to <Static>.
 * The screen in the middle is the registered one (screens/index.ts).
 */

export interface AppProps {
  store: Store;
  controller: ReviewController;
  theme?: Theme;
  /** Pin the terminal size (tests); default: the real terminal, following resizes. */
  size?: TermSize;
  /** Log lines already printed by an earlier mount (before $EDITOR ran). */
  logFrom?: number;
}

/** App header, message line and key bar. */
const CHROME = 3;

function headerLine(s: ReviewState, controller: ReviewController): Line {
  const svc = controller.services;
  return [
    seg('pgmend review', 'accent', { bold: true }),
    seg(` · ${svc.databaseLabel()}`),
    seg(` · ${svc.mode} mode`, 'muted'),
    ...(s.plan ? [seg(` · plan ${s.plan.id}`, 'muted')] : []),
  ];
}

function messageLine(s: ReviewState): Line {
  const m = s.message;
  if (!m) return [];
  const glyph = m.tone === 'ok' ? '✔ ' : m.tone === 'bad' ? '✖ ' : '› ';
  const text = m.text.replace(/^[✔✖›]\s*/, '');
  return [seg(glyph + text, m.tone === 'ok' ? 'ok' : m.tone === 'bad' ? 'bad' : 'info')];
}

function busy(s: ReviewState): boolean {
  return Boolean(s.boot) || s.loading.running || Object.keys(s.busy).length > 0 || s.resolve?.preview?.status === 'loading' || s.apply?.phase === 'running';
}

export function App({ store, controller, theme = makeTheme(), size, logFrom = 0 }: AppProps) {
  const s = useReviewState(store);
  const ui = useMemo(() => uiTheme(theme), [theme]);
  const term = useTerminalSize(size);
  const frame = useTick(busy(s));
  const width = Math.max(20, term.columns);
  // One row spare: a live area as tall as the terminal makes Ink clear the screen on each frame.
  const height = Math.max(6, term.rows - 1);
  const body = height - CHROME - (s.editError ? EDIT_ERROR_ROWS : 0) - (s.prompt ? SIGN_OFF_ROWS : 0);
  useKeys(controller, s, { width, height: body });
  const screen = SCREENS[s.screen];
  const fixedHeight = screen.fixedHeight || s.help;
  return (
    <ThemeContext.Provider value={theme}>
      <ThemeProvider theme={ui}>
        <TickContext.Provider value={frame}>
          <Static items={s.log.slice(logFrom)}>{(line, i) => <LineView key={logFrom + i} line={line} width={width} />}</Static>
          <Box flexDirection="column" width={width} {...(fixedHeight ? { height } : {})}>
            <LineView line={headerLine(s, controller)} width={width} />
            {s.help ? <HelpOverlay screen={s.screen} width={width} height={body} scroll={s.helpScroll} /> : <screen.View state={s} ctx={controller} width={width} height={body} />}
            {s.editError ? <EditErrorPrompt error={s.editError} ctx={controller} width={width} /> : null}
            {s.prompt ? <SignOffPrompt prompt={s.prompt} ctx={controller} /> : null}
            <LineView line={messageLine(s)} width={width} />
            <KeyBar screen={s.screen} width={width} extra={s.help ? [] : (screen.bar ?? [])} />
          </Box>
        </TickContext.Provider>
      </ThemeProvider>
    </ThemeContext.Provider>
  );
}
