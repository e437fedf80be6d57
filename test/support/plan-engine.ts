import path from 'node:path';
import { buildPlan, PLAN_DEFAULTS, type PlanOptions } from '../../src/engine/plan/plan.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import { resolveTarget } from '../../src/db/connection.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { loadFindingsFile, parseFindingsText } from '../../src/findings/load.js';
import type { Finding } from '../../src/findings/model.js';
import YAML from 'yaml';

/** The engine's plan for a database URL, from a findings file, findings YAML text or finding objects. */

export const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
export const ACTORHUB = path.join(EXAMPLES, 'actorhub');

export type FindingsInput = { file: string } | { yaml: string } | { findings: unknown[] };

export async function loadFindings(input: FindingsInput): Promise<Finding[]> {
  const playbooks = await loadPlaybooks();
  if ('file' in input) return loadFindingsFile(input.file, playbooks);
  const text = 'yaml' in input ? input.yaml : YAML.stringify({ findings: input.findings });
  return parseFindingsText(text, 'findings.yaml', playbooks);
}

export async function planOf(url: string, input: FindingsInput, opts: Partial<Omit<PlanOptions, 'target' | 'findings' | 'playbooks'>> = {}): Promise<Plan> {
  return buildPlan({
    target: resolveTarget(url),
    findings: await loadFindings(input),
    playbooks: await loadPlaybooks(),
    mode: 'window',
    rehearse: true,
    ...PLAN_DEFAULTS,
    ...opts,
  });
}
