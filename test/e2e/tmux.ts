import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Drives a real terminal: a private tmux server (its own socket, so nothing else is touched),
 * keys sent one at a time like a person types, the screen read back with capture-pane.
 */

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'dist/cli/main.js');

export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

/** `npm test` builds first; a direct vitest run builds here if dist is missing. */
export function ensureBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist/tui/session.js')) || !existsSync(CLI)) {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Terminal {
  screen(): string;
  keys(...keys: string[]): Promise<void>;
  type(text: string): Promise<void>;
  waitFor(test: (screen: string) => boolean, what: string, ms?: number): Promise<string>;
  kill(): void;
}

/** Starts `args` (node dist/cli/main.js …) in a fresh terminal of `columns`×`rows`, with a clean env (no CI). */
export function openTerminal(args: string[], opts: { columns: number; rows: number; cwd?: string; env?: Record<string, string> }): Terminal {
  const socket = `pgmend-e2e-${randomBytes(4).toString('hex')}`;
  const tmux = (...a: string[]) => execFileSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    ...opts.env,
  };
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const envArgs = Object.entries(env).map(([k, v]) => quote(`${k}=${v}`));
  // After the program exits, its exit code stays on screen for the test to read.
  const command = `cd ${quote(opts.cwd ?? ROOT)} && env -i ${envArgs.join(' ')} ${quote(process.execPath)} ${[CLI, ...args].map(quote).join(' ')}; echo "EXIT=$?"; sleep 600`;
  tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'e2e', '-x', String(opts.columns), '-y', String(opts.rows), command);
  const t: Terminal = {
    screen: () => tmux('capture-pane', '-p', '-t', 'e2e'),
    async keys(...keys) {
      for (const k of keys) {
        tmux('send-keys', '-t', 'e2e', k);
        await sleep(60);
      }
    },
    async type(text) {
      for (const ch of text) {
        tmux('send-keys', '-t', 'e2e', '-l', ch);
        await sleep(30);
      }
      await sleep(60);
    },
    async waitFor(test, what, ms = 30_000) {
      const until = Date.now() + ms;
      for (;;) {
        const s = t.screen();
        if (test(s)) return s;
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
        await sleep(100);
      }
    },
    kill() {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
    },
  };
  return t;
}
