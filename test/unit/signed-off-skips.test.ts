import { describe, expect, it } from 'vitest';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { planToPsql } from '../../src/export/psql-script.js';
import { selectFindings } from '../../src/engine/apply/apply.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import { samplePlan } from '../support/sample-plan.js';

/**
 * A reviewer's "skip" sign-off keeps a ready finding out of what the window runs: the checklist,
 * the psql script and a plain `apply`; naming it in --only is the explicit override.
 */

const now = new Date('2025-10-20T09:00:00Z');

function withSkip(id: string): Plan {
  const plan = samplePlan();
  const f = plan.findings.find((x) => x.id === id)!;
  expect(['ready', 'resolved']).toContain(f.status);
  f.finding.review = { status: 'skipped', by: 'Ada', at: '2026-12-03T14:05:00Z', note: 'next quarter' };
  return plan;
}

describe('a finding signed off as skipped', () => {
  const plan = withSkip('AH-FK-01');

  it('runs no step in the psql script, whose header says who skipped it and why', () => {
    const sql = planToPsql(plan, { lockTimeoutMs: 1000, now });
    expect(sql).toContain('--   AH-FK-01: signed off as skipped by Ada: next quarter');
    const live = sql.split('\n').filter((l) => l.trim() && !l.startsWith('--'));
    expect(live.join('\n')).not.toContain('identities_user_id_fkey');
    // Without the sign-off the same plan runs it.
    expect(planToPsql(samplePlan(), { lockTimeoutMs: 1000, now }).split('\n').filter((l) => !l.startsWith('--')).join('\n')).toContain(
      'identities_user_id_fkey',
    );
  });

  it('is left out of the checklist run order, with the reviewer named', () => {
    const md = planToChecklist(plan, { now });
    const order = md.slice(md.indexOf('## Run order'), md.indexOf('\n## ', md.indexOf('## Run order') + 1));
    expect(order).not.toMatch(/Phase \d+ — .*AH-FK-01/);
    expect(order).toContain('`AH-FK-01` signed off as skipped by Ada: next quarter');
  });

  it('is not applied by a plain apply, but is when --only names it', () => {
    expect(selectFindings(unblocked(samplePlan())).selected.map((f) => f.id)).toContain('AH-FK-01');
    expect(selectFindings(unblocked(plan)).selected.map((f) => f.id)).not.toContain('AH-FK-01');
    expect(selectFindings(plan, ['AH-FK-01']).selected.map((f) => f.id)).toEqual(['AH-FK-01']);
  });
});

/** The sample plan has blocked and failed findings, which a plain apply refuses: drop them. */
function unblocked(plan: Plan): Plan {
  return { ...plan, findings: plan.findings.filter((f) => f.status !== 'blocked' && f.status !== 'error') };
}
