import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDb, type TestDb } from '../support/db.js';
import { ROOT } from '../support/cli.js';

/**
 * The npm package is the product: `npm pack` once, `npm install -g --prefix <tmp>` of the tarball,
 * then every command of the installed `pgmend`, without a terminal — the demos against their own
 * embedded servers, the others against a clone of the ActorHub template on the test server.
 */

let tmp: string;
let bin: string;
let files: string[];
const version = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).version as string;

/** No CI variable (pgmend behaves the same), stdin not a terminal. */
const run = (args: string[], opts: { timeout?: number; tmpdir?: string } = {}) => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(CI|DATABASE_URL|PG\w+)$/.test(k)) env[k] = v;
  if (opts.tmpdir) env.TMPDIR = opts.tmpdir;
  return execa(bin, args, { cwd: tmp, reject: false, stdin: 'ignore', env, timeout: opts.timeout ?? 120_000 });
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pgmend-package-'));
  // Run as root, the demo's server runs as the postgres user, who must be able to enter the prefix.
  await chmod(tmp, 0o755);
  // dist/ is built (npm test builds first): --ignore-scripts skips prepare's rebuild, which would
  // rewrite dist/ under the other test files running the CLI. --json lists the tarball's files.
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT });
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  files = info[0]!.files.map((f) => f.path);
  await execa('npm', ['install', '-g', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', path.join(tmp, 'prefix'), path.join(tmp, info[0]!.filename)], { cwd: tmp });
  bin = path.join(tmp, 'prefix', 'bin', 'pgmend');
}, 300_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the packed package', () => {
  test('holds the build, the playbooks, the examples and their vendored databases with licences, and no tests', () => {
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('playbooks/unique.yaml');
    for (const f of ['pagila/upstream/pagila-data.sql', 'pagila/upstream/LICENSE.txt', 'pagila/upstream/COMMIT', 'chinook/upstream/Chinook_PostgreSql.sql', 'chinook/upstream/LICENSE.md', 'chinook/upstream/COMMIT']) {
      expect(files).toContain(`examples/${f}`);
    }
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
  });

  test('--version prints the version, --help lists every command', async () => {
    const v = await run(['--version']);
    expect(v.exitCode).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const h = await run(['--help']);
    expect(h.exitCode).toBe(0);
    for (const c of ['demo', 'plan', 'apply', 'journal', 'rollback', 'import', 'review']) expect(h.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  test('demo --example runs every example without a terminal: the checklist on stdout, its server gone', async () => {
    const list = await run(['demo', '--list']);
    expect(list.exitCode).toBe(0);
    const examples = list.stdout.trim().split('\n');
    expect(examples).toEqual(expect.arrayContaining(['actorhub', 'pagila', 'chinook']));
    // A TMPDIR of their own: the servers' directories must all be gone afterwards.
    const tmpdir = path.join(tmp, 'tmp');
    await mkdir(tmpdir, { mode: 0o1777 });
    await chmod(tmpdir, 0o1777);
    for (const name of examples) {
      const r = await run(['demo', '--example', name], { timeout: 180_000, tmpdir });
      expect(r.stderr, name).toContain('the review TUI needs a terminal: printed the checklist instead');
      expect(r.exitCode, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout, name).toMatch(new RegExp(`^# pgmend execution plan: \`${name}\``));
    }
    expect(await readdir(tmpdir)).toEqual([]);
  }, 900_000);

  describe('against a database', () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await createTestDb('tpl_actorhub');
    });
    afterAll(() => db?.drop());

    test('import, plan, apply, journal, rollback; review refuses without a terminal', async () => {
      const findings = path.join(ROOT, 'examples/actorhub/findings-resolved.yaml');
      const imp = await run(['import', path.join(ROOT, 'test/seeds/000_41b1b5a0410f4d20.txt')]);
      expect(imp.exitCode).toBe(0);
      expect(imp.stdout).toMatch(/^findings:/m);

      const plan = await run(['plan', '--db', db.url, '--findings', findings, '--format', 'json']);
      expect(plan.exitCode, plan.stderr).toBe(0);
      const ready = (JSON.parse(plan.stdout) as { findings: { id: string; status: string }[] }).findings.filter((f) => f.status === 'ready' || f.status === 'resolved');
      expect(ready.length).toBeGreaterThan(0);

      const now = Date.now();
      const window = `${new Date(now - 60_000).toISOString()}/${new Date(now + 3_600_000).toISOString()}`;
      const apply = await run(['apply', '--db', db.url, '--findings', findings, '--only', ready[0]!.id, '--window', window, '--yes', '--snapshots', path.join(tmp, 'snapshots')]);
      expect(apply.exitCode, apply.stderr).toBe(0);

      const journal = await run(['journal', '--db', db.url, '--format', 'json']);
      expect(journal.exitCode, journal.stderr).toBe(0);
      const runs = (JSON.parse(journal.stdout) as { runs: { id: string }[] }).runs;
      expect(runs).toHaveLength(1);

      const rollback = await run(['rollback', '--db', db.url, '--run', String(runs[0]!.id), '--yes']);
      expect(rollback.exitCode, rollback.stderr).toBe(0);

      const review = await run(['review', '--db', db.url, '--findings', findings]);
      expect(review.exitCode).toBe(2);
      expect(review.stderr).toMatch(/needs an interactive terminal/);
    }, 300_000);
  });
});
