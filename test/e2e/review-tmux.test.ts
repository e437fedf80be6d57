import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { actorhubDb, type ActorHubDb } from '../tui/harness.js';
import { ensureBuilt, hasTmux, openTerminal, ROOT, type Terminal } from './tmux.js';
import { runCli } from '../support/cli.js';

/**
 * The real `pgmend review` in a real terminal on a real database, driven as a person would:
 * the list appears, a unique finding shows its duplicate rows and groups, the blocked finding is
 * resolved and applied with the typed database name, and the database then holds the unique
 * index and the backup of the deleted rows.
 */

const tmux = hasTmux();
if (!tmux) console.warn('[pgmend e2e] tmux is not installed: skipping the terminal tests (apt-get install tmux)');

describe.skipIf(!tmux)('pgmend review in tmux', () => {
  let db: ActorHubDb;
  let dir: string;
  let term: Terminal | undefined;

  beforeAll(async () => {
    ensureBuilt();
    db = await actorhubDb();
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-e2e-'));
    // The review writes its decisions into the findings file: each test works on its own copy.
    for (const name of ['findings.yaml', 'edit.yaml', 'saved.yaml']) await copyFile(path.join(ROOT, 'examples/actorhub/findings.yaml'), path.join(dir, name));
  });
  afterAll(async () => {
    term?.kill();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('list → detail with duplicate groups → resolve → typed confirmation → applied, backed up', async () => {
    term = openTerminal(
      ['review', '--db', db.url, '--findings', path.join(dir, 'findings.yaml'), '--export-dir', dir, '--snapshots', path.join(dir, 'snapshots')],
      { columns: 100, rows: 30 },
    );
    const t = term;
    // The list appears (ids from the file at once), then the plan's summary.
    await t.waitFor((s) => s.includes('AH-FK-01'), 'the finding list', 10_000);
    let screen = await t.waitFor((s) => /\d+ findings: \d+ blocked/.test(s), 'the plan summary');
    // The whole live area fits: the header is still on the first row, the key bar on the 29th.
    expect(screen.split('\n')[0]).toMatch(/^pgmend review · /);
    expect(screen.split('\n')[28]).toMatch(/\? help · q quit/);

    // The detail of a unique finding: its duplicate rows, by group.
    await t.keys('/');
    await t.type('AH-UQ-03');
    await t.keys('Enter', 'Enter');
    screen = await t.waitFor((s) => s.includes('[Rows]'), 'the detail');
    const { rows } = await db.query<{ id: string; grp: string }>(
      `SELECT id::text, dense_rank() OVER (ORDER BY user_id)::text AS grp FROM subscriptions s
       WHERE status = 'ACTIVE' AND (SELECT count(*) FROM subscriptions t WHERE t.status = 'ACTIVE' AND t.user_id = s.user_id) > 1`,
    );
    const groups = new Set(rows.map((r) => r.grp)).size;
    expect(screen).toContain(`■ duplicates ✖ blocking · ${rows.length} rows in ${groups} duplicate groups`);
    for (const r of rows) expect(screen).toMatch(new RegExp(`^${r.grp}\\s+\\S+…${r.id.slice(-12)}`, 'm'));

    // Resolve: delete, keeping the oldest row of each group; the preview first.
    await t.keys('r');
    screen = await t.waitFor((s) => s.includes('✔ recounted'), 'the resolution preview');
    expect(screen).toContain(`✔ recounted: ${rows.length - groups} rows in public.subscriptions would be deleted`);
    await t.keys('Enter');
    await t.waitFor((s) => s.includes('re-planned: ◆ resolved'), 'the re-plan');

    // Apply with the typed database name.
    await t.keys('a');
    screen = await t.waitFor((s) => s.includes('Type the database name'), 'the confirmation');
    expect(screen).toMatch(/◷ \d+ min left in the window/);
    await t.type(db.name);
    await t.keys('Enter');
    screen = await t.waitFor((s) => s.includes('✔ committed'), 'the commit');
    const run = /journal run (\d+)/.exec(screen)![1];

    // The database holds the unique index and the backup of exactly the deleted rows.
    const index = await db.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_subscription_user_active'`);
    expect(index.rows[0]?.indexdef).toMatch(/CREATE UNIQUE INDEX idx_subscription_user_active ON public\.subscriptions USING btree \(user_id\) WHERE/);
    const backups = await db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'pgmend' AND table_name LIKE 'bk_%_ah_uq_03'`);
    expect(backups.rows).toHaveLength(1);
    const saved = await db.query(`SELECT * FROM pgmend.${backups.rows[0]!.table_name}`);
    expect(saved.rowCount).toBe(rows.length - groups);
    const journal = await db.query(`SELECT status, rows_changed FROM pgmend.runs WHERE id = $1`, [run]);
    expect(journal.rows[0]).toMatchObject({ status: 'committed', rows_changed: rows.length - groups });
    expect(await readdir(path.join(dir, 'snapshots'))).toHaveLength(1);

    // Back to the list, then quit: the process exits 0.
    await t.keys('Enter');
    await t.waitFor((s) => s.includes(`run ${run} committed`), 'the list after apply');
    await t.keys('q');
    await t.waitFor((s) => s.includes('EXIT=0'), 'the exit');
  });

  test('e hands the terminal to $EDITOR and comes back to the same session, re-planned', async () => {
    term?.kill();
    const editor = path.join(dir, 'editor.mjs');
    await writeFile(
      editor,
      `import { readFileSync, writeFileSync } from 'node:fs';\nconst f = process.argv[2];\nwriteFileSync(f, readFileSync(f, 'utf8').replace('severity: critical', 'severity: low'));\n`,
    );
    term = openTerminal(['review', '--db', db.url, '--findings', path.join(dir, 'edit.yaml')], {
      columns: 80,
      rows: 24,
      env: { EDITOR: `${process.execPath} ${editor}` },
    });
    const t = term;
    await t.waitFor((s) => /\d+ findings: \d+ blocked/.test(s), 'the plan');
    await t.keys(' ');
    await t.waitFor((s) => s.includes('1 marked'), 'the mark');
    await t.keys('e');
    const screen = await t.waitFor((s) => s.includes('AH-FK-01 re-planned'), 'the re-plan after the editor');
    // Mounted again on the same state: header on the first row, the mark kept, the edit applied.
    expect(screen.split('\n')[0]).toMatch(/^pgmend review · /);
    expect(screen).toContain('1 marked');
    expect(screen).toMatch(/◉\s+· low\s+AH-FK-01/);
    await t.keys('q');
    await t.waitFor((s) => s.includes('EXIT=0'), 'the exit');
  });

  test('saved work: resolve → quit → reopen shows it resolved and signed off → x → apply --plan of the export applies it', { timeout: 300_000 }, async () => {
    term?.kill();
    const file = path.join(dir, 'saved.yaml');
    const exports = path.join(dir, 'exports');
    const args = ['review', '--db', db.url, '--findings', file, '--export-dir', exports, '--reviewer', 'Ada Lovelace'];
    const orphans = `SELECT count(*)::int AS n FROM audit_logs a WHERE api_key_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = a.api_key_id)`;
    const before = (await db.query<{ n: number }>(orphans)).rows[0]!.n;
    expect(before).toBeGreaterThan(0);

    term = openTerminal(args, { columns: 80, rows: 24 });
    let t = term;
    await t.waitFor((s) => /\d+ findings: \d+ blocked/.test(s), 'the plan', 120_000);
    await t.keys('/');
    await t.type('AH-FK-17');
    await t.keys('Enter', 'r');
    await t.waitFor((s) => s.includes('✔ recounted'), 'the resolution preview');
    await t.keys('Enter');
    await t.waitFor((s) => s.includes('re-planned: ◆ resolved'), 'the re-plan');
    await t.keys('v');
    await t.waitFor((s) => s.includes('approve AH-FK-17:'), 'the note prompt');
    await t.type('orphans point at deleted test keys');
    await t.keys('Enter');
    await t.waitFor((s) => s.includes('AH-FK-17 approved by Ada Lovelace'), 'the sign-off');
    // A stray Esc on the list does not quit; q does, and nothing is lost.
    await t.keys('Escape', 'Escape', 'q');
    await t.waitFor((s) => s.includes('EXIT=0'), 'the exit');
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/ {4}resolution: \{strategy: delete\}\n {4}review: \{status: approved, by: Ada Lovelace, at: \S+, note: orphans point at deleted test keys\}/);
    t.kill();

    // Reopen: resolved and signed off at once.
    term = openTerminal(args, { columns: 80, rows: 24 });
    t = term;
    await t.waitFor((s) => /\d+ findings: \d+ blocked/.test(s), 'the plan again', 120_000);
    await t.keys('/');
    await t.type('AH-FK-17');
    await t.keys('Enter');
    let screen = await t.waitFor((s) => s.includes('filter "AH-FK-17"'), 'the filtered list');
    expect(screen).toMatch(/✓ • medium\s+AH-FK-17\s+◆ resolved/);
    expect(screen).toContain('· approved by Ada');
    await t.keys('x');
    screen = await t.waitFor((s) => s.includes('exported checklist, plan JSON and psql script'), 'the export');
    const files = (await readdir(exports)).sort();
    expect(files.map((f) => path.extname(f))).toEqual(['.json', '.md', '.sql']);
    await t.keys('q');
    await t.waitFor((s) => s.includes('EXIT=0'), 'the exit');

    // The exported plan, applied from the CLI with --ready: AH-FK-17's orphans are deleted (backed up).
    const planFile = path.join(exports, files[0]!);
    const plan = JSON.parse(await readFile(planFile, 'utf8'));
    expect(plan.findings.find((f: { id: string }) => f.id === 'AH-FK-17')).toMatchObject({ status: 'resolved', review: { status: 'approved', by: 'Ada Lovelace' } });
    const r = await runCli(['apply', '--db', db.url, '--plan', planFile, '--only', 'AH-FK-17', '--window', `${new Date(Date.now() - 60_000).toISOString()}/${new Date(Date.now() + 3_600_000).toISOString()}`, '--yes', '--snapshots', path.join(dir, 'snapshots2')]);
    expect(r.stderr + r.stdout).toContain('applied 1 finding(s)');
    expect(r.code).toBe(0);
    expect((await db.query<{ n: number }>(orphans)).rows[0]!.n).toBe(0);
    const journal = await db.query(`SELECT review FROM pgmend.findings WHERE finding_id = 'AH-FK-17' ORDER BY run_id DESC LIMIT 1`);
    expect(journal.rows[0].review).toMatchObject({ status: 'approved', by: 'Ada Lovelace', note: 'orphans point at deleted test keys' });
  });
});
