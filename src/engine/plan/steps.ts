import { BACKUP_SCHEMA, verbChanges, type FindingPlan, type FlatStep, type Plan, type PlanStep, type RowChange, type Step } from './plan-model.js';

/**
 * A finding's steps are statements and row changes (a row change one value: plan-model.ts). The
 * plan JSON, the exports, the journal and rehearsal's per-step arrays (rowCounts, observed…) list
 * statements, one after the other: `statements` is the one place that flattens, `fromFlat` the one
 * place that reads such a list back.
 */

export const isRowChange = (s: Step): s is RowChange => 'kind' in s && s.kind === 'row-change';

/** One statement of a finding's steps, at its position in the flat list; `of` and `role` when it belongs to a row change. */
export interface Statement {
  step: FlatStep;
  index: number;
  of?: RowChange;
  role?: 'prepare' | 'backup' | 'change';
}

/** A row change's backup statement as the plan JSON lists it. */
function backupStep(rc: RowChange): FlatStep {
  return { ...rc.backup, backupTable: rc.backupTable, ...(rc.match ? { match: rc.match } : {}), ...(rc.repeat ? { repeat: true } : {}) };
}

/** The statements, in the order they run. */
export function statements(steps: readonly Step[]): Statement[] {
  const out: Statement[] = [];
  for (const s of steps) {
    if (!isRowChange(s)) {
      out.push({ step: s, index: out.length });
      continue;
    }
    for (const p of s.prepare) out.push({ step: p, index: out.length, of: s, role: 'prepare' });
    out.push({ step: backupStep(s), index: out.length, of: s, role: 'backup' });
    out.push({ step: s.change, index: out.length, of: s, role: 'change' });
  }
  return out;
}

export const flatSteps = (steps: readonly Step[]): FlatStep[] => statements(steps).map((s) => s.step);

/** Every statement replaced by `fn(statement, its flat index)`, row changes kept whole. */
export function mapStatements(steps: readonly Step[], fn: (s: PlanStep, index: number) => PlanStep): Step[] {
  let i = 0;
  return steps.map((s) => {
    if (!isRowChange(s)) return fn(s, i++);
    const prepare = s.prepare.map((p) => fn(p, i++));
    const backup = fn(s.backup, i++);
    return { ...s, prepare, backup, change: fn(s.change, i++) };
  });
}

/** The rows a statement changes: a row change's change says it; hand-written SQL by its verb; a backup or its table none. */
export function changesOf(s: Statement): 'delete' | 'update' | undefined {
  if (s.of) return s.role === 'change' ? s.of.changes : undefined;
  return verbChanges(s.step.sql);
}

/** The statements creating a row change's backup schema and table (as row-changes.ts writes them). */
const isBackupStorage = (sql: string, backupTable: string) => sql === `CREATE SCHEMA IF NOT EXISTS ${BACKUP_SCHEMA}` || sql.startsWith(`CREATE TABLE IF NOT EXISTS ${backupTable} (`);

/**
 * A flat statement list (the plan JSON, the journal) read back into steps: a statement naming a
 * backup table and the one after it are a row change, with the statements just before that create
 * its backup storage.
 */
export function fromFlat(flat: readonly FlatStep[]): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < flat.length; i++) {
    const s = flat[i]!;
    const change = flat[i + 1];
    if (s.backupTable === undefined || !change) {
      const { backupTable: _b, repeat: _r, match: _m, ...plain } = s;
      out.push(plain);
      continue;
    }
    const prepare: PlanStep[] = [];
    while (out.length && !isRowChange(out.at(-1)!) && isBackupStorage((out.at(-1) as PlanStep).sql, s.backupTable)) prepare.unshift(out.pop() as PlanStep);
    const { backupTable, repeat, match, ...backup } = s;
    out.push({ kind: 'row-change', phase: s.phase, prepare, backup, change, changes: verbChanges(change.sql) === 'delete' ? 'delete' : 'update', backupTable, ...(match ? { match } : {}), repeat: repeat === true });
    i++;
  }
  return out;
}

/** A plan as the journal (runs.plan) and the snapshot files keep it: steps flat, as the plan JSON lists them. */
export const flatPlan = (plan: Plan) => ({ ...plan, findings: plan.findings.map((f) => ({ ...f, steps: flatSteps(f.steps) })) });

/** A plan kept so (flatPlan), read back. */
export const planFromFlat = (kept: { findings: (Omit<FindingPlan, 'steps'> & { steps: FlatStep[] })[] } & Omit<Plan, 'findings'>): Plan => ({
  ...kept,
  findings: kept.findings.map((f) => ({ ...f, steps: fromFlat(f.steps) })),
});
