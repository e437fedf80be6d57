import type { Catalog } from '../../db/catalog.js';
import { statementLocks } from '../../playbooks/statement-locks.js';
import { LOCK_MODES, type LockMode } from '../../playbooks/model.js';
import { lockRank, mergeLocks, strongestOf, undeclared, type TableLocks } from '../../playbooks/lock-modes.js';
import type { PlanStep } from './plan-model.js';

/**
 * A step's lock declaration per table: what its playbook declares, completed by what the statement
 * takes by PostgreSQL's rules (statement-locks.ts). Then, after rehearsal, what PostgreSQL was seen
 * to take: a stronger lock or an undeclared table becomes the declaration, and the step says so.
 */

/** `locks` of a step from its own declaration and its SQL; `lock` and `tables` follow from them. */
export function declareStepLocks(catalog: Catalog, step: PlanStep): PlanStep {
  const info = statementLocks(step.sql, catalog);
  const given: TableLocks = step.locks ?? Object.fromEntries(step.tables.map((t) => [t, step.lock]));
  const locks = mergeLocks(given, info.locks);
  return withLocks({ ...step, transactional: step.transactional && info.transactional }, locks, step.lock);
}

function withLocks(step: PlanStep, locks: TableLocks, fallback: LockMode): PlanStep {
  const strongest = strongestOf(locks);
  const sorted = Object.fromEntries(Object.entries(locks).sort(([a], [b]) => a.localeCompare(b))) as TableLocks;
  return { ...step, locks: sorted, lock: strongest ?? fallback, tables: Object.keys(sorted) };
}

const listTables = (ts: string[]) => (ts.length <= 1 ? ts.join('') : `${ts.slice(0, -1).join(', ')} and ${ts[ts.length - 1]}`);
const short = (t: string) => t.replace(/^public\./, '');

/** "declared SHARE on t; PostgreSQL took ACCESS EXCLUSIVE on t and o". */
export function lockNote(declared: TableLocks, observed: TableLocks, tables: string[]): string {
  const byMode = (locks: TableLocks, only?: string[]) => {
    const groups = new Map<LockMode, string[]>();
    for (const [t, m] of Object.entries(locks)) if (!only || only.includes(t)) groups.set(m, [...(groups.get(m) ?? []), short(t)]);
    return [...groups].sort((a, b) => lockRank(b[0]) - lockRank(a[0])).map(([m, ts]) => `${m} on ${listTables(ts.sort())}`).join(', ');
  };
  const said = byMode(declared, tables.filter((t) => declared[t]));
  return `declared ${said || `nothing on ${listTables(tables.map(short).sort())}`}; PostgreSQL took ${byMode(observed, tables)}`;
}

/** Rehearsal's observation of one step folded into its declaration. */
export function applyObserved(step: PlanStep, observed: TableLocks | null | undefined, heldMs: number | null | undefined): PlanStep {
  if (!observed) return { ...step, lockSource: 'rules' };
  const declared = step.locks ?? {};
  const over = undeclared(declared, observed);
  const out: PlanStep = { ...step, observed, lockSource: 'observed', ...(heldMs !== null && heldMs !== undefined ? { heldMs } : {}) };
  if (over.length === 0) return out;
  return { ...withLocks(out, mergeLocks(declared, observed), step.lock), lockNote: lockNote(declared, observed, over) };
}

export const isLockMode = (s: string): s is LockMode => (LOCK_MODES as readonly string[]).includes(s);

/** A step's locks per table, for plans written before `locks` existed: `lock` on each of `tables`. */
export const locksOfStep = (s: PlanStep): TableLocks => s.locks ?? Object.fromEntries(s.tables.map((t) => [t, s.lock]));

/** Per table, the modes the steps take on it, weakest first (steps on no table lock nothing anyone else uses). */
export function tableLockModes(steps: readonly PlanStep[]): Map<string, LockMode[]> {
  const out = new Map<string, LockMode[]>();
  for (const s of steps) {
    for (const [t, m] of Object.entries(locksOfStep(s))) {
      const modes = out.get(t) ?? [];
      if (!modes.includes(m)) modes.push(m);
      out.set(t, modes.sort((a, b) => lockRank(a) - lockRank(b)));
    }
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** `orders: ROW SHARE, SHARE ROW EXCLUSIVE; customers: SHARE ROW EXCLUSIVE` (public. left out). */
export const describeTableLocks = (steps: readonly PlanStep[]): string =>
  [...tableLockModes(steps)].map(([t, modes]) => `${short(t)}: ${modes.join(', ')}`).join('; ');
