import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanEvent } from '../../src/engine/plan/plan.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import { initialState, reduce } from '../../src/tui/state.js';
import { items, keyCount } from '../../src/tui/screens/list/list-view.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { ACTORHUB, loadFindings, planOf } from '../support/plan-engine.js';
import path from 'node:path';

/**
 * Each finding's counts are reported as soon as its tables' scans end — before the samples, the
 * cascade and the rehearsal — and they are the counts the finished plan holds. The review's list
 * shows them while the plan is still being built.
 */
describe('counts reported as each table is read', () => {
  let db: TestDb;
  let plan: Plan;
  const events: PlanEvent[] = [];

  beforeAll(async () => {
    db = await createTestDb('tpl_actorhub');
    plan = await planOf(db.url, { file: path.join(ACTORHUB, 'findings.yaml') }, { onProgress: (e) => events.push(e) });
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('every finding without an error has its counts reported once, before the cascade phase begins', () => {
    const counts = events.flatMap((e, i) => (e.kind === 'counts' ? [{ e, i }] : []));
    const cascadeAt = events.findIndex((e) => e.kind === 'phase' && e.phase === 'cascade');
    const planned = plan.findings.filter((f) => f.status !== 'error');
    expect(counts.map((c) => c.e.id).sort()).toEqual(planned.map((f) => f.id).sort());
    for (const c of counts) expect(c.i).toBeLessThan(cascadeAt);
  });

  it('the reported counts are the plan\'s counts (the cascade comes later)', () => {
    for (const e of events) {
      if (e.kind !== 'counts') continue;
      const f = plan.findings.find((x) => x.id === e.id)!;
      const final = Object.fromEntries(f.checks.filter((c) => c.id !== 'cascade').map((c) => [c.id, [c.rows, c.groups]]));
      expect(Object.fromEntries(e.checks.map((c) => [c.id, [c.rows, c.groups]])), e.id).toEqual(final);
    }
  });

  it('the review list shows a finding\'s count from its counts event, before the plan is done', async () => {
    const findings = await loadFindings({ file: path.join(ACTORHUB, 'findings.yaml') });
    let s = reduce(initialState(findings), { type: 'planStarted' });
    const blocked = plan.findings.find((f) => f.status === 'blocked' && f.checks.some((c) => c.blocking && c.rows > 0))!;
    const event = events.find((e) => e.kind === 'counts' && e.id === blocked.id)!;
    const before = items(s).find((i) => i.id === blocked.id)!;
    expect(before.counted).toBeUndefined();
    s = reduce(s, { type: 'planEvent', event });
    const after = items(s).find((i) => i.id === blocked.id)!;
    expect(keyCount({ checks: after.counted! })).toBe(keyCount(blocked));
    expect(keyCount(blocked)).not.toBe('');
  });
});
