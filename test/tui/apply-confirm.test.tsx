import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import { changedRows } from '../../src/tui/screens/apply/batch-lines.js';
import { actorhubDb, actorhubFindings, actorhubPlan, KEYS, liveLines, session, type ActorHubDb, type Session } from './harness.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * The apply confirmation shows the whole batch at 80×24: every finding with the rows it changes
 * and its locks, scrolled with ↑/↓ and PgUp/PgDn while the name is typed, and the total.
 */

let db: ActorHubDb;
let plan: Plan;
let s: Session;

beforeAll(async () => {
  db = await actorhubDb();
  const { findings, playbooks } = await actorhubFindings('findings-resolved.yaml');
  plan = await actorhubPlan(db, findings, playbooks);
  s = session({ db, findings, playbooks, plan, size: { columns: 80, rows: 24 } });
});
afterAll(async () => {
  s?.done();
  await db?.drop();
});

describe('apply confirmation', () => {
  test('the whole batch, scrollable, with rows, locks and the total, at 80×24', async () => {
    await s.press('A', 'a');
    let frame = await s.waitFor((f) => f.includes('Type the database name'), 'the confirmation');
    const ids = s.store.getState().apply!.ids;
    const runnable = plan.findings.filter((f) => f.status === 'ready' || f.status === 'resolved');
    expect(ids).toHaveLength(runnable.length);
    const rows = runnable.reduce((a, f) => a + (changedRows(f) ?? 0), 0);
    expect(rows).toBeGreaterThan(0);
    const steps = runnable.reduce((a, f) => a + flatSteps(f.steps).length, 0);
    expect(frame).toContain(`Total: ${runnable.length} findings · ${steps} steps · ${rows} rows changed, each backed up first`);
    expect(frame).toMatch(/lines 1–\d+ of \d+ · ↑\/↓ PgUp\/PgDn scroll/);
    const live = liveLines(frame, 23);
    expect(live.every((l) => Array.from(l).length <= 80)).toBe(true);
    expect(frame.split('\n').length).toBeLessThanOrEqual(23);
    // A resolved finding says how many rows it changes (the rehearsed count), and its locks.
    const uq = runnable.find((f) => f.id === 'AH-UQ-03')!;
    expect(frame).toMatch(/locks: /);
    // Page down to the end: the last finding shows, and the first scrolled away.
    for (let i = 0; i < 20; i++) await s.press(KEYS.pageDown);
    frame = s.frame();
    expect(frame).toContain(ids.at(-1)!);
    expect(frame).not.toContain(` ${ids[0]} ·`);
    // Scrolling while typing: the typed text is kept.
    await s.type('wrong');
    await s.press(KEYS.up);
    expect(s.frame()).toContain('> wrong');
    // Back to the top: AH-UQ-03's rows are in the batch.
    for (let i = 0; i < 20; i++) await s.press(KEYS.pageUp);
    frame = await s.waitFor((f) => f.includes('lines 1–'), 'the top');
    expect(frame).toContain(` ${ids[0]} ·`);
    const all = s.store.getState().apply!;
    expect(all.ids).toContain(uq.id);
    await s.press(KEYS.esc);
    await s.waitFor((f) => f.includes('cancelled — nothing was changed'), 'cancelled');
  });
});
