import React from 'react';
import { render } from 'ink-testing-library';
import { adminUrl } from '../support/db.js';
import { loadExample } from '../../src/demo/examples.js';
import { resolveTarget, type DbTarget } from '../../src/db/connection.js';
import { loadPlaybooks, type PlaybookSet } from '../../src/playbooks/load.js';
import { loadFindingsFile } from '../../src/findings/load.js';
import { EXAMPLES_DIR } from '../../src/demo/examples.js';
import type { Finding } from '../../src/findings/model.js';
import type { Mode, Plan } from '../../src/engine/plan/plan-model.js';
import { parseWindow, type MaintenanceWindow } from '../../src/engine/apply/maintenance-window.js';
import { engineServices, type ReviewServices } from '../../src/tui/services.js';
import { createStore, type Store } from '../../src/tui/store.js';
import { initialState } from '../../src/tui/state.js';
import { ReviewController } from '../../src/tui/controller.js';
import { App } from '../../src/tui/App.js';
import { makeTheme } from '../../src/tui/theme.js';
import pg from 'pg';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * TUI tests drive the real App against a real database (the ActorHub example, loaded fresh),
 * with the real engine behind every screen. Only the terminal is ink-testing-library's.
 */

export interface ActorHubDb {
  url: string;
  name: string;
  target: DbTarget;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

export async function actorhubDb(): Promise<ActorHubDb> {
  const name = `ah_${randomBytes(5).toString('hex')}`;
  const url = await loadExample(adminUrl(), name, 'actorhub');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  client.on('error', () => {});
  return {
    url,
    name,
    target: resolveTarget(url),
    query: (sql, params) => client.query(sql, params as unknown[]),
    drop: async () => {
      await client.end().catch(() => {});
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

export async function actorhubFindings(file = 'findings.yaml'): Promise<{ playbooks: PlaybookSet; findings: Finding[] }> {
  const playbooks = await loadPlaybooks();
  const findings = await loadFindingsFile(path.join(EXAMPLES_DIR, 'actorhub', file), playbooks);
  return { playbooks, findings };
}

/** A window around now: apply is allowed. */
export function openWindow(): MaintenanceWindow {
  const now = Date.now();
  return parseWindow(`${new Date(now - 60_000).toISOString()}/${new Date(now + 3_600_000).toISOString()}`);
}

export interface Session {
  store: Store;
  controller: ReviewController;
  services: ReviewServices;
  quit: { called: boolean };
  ui: ReturnType<typeof render>;
  frame(): string;
  press(...keys: string[]): Promise<void>;
  type(text: string): Promise<void>;
  waitFor(test: (frame: string) => boolean, what: string, ms?: number): Promise<string>;
  done(): void;
}

export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  enter: '\r',
  esc: '\u001B',
  tab: '\t',
  shiftTab: '\u001B[Z',
  pageDown: '\u001B[6~',
  pageUp: '\u001B[5~',
  backspace: '\u007F',
  ctrlC: '\u0003',
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Frames carry ANSI color codes; assertions read the text.
// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string) => s.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '');

export interface SessionOptions {
  db: ActorHubDb;
  findings: Finding[];
  playbooks: PlaybookSet;
  /** Start from this plan (built by the real engine) instead of planning on mount. */
  plan?: Plan;
  size?: { columns: number; rows: number };
  window?: MaintenanceWindow;
  exportDir?: string;
  env?: NodeJS.ProcessEnv;
  noColor?: boolean;
  start?: boolean;
  lockRetries?: number;
  /** The findings file decisions are written to. */
  findingsFile?: string;
  reviewer?: string;
  /** Window (default) or online mode: the apply screens say what each really does. */
  mode?: Mode;
}

export function session(opts: SessionOptions): Session {
  const store = createStore(initialState(opts.findings));
  const services = engineServices({
    target: opts.db.target,
    databaseName: opts.db.name,
    playbooks: opts.playbooks,
    mode: opts.mode ?? 'window',
    window: opts.window ?? openWindow(),
    lockTimeoutMs: 1000,
    lockRetries: opts.lockRetries ?? 3,
    statementTimeoutMs: 60_000,
    sampleSize: 5,
    snapshotDir: path.join(opts.exportDir ?? '/tmp', 'snapshots'),
    exportDir: opts.exportDir ?? '/tmp',
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.findingsFile ? { findingsFile: opts.findingsFile } : {}),
    ...(opts.reviewer ? { reviewer: opts.reviewer } : {}),
  });
  const quit = { called: false };
  const controller = new ReviewController(store, services, () => (quit.called = true));
  if (opts.plan) store.dispatch({ type: 'planDone', plan: opts.plan });
  const theme = makeTheme(opts.noColor ? { NO_COLOR: '1' } : {});
  const ui = render(<App store={store} controller={controller} theme={theme} size={opts.size ?? { columns: 100, rows: 30 }} />);
  if (!opts.plan && opts.start !== false) void controller.start();
  const frame = () => stripAnsi(ui.lastFrame() ?? '');
  return {
    store,
    controller,
    services,
    quit,
    ui,
    frame,
    async press(...keys) {
      for (const k of keys) {
        ui.stdin.write(k);
        await sleep(70);
      }
    },
    async type(text) {
      for (const ch of text) {
        ui.stdin.write(ch);
        await sleep(15);
      }
      await sleep(70);
    },
    async waitFor(test, what, ms = 20_000) {
      const until = Date.now() + ms;
      for (;;) {
        const f = frame();
        if (test(f)) return f;
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
        await sleep(25);
      }
    },
    done() {
      ui.unmount();
      ui.cleanup();
    },
  };
}

/** The live area of the last frame (after <Static> output), as lines. */
export function liveLines(frame: string, rows: number): string[] {
  const lines = frame.split('\n');
  return lines.slice(Math.max(0, lines.length - rows));
}

/** The whole ActorHub plan, built by the real engine (no TUI involved). */
export async function actorhubPlan(db: ActorHubDb, findings: Finding[], playbooks: PlaybookSet, mode: Mode = 'window'): Promise<Plan> {
  const { buildPlan, PLAN_DEFAULTS } = await import('../../src/engine/plan/plan.js');
  return buildPlan({ target: db.target, findings, playbooks, mode, rehearse: true, ...PLAN_DEFAULTS });
}
