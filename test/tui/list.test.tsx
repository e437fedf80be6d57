import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { statusSummary } from '../../src/export/summary.js';
import { keyCount, visibleItems } from '../../src/tui/screens/list/list-view.js';
import { listViewport } from '../../src/tui/screens/list/ListScreen.js';
import type { Finding } from '../../src/findings/model.js';
import type { PlaybookSet } from '../../src/playbooks/load.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import { actorhubDb, actorhubFindings, actorhubPlan, KEYS, liveLines, session, type ActorHubDb, type Session } from './harness.js';

/** The finding list: first frame, statuses filling in, navigation, filter, sort, marks, help, export, quit. */

let db: ActorHubDb;
let findings: Finding[];
let playbooks: PlaybookSet;
let exportDir: string;
let plan: Plan;
let s: Session | undefined;

beforeAll(async () => {
  db = await actorhubDb();
  ({ findings, playbooks } = await actorhubFindings());
  exportDir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-tui-'));
  plan = await actorhubPlan(db, findings, playbooks);
});
afterEach(() => {
  s?.done();
  s = undefined;
});
afterAll(async () => {
  await db?.drop();
  await rm(exportDir, { recursive: true, force: true });
});

const footerId = (frame: string) => {
  const lines = frame.split('\n');
  // The footer (selected finding) sits above the message line and the key bar.
  return lines.at(-4)!.split(' ')[0];
};

/** A session on a plan the engine already built (the first test watches one being built). */
async function planned(opts: { size?: { columns: number; rows: number } } = {}): Promise<Session> {
  s = session({ db, findings, playbooks, exportDir, plan: structuredClone(plan), ...opts });
  await s.waitFor((f) => /\d+ findings: \d+ /.test(f), 'the plan');
  return s;
}

describe('finding list', () => {
  test('shows the findings from the file at once, spinners while the engine works, then statuses', async () => {
    s = session({ db, findings, playbooks, exportDir });
    const first = s.frame();
    // Before the database answers: ids and titles from the file, a per-finding status in progress.
    expect(first).toContain(findings[0]!.id);
    expect(first).toContain(`${findings.length} findings · `);
    expect(first).toMatch(/checking|connecting/);
    const frame = await s.waitFor((f) => /\d+ findings: \d+ /.test(f), 'the plan', 120_000);
    const plan = s.store.getState().plan!;
    expect(frame).toContain(statusSummary(plan));
    expect(frame).toMatch(/✖ blocked/);
    expect(frame).toMatch(/✔ ready/);
    // The engine's events filled statuses in before the plan was done.
    expect(s.ui.frames.some((f) => /⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏/.test(f) && /✔ ready/.test(f) && /planning|checking/.test(f))).toBe(true);
  });

  test('j/k, arrows, g/G and PgDn move the selection; the footer names it', async () => {
    await planned();
    const order = visibleItems(s!.store.getState()).map((i) => i.id);
    expect(footerId(s!.frame())).toBe(order[0]);
    await s!.press('j', 'j');
    expect(footerId(s!.frame())).toBe(order[2]);
    await s!.press('k', KEYS.down, KEYS.down);
    expect(footerId(s!.frame())).toBe(order[3]);
    await s!.press('G');
    expect(footerId(s!.frame())).toBe(order.at(-1));
    expect(s!.frame()).toContain(`${order.length}/${order.length}`);
    await s!.press('g', KEYS.pageDown);
    // The page is the list's viewport: 30 rows less the spare row, header, message line and key bar.
    const page = listViewport(30 - 1 - 3);
    expect(footerId(s!.frame())).toBe(order[page]);
  });

  test('/ filters by id, title or table as it is typed; Enter keeps it, Esc clears it', async () => {
    await planned();
    await s!.press('/');
    await s!.type('AH-UQ');
    let frame = s!.frame();
    const uq = findings.filter((f) => f.id.startsWith('AH-UQ')).map((f) => f.id);
    for (const id of uq) expect(frame).toContain(id);
    expect(frame).not.toContain('AH-FK-01');
    await s!.press(KEYS.enter);
    frame = s!.frame();
    expect(frame).toContain(`filter "AH-UQ": ${uq.length} shown`);
    await s!.press(KEYS.esc);
    frame = s!.frame();
    expect(frame).toContain('AH-FK-01');
    expect(frame).toContain('filter cleared');
    // A table name matches too.
    await s!.press('/');
    await s!.type('payouts');
    await s!.press(KEYS.enter);
    expect(visibleItems(s!.store.getState()).every((i) => i.table === 'public.payouts' || i.title.includes('payouts'))).toBe(true);
  });

  test('s sorts by severity, then by table', async () => {
    await planned();
    await s!.press('s');
    expect(s!.frame()).toContain('sorted by severity');
    const bySeverity = visibleItems(s!.store.getState());
    const rank = ['critical', 'high', 'medium', 'low'];
    expect(bySeverity.map((i) => rank.indexOf(i.severity))).toEqual([...bySeverity.map((i) => rank.indexOf(i.severity))].sort((a, b) => a - b));
    await s!.press('s');
    const byTable = visibleItems(s!.store.getState()).map((i) => i.table ?? '~');
    expect(byTable).toEqual([...byTable].sort((a, b) => a.localeCompare(b)));
    expect(s!.frame()).toContain('sorted by table');
  });

  test('Space marks findings for the batch, A marks every ready or resolved one', async () => {
    await planned();
    await s!.press(' ', 'j', ' ');
    expect(s!.frame()).toContain('2 marked');
    expect(s!.frame().match(/◉/g)?.length).toBe(2);
    await s!.press('k', ' ');
    expect(s!.frame()).toContain('1 marked');
    await s!.press('A');
    const runnable = s!.store.getState().plan!.findings.filter((f) => f.status === 'ready' || f.status === 'resolved').length;
    expect(s!.frame()).toContain(`${runnable} marked`);
    await s!.press('A');
    expect(s!.frame()).not.toMatch(/\d+ marked/);
  });

  test('? shows the keys of the screen from the keymap; Esc closes it', async () => {
    await planned();
    await s!.press('?');
    let frame = s!.frame();
    expect(frame).toContain('Keys on the list screen');
    expect(frame).toContain('mark / unmark for the batch');
    await s!.press(KEYS.esc);
    frame = s!.frame();
    expect(frame).not.toContain('Keys on the list screen');
    expect(s!.quit.called).toBe(false);
  });

  test('x exports the checklist, the plan JSON and the psql script side by side; a second x never overwrites', async () => {
    await planned();
    await s!.press('x');
    const frame = await s!.waitFor((f) => f.includes('exported checklist, plan JSON and psql script'), 'the export');
    const plan = s!.store.getState().plan!;
    const files = (await readdir(exportDir)).sort();
    expect(files).toHaveLength(3);
    const base = files[0]!.replace(/\.json$/, '');
    expect(base).toMatch(new RegExp(`^pgmend-${db.name}-${plan.id}-\\d{8}T\\d{6}Z$`));
    expect(files).toEqual([`${base}.json`, `${base}.md`, `${base}.sql`]);
    expect(frame).toContain(base);
    const md = await readFile(path.join(exportDir, `${base}.md`), 'utf8');
    expect(md).toContain(`# pgmend execution plan: \`${db.name}\``);
    expect(md).toContain(statusSummary(plan));
    expect(JSON.parse(await readFile(path.join(exportDir, `${base}.json`), 'utf8')).id).toBe(plan.id);
    expect(await readFile(path.join(exportDir, `${base}.sql`), 'utf8')).toContain('\\set ON_ERROR_STOP on');
    // Twice in the same second: the first export stays, the second gets its own names.
    await s!.press('x');
    await s!.waitFor((f) => f.includes('exported checklist'), 'the second export');
    await new Promise((r) => setTimeout(r, 200));
    const after = await readdir(exportDir);
    expect(after).toHaveLength(6);
    expect(await readFile(path.join(exportDir, `${base}.md`), 'utf8')).toBe(md);
    for (const f of after) await rm(path.join(exportDir, f));
  });

  test('q quits; Esc on the list clears the filter, else does nothing (never quits)', async () => {
    await planned();
    await s!.press('/');
    await s!.type('FK');
    await s!.press(KEYS.enter, KEYS.esc);
    expect(s!.quit.called).toBe(false);
    expect(s!.store.getState().filter).toBe('');
    await s!.press(KEYS.esc, KEYS.esc);
    expect(s!.quit.called).toBe(false);
    expect(s!.store.getState().screen).toBe('list');
    await s!.press('q');
    expect(s!.quit.called).toBe(true);
  });

  test('at 80×24 the live area is 23 rows and no row is wider than 80', async () => {
    await planned({ size: { columns: 80, rows: 24 } });
    for (const keys of [[], ['j', 'j', KEYS.enter], [KEYS.tab], [KEYS.tab], [KEYS.esc, '?']]) {
      await s!.press(...keys);
      const live = liveLines(s!.frame(), 23);
      expect(s!.frame().split('\n')).toHaveLength(23);
      expect(live.every((l) => Array.from(l).length <= 80)).toBe(true);
    }
  });

  test('the rows column shows each count whole: the full wording where it fits, else the compact one, never cut', async () => {
    await planned({ size: { columns: 160, rows: 90 } });
    const lines = s!.frame().split('\n');
    const items = visibleItems(s!.store.getState());
    let compacted = 0;
    let seen = 0;
    for (const item of items) {
      const line = lines.find((l) => new RegExp(`\\s${item.id}\\s`).test(l));
      if (!line || !item.plan) continue;
      seen++;
      const full = keyCount(item.plan);
      if (full && line.includes(`${full} `)) continue;
      // "parent deletes reach 1200 rows in total · …" is wider than the column: "cascade 1200 rows".
      expect(line, item.id).toContain(`${keyCount(item.plan, true)} `);
      compacted++;
    }
    expect(seen).toBe(items.length);
    expect(compacted).toBeGreaterThan(0);
    expect(lines.find((l) => /\sAH-FK-05\s/.test(l))).toMatch(/ cascade \d+ rows\s/);
  });
});
