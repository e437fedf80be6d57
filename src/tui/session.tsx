import React from 'react';
import { render, type Instance } from 'ink';
import type { Finding } from '../findings/model.js';
import { App } from './App.js';
import { ReviewController } from './controller.js';
import { engineServices, type EngineServiceConfig } from './services.js';
import { initialState } from './state.js';
import { createStore } from './store.js';
import { makeTheme } from './theme.js';

/**
 * `pgmend review` / `pgmend demo` in a terminal: mounts the App, hands the terminal to $EDITOR
 * when asked (Ink unmounted, then mounted again on the same state), and resolves when the
 * reviewer quits.
 */

export interface ReviewSessionOptions extends Omit<EngineServiceConfig, 'suspend'> {
  findings: Finding[];
  /** First status line while `boot` runs. */
  bootText?: string;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

export async function runReview(opts: ReviewSessionOptions): Promise<number> {
  const { findings, bootText, stdout = process.stdout, stdin = process.stdin, ...engine } = opts;
  const store = createStore(initialState(findings, bootText));
  const theme = makeTheme(opts.env ?? process.env);
  let quit!: () => void;
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  let instance: Instance | undefined;

  const mount = () => {
    const logFrom = store.getState().log.length;
    instance = render(<App store={store} controller={controller} theme={theme} logFrom={logFrom} />, {
      stdout,
      stdin,
      exitOnCtrlC: false,
      patchConsole: true,
    });
  };
  const unmount = async () => {
    if (!instance) return;
    const i = instance;
    instance = undefined;
    // An empty last frame: Ink erases the live area instead of leaving it behind.
    i.rerender(null);
    i.unmount();
    await i.waitUntilExit().catch(() => {});
  };
  // The editor owns the terminal while it runs; Ink comes back on the same state afterwards.
  const suspend = async <T,>(fn: () => Promise<T>): Promise<T> => {
    await unmount();
    try {
      return await fn();
    } finally {
      mount();
    }
  };

  const services = engineServices({ ...engine, suspend });
  const controller = new ReviewController(store, services, () => quit());
  mount();
  void controller.start();
  await quitting;
  await unmount();
  // A session whose plan could not be built (no database, bad credentials) failed.
  const failed = store.getState().loading.error;
  if (failed) process.stderr.write(`pgmend: could not plan: ${failed}\n`);
  return failed ? 1 : 0;
}
