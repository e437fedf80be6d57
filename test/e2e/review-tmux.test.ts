import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { actorhubDb, type ActorHubDb } from '../tui/harness.js';
import { ensureBuilt, hasTmux, openTerminal, ROOT, type Terminal } from './tmux.js';

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
  });
  afterAll(async () => {
    term?.kill();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('list → detail with duplicate groups → resolve → typed confirmation → applied, backed up', async () => {
    term = openTerminal(
      ['review', '--db', db.url, '--findings', path.join(ROOT, 'examples/actorhub/findings.yaml'), '--export-dir', dir, '--snapshots', path.join(dir, 'snapshots')],
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
    term = openTerminal(['review', '--db', db.url, '--findings', path.join(ROOT, 'examples/actorhub/findings.yaml')], {
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
    expect(screen).toMatch(/◉ · low\s+AH-FK-01/);
    await t.keys('q');
    await t.waitFor((s) => s.includes('EXIT=0'), 'the exit');
  });
});
