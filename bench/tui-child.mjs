import React from 'react';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { render } from 'ink';
import { App } from '../dist/tui/App.js';
import { ReviewController } from '../dist/tui/controller.js';
import { engineServices } from '../dist/tui/services.js';
import { initialState } from '../dist/tui/state.js';
import { createStore } from '../dist/tui/store.js';
import { makeTheme } from '../dist/tui/theme.js';
import { resolveTarget } from '../dist/db/connection.js';
import { loadPlaybooks } from '../dist/playbooks/load.js';
import { parseWindow } from '../dist/engine/apply/maintenance-window.js';

/**
 * Run in its own process with plain node on the built dist/ (so its memory is the TUI's alone, as
 * `pgmend review` runs it, without a TypeScript loader): the real review App, rendered by Ink
 * as in a terminal (throttled log-update frames, not ink-testing-library's debug mode), on a plan
 * of many findings. Start it with NODE_ENV=production, as `pgmend review` runs. Each scripted key goes in through stdin; the time until Ink writes the next
 * frame is its latency. Keys are 100 ms apart, a quick human pace (and past the store's 50 ms render coalescing). Prints one JSON line.
 */

const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const percentile = (values, q) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const peakRssMb = () => round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024);

const COLUMNS = 120;
const ROWS = 40;
const KEY_GAP_MS = 100;

class FakeStdout extends EventEmitter {
  isTTY = true;
  columns = COLUMNS;
  rows = ROWS;
  writes = 0;
  lastWriteAt = 0;
  onWrite = undefined;
  write = () => {
    this.writes++;
    this.lastWriteAt = performance.now();
    this.onWrite?.();
    return true;
  };
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  data = null;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  press(data) {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
}

const K = { down: '\u001B[B', up: '\u001B[A', pgDn: '\u001B[6~', pgUp: '\u001B[5~', enter: '\r', esc: '\u001B', tab: '\t', shiftTab: '\u001B[Z' };

/** Every key changes what is on screen, so each one is answered by a frame. */
const SCRIPT = [
  ...Array.from({ length: 20 }, () => ({ key: 'j', what: 'list: next' })),
  ...Array.from({ length: 10 }, () => ({ key: K.pgDn, what: 'list: page down' })),
  { key: 'G', what: 'list: last' },
  ...Array.from({ length: 5 }, () => ({ key: K.pgUp, what: 'list: page up' })),
  { key: 'g', what: 'list: first' },
  { key: ' ', what: 'list: mark' },
  { key: 'A', what: 'list: mark all' },
  { key: 'A', what: 'list: clear marks' },
  { key: 's', what: 'list: sort by severity' },
  { key: 's', what: 'list: sort by table' },
  { key: 's', what: 'list: plan order' },
  { key: '/', what: 'filter: open' },
  { key: 'C', what: 'filter: type' },
  { key: 'H', what: 'filter: type' },
  { key: 'K', what: 'filter: type' },
  { key: K.enter, what: 'filter: keep' },
  { key: K.esc, what: 'filter: clear' },
  { key: K.enter, what: 'detail: open' },
  ...[1, 2, 3, 4].map(() => ({ key: K.tab, what: 'detail: next pane' })),
  { key: K.shiftTab, what: 'detail: previous pane' },
  { key: K.esc, what: 'detail: back' },
  ...Array.from({ length: 10 }, (_, i) => ({ key: i % 2 ? 'k' : K.down, what: 'list: move' })),
  { key: '?', what: 'help' },
  { key: K.esc, what: 'help: close' },
];

async function main() {
  const planFile = process.argv[2];
  const plan = JSON.parse(await readFile(planFile, 'utf8'));
  const store = createStore(initialState(plan.findings.map((f) => f.finding)));
  const services = engineServices({
    target: resolveTarget('postgresql://bench@127.0.0.1:1/not-used'),
    databaseName: plan.database.name,
    playbooks: await loadPlaybooks(),
    mode: 'window',
    window: parseWindow('00:00-23:59'),
    lockTimeoutMs: 1000,
    lockRetries: 1,
    statementTimeoutMs: 60_000,
    sampleSize: 5,
    exportDir: os.tmpdir(),
    env: { TERM: 'xterm-256color' },
  });
  const controller = new ReviewController(store, services, () => {});
  store.dispatch({ type: 'planDone', plan });
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const t0 = performance.now();
  const firstFrame = new Promise((resolve) => (stdout.onWrite = () => resolve()));
  const instance = render(React.createElement(App, { store, controller, theme: makeTheme({ TERM: 'xterm-256color' }) }), {
    stdout,
    stdin,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await firstFrame;
  const firstFrameMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 300));

  const latencies = [];
  let missed = 0;
  for (const step of SCRIPT) {
    const frame = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(NaN), 2000);
      stdout.onWrite = () => {
        clearTimeout(timer);
        resolve(performance.now());
      };
    });
    const sent = performance.now();
    stdin.press(step.key);
    const at = await frame;
    stdout.onWrite = undefined;
    if (Number.isNaN(at)) missed++;
    else latencies.push({ what: step.what, ms: at - sent });
    await new Promise((r) => setTimeout(r, KEY_GAP_MS));
  }
  const ms = latencies.map((l) => l.ms);
  const worst = [...latencies].sort((a, b) => b.ms - a.ms).slice(0, 3);
  const result = {
    findings: plan.findings.length,
    terminal: `${COLUMNS}x${ROWS}`,
    keys: SCRIPT.length,
    frames: latencies.length,
    missed,
    firstFrameMs: round(firstFrameMs),
    p50Ms: round(percentile(ms, 0.5), 2),
    p95Ms: round(percentile(ms, 0.95), 2),
    maxMs: round(Math.max(...ms), 2),
    worst: worst.map((w) => ({ what: w.what, ms: round(w.ms, 1) })),
    rssMb: round(process.memoryUsage().rss / 2 ** 20, 1),
    peakRssMb: peakRssMb(),
    heapUsedMb: round(process.memoryUsage().heapUsed / 2 ** 20, 1),
  };
  instance.unmount();
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`tui-child: ${e?.stack ?? e}\n`);
  process.exit(1);
});
