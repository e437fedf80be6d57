import type { FindingPlan, Plan, PlanStep, Statement } from '../engine/index.js';
import { isApplicable, isSignedOffSkipped, statements } from '../engine/index.js';

/**
 * The order a plan runs in, shared by the checklist and the psql script so the two never disagree.
 * Every resolution runs first, so rows change before any constraint is checked against them; then
 * the fixes, in the engine's order (it already sorts by dependency, then severity). Consecutive
 * fixes of one kind form a phase — constraints and keys, counters, triggers, custom SQL — so the
 * phases are labels over the plan's order and never reorder it.
 */

export type PhaseKind = 'resolution' | 'constraints' | 'counters' | 'triggers' | 'custom';

/** A statement at its position in the finding's flat step list: rehearsal timings and row counts are indexed by it. */
export type IndexedStep = Statement;

export interface PhaseEntry {
  finding: FindingPlan;
  steps: IndexedStep[];
}

export interface Phase {
  kind: PhaseKind;
  title: string;
  entries: PhaseEntry[];
}

const PHASE_TITLES: Record<PhaseKind, string> = {
  resolution: 'resolve blocking rows',
  constraints: 'constraints and keys',
  counters: 'counters and reconciliation',
  triggers: 'triggers and functions',
  custom: 'custom SQL and other playbooks',
};

const KIND_OF_PLAYBOOK: Record<string, PhaseKind> = {
  'foreign-key': 'constraints',
  unique: 'constraints',
  check: 'constraints',
  'allowed-values': 'constraints',
  'not-null': 'constraints',
  index: 'constraints',
  counter: 'counters',
  'state-machine': 'triggers',
};

export function fixPhaseOf(playbook: string): PhaseKind {
  return KIND_OF_PLAYBOOK[playbook] ?? 'custom';
}

/**
 * Only `ready` and `resolved` findings run; blocked, applied and failed ones never do, nor one a
 * reviewer signed off as skipped (the exports are what the window runs).
 */
export function isRunnable(f: FindingPlan): boolean {
  return isApplicable(f) && !isSignedOffSkipped(f.finding);
}

function stepsOf(f: FindingPlan, phase: PlanStep['phase']): IndexedStep[] {
  return statements(f.steps).filter((s) => s.step.phase === phase);
}

/** The non-empty phases, in execution order. */
export function executionPhases(plan: Plan): Phase[] {
  const runnable = plan.findings.filter(isRunnable);
  const phases: Phase[] = [];
  const resolutions = runnable
    .map((finding) => ({ finding, steps: stepsOf(finding, 'resolution') }))
    .filter((e) => e.steps.length > 0);
  if (resolutions.length) phases.push({ kind: 'resolution', title: PHASE_TITLES.resolution, entries: resolutions });
  let current: Phase | undefined;
  for (const finding of runnable) {
    const kind = fixPhaseOf(finding.playbook);
    if (current?.kind !== kind) {
      current = { kind, title: PHASE_TITLES[kind], entries: [] };
      phases.push(current);
    }
    current.entries.push({ finding, steps: stepsOf(finding, 'fix') });
  }
  return phases;
}
