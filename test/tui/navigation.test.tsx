import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import pg from 'pg';
import type { Finding } from '../../src/findings/model.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import type { PlaybookSet } from '../../src/playbooks/load.js';
import { applyPlan } from '../../src/engine/apply/apply.js';
import { resolveTarget } from '../../src/db/connection.js';
import { visibleItems } from '../../src/tui/screens/list/list-view.js';
import { adminUrl } from '../support/db.js';
import { actorhubDb, actorhubFindings, actorhubPlan, KEYS, liveLines, openWindow, session, type ActorHubDb, type Session } from './harness.js';

/**
 * Habits of lazygit / k9s users: filter by check kind and status, 1–5 for the detail panes, ]/[ for
 * the next / previous finding, a journal screen with rollback; and a failed connection that says
 * the whole error with retry and quit.
 */

let db: ActorHubDb;
let findings: Finding[];
let playbooks: PlaybookSet;
let plan: Plan;
let dir: string;
let s: Session | undefined;

beforeAll(async () => {
  db = await actorhubDb();
  ({ findings, playbooks } = await actorhubFindings());
  plan = await actorhubPlan(db, findings, playbooks);
  dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-nav-'));
});
afterEach(() => {
  s?.done();
  s = undefined;
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const ids = () => visibleItems(s!.store.getState()).map((i) => i.id);
const withRows = (kind: string) => plan.findings.filter((f) => f.checks.some((c) => c.id === kind && c.rows > 0)).map((f) => f.id);

async function filter(text: string): Promise<void> {
  await s!.press('/');
  await s!.type(text);
  await s!.press(KEYS.enter);
}

describe('filter by check kind and status', () => {
  test('a check kind as a word, kind:/status:/severity: fields, ! to leave out; Esc clears', async () => {
    s = session({ db, findings, playbooks, plan: structuredClone(plan), size: { columns: 80, rows: 24 } });
    const orphans = withRows('orphans');
    expect(orphans.length).toBeGreaterThan(0);
    await filter('orphans');
    expect(ids()).toEqual(orphans);
    expect(s.frame()).toContain(`filter "orphans": ${orphans.length} shown`);
    await s.press(KEYS.esc);
    expect(ids()).toHaveLength(plan.findings.length);

    const blocked = plan.findings.filter((f) => f.status === 'blocked').map((f) => f.id);
    await filter('status:blocked');
    expect(ids()).toEqual(blocked);
    await s.press(KEYS.esc);

    // The unique findings that can run: kind names the playbook too; !status:blocked leaves the blocked out.
    await filter('kind:unique !status:blocked');
    expect(ids()).toEqual(plan.findings.filter((f) => f.playbook === 'unique' && f.status !== 'blocked').map((f) => f.id));
    expect(ids().length).toBeGreaterThan(0);
    await s.press(KEYS.esc);

    await filter('duplicates severity:critical');
    expect(ids()).toEqual(plan.findings.filter((f) => f.severity === 'critical' && f.checks.some((c) => c.id === 'duplicates' && c.rows > 0)).map((f) => f.id));
    // A field pins the word to it: no finding's status is "orphans".
    await s.press(KEYS.esc);
    await filter('status:orphans');
    expect(ids()).toEqual([]);
    expect(s.frame()).toContain('no finding matches the filter — Esc clears it');
  });
});

describe('detail: panes by number, next / previous finding', () => {
  test('1–5 pick the pane; ] and [ walk the filtered list on the same pane, and say where they are', async () => {
    s = session({ db, findings, playbooks, plan: structuredClone(plan), size: { columns: 80, rows: 24 } });
    await filter('kind:foreign-key');
    const fks = ids();
    expect(fks.length).toBeGreaterThan(3);
    await s.press(KEYS.enter);
    await s.waitFor((f) => f.split('\n')[1]!.startsWith(fks[0]!), 'the first detail');
    for (const [key, title] of [['4', 'Steps'], ['2', 'Diff'], ['5', 'Rollback'], ['3', 'Rows'], ['1', 'SQL']] as const) {
      await s.press(key);
      expect(s.frame()).toContain(`[${title}]`);
    }
    await s.press('4', ']');
    let frame = await s.waitFor((f) => f.split('\n')[1]!.startsWith(fks[1]!), 'the next finding');
    expect(frame).toContain('[Steps]');
    expect(frame).toContain(`${fks[1]} · 2 of ${fks.length} (filter "kind:foreign-key")`);
    await s.press(']', ']', '[');
    frame = await s.waitFor((f) => f.split('\n')[1]!.startsWith(fks[2]!), 'two on, one back');
    await s.press('[', '[', '[');
    frame = await s.waitFor((f) => f.includes('this is the first finding'), 'the first finding');
    expect(frame.split('\n')[1]).toMatch(new RegExp(`^${fks[0]}`));
    // Back on the list, the cursor is on the finding last shown.
    await s.press(']', KEYS.esc);
    expect(s.store.getState().cursorId).toBe(fks[1]);
    expect(liveLines(s.frame(), 23).every((l) => Array.from(l).length <= 80)).toBe(true);
  });
});

describe('journal screen', () => {
  test('J lists the runs with their findings and rows changed; R rolls a run back after the typed name', async () => {
    const id = 'AH-UQ-03';
    // A committed run to look at: AH-UQ-03 resolved (delete, keep oldest), applied by the engine.
    const resolved = findings.map((f) => (f.id === id ? { ...f, resolution: { strategy: 'delete' as const, keep: 'oldest' as const } } : f));
    const resolvedPlan = await actorhubPlan(db, resolved.filter((f) => f.id === id), playbooks);
    const result = await applyPlan({ target: db.target, plan: resolvedPlan, playbooks, only: [id], mode: 'window', window: openWindow(), lockTimeoutMs: 1000, lockRetries: 2, snapshotDir: path.join(dir, 'snapshots') });
    expect(result.status).toBe('committed');
    const deleted = result.findings.find((f) => f.id === id)!.deleted!;
    expect(deleted).toBeGreaterThan(0);
    const count = async () => Number((await db.query(`SELECT count(*) AS n FROM subscriptions`)).rows[0].n);
    const after = await count();

    s = session({ db, findings, playbooks, plan: structuredClone(plan), size: { columns: 80, rows: 24 } });
    await s.press('J');
    let frame = await s.waitFor((f) => f.includes(`run #${result.runId}`), 'the journal');
    expect(frame).toMatch(new RegExp(`▸ #${result.runId}\\s+\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+committed\\s+window\\s+1 finding\\s+${deleted} rows`));
    expect(frame).toMatch(new RegExp(`${id}\\s+${deleted} rows deleted`));
    expect(frame).toContain(`R rolls it back`);
    expect(liveLines(frame, 23).every((l) => Array.from(l).length <= 80)).toBe(true);

    // A wrong name cancels; nothing changes.
    await s.press('R');
    await s.waitFor((f) => f.includes(`to roll run #${result.runId} back`), 'the prompt');
    await s.type('nope');
    await s.press(KEYS.enter);
    await s.waitFor((f) => f.includes('cancelled — nothing was changed'), 'cancelled');
    expect(await count()).toBe(after);

    // q is not taken as text while the name is typed, and the exact name rolls it back.
    await s.press('R');
    await s.waitFor((f) => f.includes(`to roll run #${result.runId} back`), 'the prompt');
    await s.type(db.name);
    await s.press(KEYS.enter);
    frame = await s.waitFor((f) => f.includes(`rolled back run ${result.runId}:`), 'the rollback', 60_000);
    expect(frame.replace(/\n/g, ' ')).toMatch(new RegExp(`rolled back run ${result.runId}: \\d+ statements?, ${deleted} rows restored`));
    expect(await count()).toBe(after + deleted);
    const run = (await db.query(`SELECT rolled_back_at FROM pgmend.runs WHERE id = $1`, [result.runId])).rows[0];
    expect(run.rolled_back_at).not.toBeNull();
    frame = await s.waitFor((f) => /▸ #\d+\s+\S+ \S+\s+rolled back/.test(f), 'the run marked rolled back');
    expect(s.quit.called).toBe(false);
    // A second R says it was rolled back already; Esc goes back to the list.
    await s.press('R');
    expect(s.frame()).toContain(`run ${result.runId} was rolled back already`);
    await s.press(KEYS.esc);
    expect(s.store.getState().screen).toBe('list');
  });
});

describe('a failed connection', () => {
  test('the whole error, wrapped at 80 columns, with retry and quit; r plans once the database lets the role in', async () => {
    // A role that may not log in yet (the server answers as for a wrong password), with a name long enough to wrap.
    const role = `${db.name}_reviewer_whose_name_is_long_enough_to_wrap`.slice(0, 63);
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE "${role}" SUPERUSER NOLOGIN PASSWORD 'pw'`);
      const url = new URL(db.url);
      url.username = role;
      url.password = 'pw';
      s = session({ db: { ...db, target: resolveTarget(url.toString()) }, findings, playbooks, size: { columns: 80, rows: 24 } });
      const frame = await s.waitFor((f) => f.includes('tries again'), 'the failed screen', 60_000);
      const error = s.store.getState().loading.error!;
      expect(error).toContain(`authentication failed for user "${role}"`);
      expect(error.length).toBeGreaterThan(80);
      // Every word of the error is on screen (wrapped, not cut), and no finding sits "waiting".
      const live = liveLines(frame, 23);
      expect(live.join('').replace(/\s+/g, '')).toContain(error.replace(/\s+/g, ''));
      expect(live.every((l) => Array.from(l).length <= 80)).toBe(true);
      expect(frame).not.toContain('waiting');
      expect(frame).toContain('✖ could not plan against');
      expect(frame).toMatch(/r retry/);
      // r again, still refused: the same screen; then the role may log in, and r plans.
      await s.press('r');
      await s.waitFor(() => !s!.store.getState().loading.running && s!.store.getState().screen === 'failed', 'the second refusal', 60_000);
      await admin.query(`ALTER ROLE "${role}" LOGIN`);
      await s.press('r');
      await s.waitFor((f) => /\d+ findings: \d+ /.test(f), 'the plan', 180_000);
      expect(s.store.getState().screen).toBe('list');
      expect(s.quit.called).toBe(false);
    } finally {
      s?.done();
      s = undefined;
      await admin.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => {});
      await admin.end();
    }
  });

  test('q quits from the failed screen', async () => {
    const url = new URL(db.url);
    url.pathname = `/${db.name}_missing`;
    s = session({ db: { ...db, target: resolveTarget(url.toString()) }, findings, playbooks, size: { columns: 80, rows: 24 } });
    const frame = await s.waitFor((f) => f.includes('tries again'), 'the failed screen', 60_000);
    expect(frame.replace(/\n/g, ' ')).toContain(`database "${db.name}_missing" does not exist`);
    await s.press('q');
    expect(s.quit.called).toBe(true);
  });
});
