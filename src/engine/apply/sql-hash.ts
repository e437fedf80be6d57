import { createHash } from 'node:crypto';
import type { FindingPlan } from '../plan/plan-model.js';
import { flatSteps } from '../plan/steps.js';

/** Identifies the SQL a finding runs, so the journal can tell the same fix applied before. */
export function sqlHash(f: Pick<FindingPlan, 'steps'>): string {
  return createHash('sha256').update(flatSteps(f.steps).map((s) => s.sql).join('\n;\n')).digest('hex').slice(0, 16);
}
