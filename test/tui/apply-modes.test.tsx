import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import type { Mode } from '../../src/engine/plan/plan-model.js';
import { actorhubDb, actorhubFindings, actorhubPlan, KEYS, session, type ActorHubDb, type Session } from './harness.js';

/**
 * The apply screens in both modes say what each really does: window mode's one transaction rolls
 * back whole; online mode commits step by step, so a failure leaves the steps before it committed
 * (journaled, resumable, undone by rollback). The same two findings, the second one's table
 * locked by another session, in each mode — and the database checked against what was said.
 */

const TABLE: Record<string, string> = { 'AH-FK-02': 'api_keys', 'AH-FK-03': 'actor_packs' };

describe.each(['window', 'online'] as Mode[])('%s mode', (mode) => {
  let db: ActorHubDb;
  let s: Session;

  beforeAll(async () => {
    db = await actorhubDb();
    const { findings, playbooks } = await actorhubFindings();
    const plan = await actorhubPlan(db, findings, playbooks, mode);
    s = session({ db, findings, playbooks, plan, mode, lockRetries: 2, size: { columns: 80, rows: 24 } });
  });
  afterAll(async () => {
    s?.done();
    await db?.drop();
  });

  /** ON DELETE rule of a table's foreign key to its parent: 'a' (no action) before the fix, 'c' (cascade) after. */
  const rule = async (table: string) =>
    (await db.query<{ r: string }>(`SELECT confdeltype AS r FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' AND conname LIKE '%_fkey' ORDER BY conname LIMIT 1`, [table])).rows[0]!.r;

  test('the confirmation says what a failure leaves in this mode', async () => {
    for (const id of Object.keys(TABLE)) {
      await s.press('/');
      await s.type(id);
      await s.press(KEYS.enter, ' ', KEYS.esc);
    }
    expect(s.store.getState().marked.sort()).toEqual(Object.keys(TABLE));
    await s.press('a');
    const frame = (await s.waitFor((f) => f.includes('Type the database name'), 'the confirmation')).replace(/\n/g, ' ');
    expect(frame).toContain(`${mode} mode`);
    if (mode === 'window') {
      expect(frame).toContain('Any failure rolls everything back: nothing changes unless every step succeeds.');
    } else {
      expect(frame).not.toContain('rolls everything back');
      expect(frame).toMatch(/Online mode: each step commits on its own\. A failure stops the run; the steps before it stay\s+committed \(journaled\): finish with pgmend apply --resume, or undo with pgmend rollback\./);
    }
  });

  test('a failure on the second finding: the screen says what the database shows', async () => {
    const ids = s.store.getState().apply!.ids;
    expect(ids).toHaveLength(2);
    const [first, second] = ids as [string, string];
    const before = await rule(TABLE[first]!);
    expect(before).toBe('a');
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    let frame: string;
    try {
      // Reads pass (rechecks); the second finding's ALTER TABLE cannot get its lock.
      await blocker.query(`BEGIN; LOCK TABLE ${TABLE[second]} IN EXCLUSIVE MODE`);
      await s.type(db.name);
      await s.press(KEYS.enter);
      // While it runs, quitting is refused, in the words of the mode.
      await s.waitFor((f) => f.includes(mode === 'window' ? 'transaction open' : 'applying step by step'), 'the running apply');
      await s.press('q');
      expect(s.frame()).toContain(mode === 'window' ? 'a transaction is open: quitting is refused' : 'a run is in progress: quitting is refused until its current step ends');
      expect(s.quit.called).toBe(false);
      frame = (await s.waitFor((f) => f.includes('✖ failed'), 'the failure', 60_000)).replace(/\n/g, ' ');
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
    }
    const run = (await db.query<{ id: number; status: string }>(`SELECT id, status FROM pgmend.runs ORDER BY id DESC LIMIT 1`).catch(() => ({ rows: [] as { id: number; status: string }[] }))).rows[0];
    if (mode === 'window') {
      expect(frame).toMatch(/nothing was changed\s+— the transaction rolled back/);
      expect(await rule(TABLE[first]!)).toBe('a');
      expect(run?.status).not.toBe('committed');
    } else {
      // The first finding committed on its own, the run is interrupted, and the screen says so.
      expect(await rule(TABLE[first]!)).toBe('c');
      expect(run).toMatchObject({ status: 'interrupted' });
      expect(frame).not.toContain('nothing was changed');
      expect(frame).toMatch(/the steps before the failure are committed\s+\(online mode commits each step\) — journal\s+run \d+/);
      expect(frame).toMatch(new RegExp(`finish it: pgmend apply --resume ${run!.id} · undo it: pgmend rollback --run\\s+${run!.id}`));
    }
    expect(await rule(TABLE[second]!)).toBe('a');
    // Back to the list: the outcome stays in the scrollback, worded the same way.
    await s.press(KEYS.enter);
    const after = await s.waitFor(() => s.store.getState().screen === 'list', 'the list');
    if (mode === 'window') expect(after).toContain('nothing was changed');
    else expect(after).toContain(`finish it: pgmend apply --resume ${run!.id}`);
  });
});
