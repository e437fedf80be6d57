import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Finding } from '../../src/findings/model.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import type { PlaybookSet } from '../../src/playbooks/load.js';
import { actorhubDb, actorhubFindings, actorhubPlan, KEYS, session, type ActorHubDb, type Session } from './harness.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/** A finding's detail: rows and groups, cascade tree, SQL, diff with context, steps, rollback, scrolling. */

let db: ActorHubDb;
let findings: Finding[];
let playbooks: PlaybookSet;
let plan: Plan;
let s: Session | undefined;

beforeAll(async () => {
  db = await actorhubDb();
  ({ findings, playbooks } = await actorhubFindings());
  plan = await actorhubPlan(db, findings, playbooks);
});
afterEach(() => {
  s?.done();
  s = undefined;
});
afterAll(async () => {
  await db?.drop();
});

/** Filters the list down to one finding and opens it. */
async function open(id: string, size?: { columns: number; rows: number }): Promise<Session> {
  s = session({ db, findings, playbooks, plan: structuredClone(plan), ...(size ? { size } : {}) });
  await s.press('/');
  await s.type(id);
  await s.press(KEYS.enter, KEYS.enter);
  await s.waitFor((f) => f.split('\n')[1]!.startsWith(id), `the detail of ${id}`);
  return s;
}

describe('finding detail', () => {
  test('a unique finding opens on its duplicate rows, grouped, as they are in the database', async () => {
    const frame = (await open('AH-UQ-03')).frame();
    const { rows } = await db.query<{ id: string; grp: string }>(
      `SELECT id::text, dense_rank() OVER (ORDER BY user_id)::text AS grp FROM subscriptions s
       WHERE status = 'ACTIVE' AND (SELECT count(*) FROM subscriptions t WHERE t.status = 'ACTIVE' AND t.user_id = s.user_id) > 1 ORDER BY user_id, id`,
    );
    const groups = new Set(rows.map((r) => r.grp)).size;
    expect(frame).toContain('[Rows]');
    expect(frame).toContain(`■ duplicates ✖ blocking · ${rows.length} rows in ${groups} duplicate groups`);
    expect(frame).toMatch(/group\s+id\s+user_id\s+status/);
    // Every duplicate row, in its group (ids cut in the middle keep their distinctive end).
    for (const r of rows) expect(frame).toMatch(new RegExp(`^${r.grp}\\s+\\S+…${r.id.slice(-12)}`, 'm'));
    expect(frame).toContain('✖ blocked');
  });

  test('Tab moves through SQL, diff, rows, steps and rollback; Shift-Tab goes back', async () => {
    const f = plan.findings.find((x) => x.id === 'AH-FK-02')!;
    await open('AH-FK-02');
    let frame = s!.frame();
    expect(frame).toContain('[SQL]');
    expect(frame).toContain('-- step 1/1 (fix)');
    expect(frame).toContain('ALTER TABLE public.api_keys DROP CONSTRAINT api_keys_user_id_fkey');
    await s!.press(KEYS.tab);
    frame = s!.frame();
    expect(frame).toContain('[Diff]');
    expect(frame).toContain('3 context lines');
    expect(frame).toContain('+    CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE');
    await s!.press('-', '-', '-');
    frame = s!.frame();
    expect(frame).toContain('0 context lines');
    expect(frame).not.toMatch(/^ {5}CONSTRAINT api_keys_pkey/m);
    await s!.press('+');
    expect(s!.frame()).toMatch(/^ {5}CONSTRAINT api_keys_pkey PRIMARY KEY \(id\),$/m);
    await s!.press(KEYS.tab);
    frame = s!.frame();
    expect(frame).toContain('[Rows]');
    const cascade = f.checks.find((c) => c.id === 'cascade')!;
    expect(frame).toContain(`parent deletes reach ${cascade.rows} rows in total`);
    expect(frame).toMatch(/[├└]─ api_keys ✂ deletes · \d+ rows, ≤\d+ per parent/);
    await s!.press(KEYS.tab);
    frame = s!.frame();
    expect(frame).toContain('[Steps]');
    expect(frame).toContain(`lock ${flatSteps(f.steps)[0]!.lock} on public.api_keys, public.users`);
    // Answered by the key it replaces unless another session committed meanwhile (answered-validation.ts).
    expect(frame).toMatch(/fix · rehearsed ([\d.]+ (ms|s), 0 rows|NOT VALID [\d.]+ (ms|s): validation answered from the catalog)/);
    await s!.press(KEYS.tab);
    frame = s!.frame();
    expect(frame).toContain('[Rollback]');
    expect(frame).toContain(f.rollback[0]!.slice(0, 60));
    await s!.press(KEYS.shiftTab);
    expect(s!.frame()).toContain('[Steps]');
  });

  test('the steps pane says which validation a precheck count answered, and why another ran in full', async () => {
    // Whether a live window plan answers depends on other sessions' commits (answered-validation.ts): set here, as the engine sets it.
    const withAnswers = structuredClone(plan);
    const ck = withAnswers.findings.find((f) => f.id === 'AH-CHK-10')!;
    ck.rehearsal = { ...ck.rehearsal!, ok: true, answered: [{ step: 0, check: 'violations', rows: 0, form: 'not-valid' }] };
    const fk = withAnswers.findings.find((f) => f.id === 'AH-FK-02')!;
    fk.rehearsal = { ...fk.rehearsal!, ok: true, answered: undefined, inFull: [{ step: 0, why: 'foreign key api_keys_user_id_fkey on public.api_keys has 2 of its 4 triggers not enabled' }] };
    const fk3 = withAnswers.findings.find((f) => f.id === 'AH-FK-03')!;
    const by = fk3.checks.find((c) => c.id === 'orphans')!.answeredBy!;
    fk3.rehearsal = { ...fk3.rehearsal!, ok: true, inFull: undefined, answered: [{ step: 0, check: 'orphans', rows: 0, form: 'not-valid', answeredBy: by }] };
    const stepsOf = async (id: string) => {
      s?.done();
      s = session({ db, findings, playbooks, plan: structuredClone(withAnswers), size: { columns: 200, rows: 40 } });
      await s.press('/');
      await s.type(id);
      await s.press(KEYS.enter, KEYS.enter);
      await s.waitFor((f) => f.split('\n')[1]!.startsWith(id), `the detail of ${id}`);
      for (let i = 0; i < 5 && !s.frame().includes('[Steps]'); i++) await s.press(KEYS.tab);
      return s.frame().replace(/\s+/g, ' ');
    };
    expect(await stepsOf('AH-CHK-10')).toMatch(/fix · rehearsed NOT VALID [\d.]+ (ms|s): validation answered by the precheck count: 0 violations in the plan's snapshot, no transaction committed since/);
    expect(await stepsOf('AH-FK-02')).toMatch(/fix · rehearsed [\d.]+ (ms|s), 0 rows; validated in full: foreign key api_keys_user_id_fkey on public\.api_keys has 2 of its 4 triggers not enabled/);
    expect(await stepsOf('AH-FK-03')).toMatch(new RegExp(`fix · rehearsed NOT VALID [\\d.]+ (ms|s): validation answered from the catalog: foreign key ${by.object} on ${by.table.replace('.', '\\.')}`));
  });

  test('a long pane scrolls with j/k, PgDn/PgUp and g/G, and says where it is', async () => {
    await open('AH-SQL-13', { columns: 80, rows: 24 });
    let frame = s!.frame();
    const total = Number(/lines 1–\d+ of (\d+)/.exec(frame)![1]);
    expect(total).toBeGreaterThan(40);
    await s!.press('j', 'j');
    expect(s!.frame()).toMatch(/lines 3–\d+ of/);
    await s!.press('G');
    frame = s!.frame();
    expect(frame).toMatch(new RegExp(`lines \\d+–${total} of ${total}`));
    await s!.press(KEYS.pageUp);
    expect(s!.frame()).not.toMatch(new RegExp(`–${total} of`));
    await s!.press('g');
    expect(s!.frame()).toMatch(/lines 1–/);
  });

  test('Esc goes back to the list (it does not quit from a detail)', async () => {
    await open('AH-UQ-01');
    await s!.press(KEYS.esc);
    const frame = s!.frame();
    expect(frame).toMatch(/\d+ findings: /);
    expect(s!.quit.called).toBe(false);
    expect(s!.store.getState().screen).toBe('list');
  });

  test('Space marks from the detail too; ? lists the detail keys', async () => {
    await open('AH-FK-03');
    await s!.press(' ');
    expect(s!.frame().split('\n')[1]).toMatch(/^AH-FK-03 ‼ critical  ✔ ready  ◉ marked  foreign-key/);
    await s!.press('?');
    expect(s!.frame()).toContain('Keys on the detail screen');
    expect(s!.frame()).toContain('next pane: SQL, diff, rows, steps, rollback');
  });
});
