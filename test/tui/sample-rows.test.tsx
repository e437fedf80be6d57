import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadFindingsFile } from '../../src/findings/load.js';
import type { PlaybookSet } from '../../src/playbooks/load.js';
import { actorhubDb, actorhubFindings, KEYS, liveLines, session, type ActorHubDb, type Session } from './harness.js';

/**
 * Sample rows at 80×24 on the real ActorHub rows: scrolled sideways to `created_at` (the key
 * column stays), columns hidden and shown again with the chooser; the resolve screen ranks each
 * duplicate group with the column that orders it, warns that subscriptions' uuid key is random,
 * `t` orders by created_at instead — and that choice is what the findings file keeps.
 */

let db: ActorHubDb;
let playbooks: PlaybookSet;
let dir: string;
let file: string;
let s: Session | undefined;

const SIZE = { columns: 80, rows: 24 };

beforeAll(async () => {
  db = await actorhubDb();
  // In the demo data the newer duplicate also has the larger uuid; make one group disagree, so
  // ordering by the key and by created_at keep different rows.
  await db.query(`
    UPDATE subscriptions SET created_at = '2023-01-01' WHERE id = (
      SELECT id FROM subscriptions WHERE status = 'ACTIVE' AND user_id = (
        SELECT user_id FROM subscriptions WHERE status = 'ACTIVE' GROUP BY user_id HAVING count(*) > 1 ORDER BY user_id LIMIT 1)
      ORDER BY id DESC LIMIT 1)`);
  const all = await actorhubFindings();
  playbooks = all.playbooks;
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-sample-rows-'));
  file = path.join(dir, 'findings.yaml');
  const text = YAML.stringify({ findings: all.findings.filter((f) => ['AH-UQ-03', 'AH-UQ-05', 'AH-FK-01'].includes(f.id)).map((f) => ({ id: f.id, title: f.title, severity: f.severity, playbook: f.playbook, params: f.params })) });
  await writeFile(file, text);
  s = session({ db, findings: await loadFindingsFile(file, playbooks), playbooks, exportDir: dir, findingsFile: file, size: SIZE });
  await s.waitFor((f) => /3 findings: /.test(f), 'the plan', 120_000);
}, 180_000);
afterAll(async () => {
  s?.done();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const live = () => liveLines(s!.frame(), SIZE.rows - 1);

async function openFinding(id: string): Promise<void> {
  await s!.press('/');
  await s!.type(id);
  await s!.press(KEYS.enter, KEYS.enter);
  await s!.waitFor((f) => f.split('\n')[1]!.startsWith(id), `the detail of ${id}`);
}

/** The header row of the first sample table on screen. */
const tableHeader = () => live().find((l) => /^group\s/.test(l)) ?? '';

describe('sample rows at 80×24', { timeout: 120_000 }, () => {
  test('the list fits 80 columns: the rows column never runs into the title, the title is cut with …', async () => {
    const rows = live().filter((l) => /(critical|high|medium|low)\s+AH-(UQ|FK)-0\d/.test(l));
    expect(rows).toHaveLength(3);
    for (const l of rows) {
      expect(Array.from(l).length).toBeLessThanOrEqual(80);
      // "cascade 313 rows", "6 rows in 3 groups": a space (at least) before the title starts.
      expect(l).toMatch(/(cascade \d+ rows|\d+ rows in \d+ groups)\s+\S/);
      expect(l).not.toMatch(/(rows|groups)[^\s…]/);
    }
    expect(rows.some((l) => l.endsWith('…'))).toBe(true);
  });

  test('→ scrolls the columns sideways with the key pinned, to created_at; ← back', async () => {
    await openFinding('AH-UQ-03');
    expect(tableHeader()).toMatch(/^group\s+id\s+user_id\s+status/);
    expect(live().join('\n')).toMatch(/\+\d+ more columns \(←\/→ scroll · c choose\): stripe_subscription_id/);
    expect(tableHeader()).not.toContain('created_at');
    let presses = 0;
    while (!tableHeader().includes('created_at') && presses < 20) {
      await s!.press(KEYS.right);
      presses++;
    }
    expect(tableHeader()).toMatch(/^group\s+id\s+.*created_at/);
    expect(live().join('\n')).toMatch(new RegExp(`◂ ${presses} columns left`));
    // The created_at cells are the real rows' (timestamps without milliseconds), every line within 80 columns.
    expect(live().join('\n')).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
    expect(live().every((l) => Array.from(l).length <= 80)).toBe(true);
    for (let i = 0; i < presses; i++) await s!.press('<');
    expect(tableHeader()).toMatch(/^group\s+id\s+user_id\s+status/);
  });

  test('c chooses the columns: hidden ones leave the table (per table), Space again shows them', async () => {
    await s!.press('c');
    await s!.waitFor((f) => f.includes('Columns of public.subscriptions in sample rows'), 'the chooser');
    // Hide user_id, plan, status (the 2nd to 4th columns, in table order).
    await s!.press(KEYS.down, ' ', KEYS.down, ' ', KEYS.down, ' ');
    expect(live().filter((l) => /^\s*[▸ ] · /.test(l)).map((l) => l.replace(/^.*· /, ''))).toEqual(['user_id', 'plan', 'status']);
    await s!.press(KEYS.enter);
    await s!.waitFor((f) => !f.includes('Columns of public.subscriptions'), 'the chooser closed');
    expect(tableHeader()).toMatch(/^group\s+id\s+stripe_subscription_id/);
    expect(live().join('\n')).toMatch(/3 hidden · \+\d+ more columns/);
    // Another table's samples are not affected; coming back keeps the choice.
    expect(s!.store.getState().columns.hidden).toEqual({ 'public.subscriptions': ['user_id', 'plan', 'status'] });
    await s!.press('c', KEYS.down, ' ', KEYS.down, ' ', KEYS.down, ' ', KEYS.esc);
    expect(tableHeader()).toMatch(/^group\s+id\s+user_id\s+status/);
  });

  test('resolve: each group ranked with its ordering column, the random-uuid warning, t orders by created_at, saved', async () => {
    const { rows } = await db.query<{ id: string }>(
      `SELECT id::text FROM (SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY created_at, id) AS n FROM subscriptions WHERE status = 'ACTIVE') d WHERE n > 1 ORDER BY id`,
    );
    const { rows: byId } = await db.query<{ id: string }>(
      `SELECT id::text FROM (SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY id) AS n FROM subscriptions WHERE status = 'ACTIVE') d WHERE n > 1 ORDER BY id`,
    );
    await s!.press('r');
    let frame = await s!.waitFor((f) => f.includes('✔ recounted'), 'the preview');
    expect(frame).toContain('‹primary key (id)›');
    expect(frame).toMatch(/⚠ keep oldest by id orders by a random uuid: this order means nothing — t: order\s+by created_at/);
    expect(frame).toMatch(/group\s+row\s+id ↑/);
    expect(frame).toMatch(/✔ keep /);
    expect(frame).toMatch(/✖ delete /);
    await s!.press('t');
    frame = await s!.waitFor((f) => f.includes('‹created_at›') && /group\s+row\s+created_at ↑\s+id/.test(f), 'ordered by created_at');
    expect(frame).not.toContain('this order means nothing');
    expect(frame).toContain('each group by created_at (then id), the row kept first');
    // The rows deleted are the newer ones by created_at — the real ones, not those the uuid order picks.
    const deleted = liveLines(frame, 23).filter((l) => / ✖ delete /.test(l)).map((l) => l.match(/[0-9a-f]{8}-[0-9a-f]{4}…[0-9a-f]{12}/)![0]);
    expect(deleted).toEqual(rows.map((r) => `${r.id.slice(0, 13)}…${r.id.slice(-12)}`));
    expect(rows.map((r) => r.id)).not.toEqual(byId.map((r) => r.id));
    await s!.press(KEYS.enter);
    await s!.waitFor((f) => f.includes('re-planned: ◆ resolved'), 'the re-plan');
    const saved = YAML.parse(await readFile(file, 'utf8')) as { findings: { id: string; resolution?: unknown }[] };
    expect(saved.findings.find((f) => f.id === 'AH-UQ-03')!.resolution).toEqual({ strategy: 'delete', keep: 'oldest', orderBy: 'created_at' });
    // The detail keeps showing the ranked groups of the chosen resolution.
    expect(s!.frame()).toMatch(/keeps the oldest row of each group by created_at \(then id\) ↑/);
  });
});
