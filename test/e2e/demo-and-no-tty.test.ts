import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execa } from 'execa';
import path from 'node:path';
import { CLI, ensureBuilt, hasTmux, openTerminal, ROOT, type Terminal } from './tmux.js';

/**
 * `pgmend demo` opens the TUI on the ActorHub demo in a terminal quickly (the list is drawn while
 * the embedded server starts), and prints the checklist without one. `pgmend review` without a
 * terminal says so in one line and exits 2.
 */

const cleanEnv = () => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(CI|CONTINUOUS_INTEGRATION)$/.test(k)) env[k] = v;
  return env;
};

beforeAll(() => ensureBuilt());

describe('without a terminal', () => {
  test('review: one line pointing to plan and apply --yes, exit 2', async () => {
    const r = await execa(process.execPath, [CLI, 'review', '--db', 'postgresql://nobody@127.0.0.1:1/none', '--findings', 'examples/actorhub/findings.yaml'], {
      cwd: ROOT,
      reject: false,
      stdin: 'pipe',
      env: cleanEnv(),
    });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^pgmend: pgmend review needs an interactive terminal — use pgmend plan for the checklist and pgmend apply --yes to apply without one$/m);
  });

  test('demo: prints the checklist and says the TUI needs a terminal, exit 0', async () => {
    const r = await execa(process.execPath, [CLI, 'demo'], { cwd: ROOT, reject: false, stdin: 'pipe', env: cleanEnv(), timeout: 120_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^# pgmend execution plan: `actorhub`/);
    expect(r.stderr).toContain('the review TUI needs a terminal: printed the checklist instead');
  }, 120_000);
});

describe.skipIf(!hasTmux())('pgmend demo in a terminal', () => {
  let term: Terminal | undefined;
  afterAll(() => term?.kill());

  test('opens the TUI on the ActorHub findings within 5 s, plans them, and quits cleanly', async () => {
    const started = Date.now();
    term = openTerminal(['demo'], { columns: 80, rows: 24 });
    const screen = await term.waitFor((s) => s.includes('AH-FK-01') && s.startsWith('pgmend review'), 'the TUI', 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(screen).toMatch(/starting embedded PostgreSQL|loading the actorhub example|findings ·|findings:/);
    await term.waitFor((s) => /\d+ findings: \d+ blocked/.test(s), 'the plan', 90_000);
    await term.keys('q');
    await term.waitFor((s) => s.includes('EXIT=0'), 'the exit (server stopped)', 30_000);
    expect(path.basename(CLI)).toBe('main.js');
  }, 150_000);
});
