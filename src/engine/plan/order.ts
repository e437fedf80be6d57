import { SEVERITIES } from '../../findings/model.js';
import type { FindingPlan } from './plan-model.js';

/**
 * The order fixes run in: by dependency first (keys before checks, counters repaired before the
 * triggers that maintain them, hand-written SQL last), then by severity; file order otherwise.
 */
const KIND_RANK: Record<string, number> = {
  'foreign-key': 1,
  unique: 2,
  'not-null': 3,
  check: 3,
  'allowed-values': 3,
  index: 4,
  counter: 5,
  'state-machine': 6,
  sql: 7,
};

export function orderFindings(findings: FindingPlan[]): FindingPlan[] {
  const rank = (f: FindingPlan) => KIND_RANK[f.playbook] ?? 8;
  const sev = (f: FindingPlan) => SEVERITIES.indexOf(f.severity);
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank(a.f) - rank(b.f) || sev(a.f) - sev(b.f) || a.i - b.i)
    .map((x) => x.f);
}
