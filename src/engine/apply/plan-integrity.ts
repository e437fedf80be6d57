import type { Catalog } from '../../db/catalog.js';
import type { FindingPlan, FlatStep, Plan, PlanStep } from '../plan/plan-model.js';
import { flatSteps } from '../plan/steps.js';
import type { PreparedFinding } from '../plan/prepare.js';
import { findingPlan } from '../plan/plan.js';
import { ONLINE_BATCH } from '../plan/row-changes.js';
import { lockRank, undeclared } from '../../playbooks/lock-modes.js';

/**
 * Apply runs the SQL of the plan it is given, and `apply --plan` reads that plan from a file. The
 * file is data anyone could edit: every statement apply would run (steps, verification, the
 * rollback it journals) must be exactly what the plan's findings render to against the live
 * schema — once the stale check has shown schema and counts unchanged, re-rendering gives the
 * reviewed plan back, statement for statement. Anything else is refused before it runs.
 */

const stepShape = (s: FlatStep) => JSON.stringify([s.sql, s.transactional, s.phase, s.backupTable ?? null]);

/**
 * The plan's locks may be stronger than the rendered ones (rehearsal saw PostgreSQL take more and
 * declared it), never weaker or fewer: apply takes the plan's locks up front.
 */
const locksCover = (plan: PlanStep, rendered: PlanStep) => {
  const have = plan.locks ?? Object.fromEntries(plan.tables.map((t) => [t, plan.lock]));
  return undeclared(have, rendered.locks ?? Object.fromEntries(rendered.tables.map((t) => [t, rendered.lock]))).length === 0 && lockRank(plan.lock) >= lockRank(rendered.lock);
};

/** Where two statements part: a few characters of context, then what the plan file says. */
function whereTheyDiffer(got: string, want: string): string {
  const a = got.replace(/\s+/g, ' ').trim();
  const b = want.replace(/\s+/g, ' ').trim();
  let k = 0;
  while (k < a.length && a[k] === b[k]) k++;
  const from = Math.max(0, k - 20);
  const excerpt = (s: string) => `${from > 0 ? '…' : ''}${s.slice(from, k + 60)}${s.length > k + 60 ? '…' : ''}`;
  return `the plan says "${excerpt(a)}" where the finding renders "${excerpt(b)}"`;
}

export function planDrift(catalog: Catalog, plan: Plan, selected: FindingPlan[], prepared: PreparedFinding[]): string[] {
  const reasons: string[] = [];
  for (const [i, f] of selected.entries()) {
    const expected = findingPlan(catalog, prepared[i]!, f.checks, plan.id, plan.mode === 'online' ? ONLINE_BATCH : undefined);
    if (expected.status === 'error') {
      reasons.push(`${f.id}: ${expected.error}`);
      continue;
    }
    // Statement by statement, as the plan file lists them.
    const [have, wanted] = [flatSteps(f.steps), flatSteps(expected.steps)];
    const n = Math.max(have.length, wanted.length);
    for (let k = 0; k < n; k++) {
      const got = have[k];
      const want = wanted[k];
      if (got && want && stepShape(got) === stepShape(want) && locksCover(got, want)) continue;
      if (got && want && got.sql !== want.sql) reasons.push(`${f.id} step ${k + 1}: ${whereTheyDiffer(got.sql, want.sql)}`);
      else reasons.push(`${f.id} step ${k + 1}: ${!got ? 'missing from the plan' : !want ? 'not a step of the finding' : 'its lock, tables or phase differ from what the finding renders'}`);
      break;
    }
    if (JSON.stringify(f.rollback) !== JSON.stringify(expected.rollback)) reasons.push(`${f.id}: its rollback SQL differs from what the finding renders`);
    if (JSON.stringify(f.verify.map((v) => v.sql)) !== JSON.stringify(expected.verify.map((v) => v.sql))) reasons.push(`${f.id}: its verification SQL differs from what the finding renders`);
  }
  return reasons;
}
