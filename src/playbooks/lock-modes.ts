import { LOCK_MODES, type LockMode } from './model.js';

/** Table lock modes in PostgreSQL's order, weakest first; per-table lock maps and how to combine them. */

export type TableLocks = Record<string, LockMode>;

export const lockRank = (m: LockMode): number => LOCK_MODES.indexOf(m);

export const stronger = (a: LockMode, b: LockMode): LockMode => (lockRank(b) > lockRank(a) ? b : a);

/** The strongest mode of a map; undefined when it locks nothing. */
export function strongestOf(locks: TableLocks): LockMode | undefined {
  return Object.values(locks).reduce<LockMode | undefined>((m, l) => (m === undefined ? l : stronger(m, l)), undefined);
}

/** Adds `mode` on `table`, keeping the stronger of what is there. */
export function addLock(locks: TableLocks, table: string, mode: LockMode): void {
  const had = locks[table];
  locks[table] = had === undefined ? mode : stronger(had, mode);
}

export function mergeLocks(...maps: TableLocks[]): TableLocks {
  const out: TableLocks = {};
  for (const m of maps) for (const [t, mode] of Object.entries(m)) addLock(out, t, mode);
  return out;
}

/** pg_locks.mode (`AccessExclusiveLock`) → `ACCESS EXCLUSIVE`; undefined for non-table modes. */
export function fromPgLocksMode(mode: string): LockMode | undefined {
  const words = mode.replace(/Lock$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
  return (LOCK_MODES as readonly string[]).includes(words) ? (words as LockMode) : undefined;
}

/** LOCK's `mode` number in the parse tree (lockdefs.h: 1 AccessShareLock … 8 AccessExclusiveLock). */
export const fromLockNumber = (n: number | undefined): LockMode => LOCK_MODES[(n ?? 8) - 1] ?? 'ACCESS EXCLUSIVE';

/** Tables where `taken` is stronger than `declared`, or not declared at all. */
export function undeclared(declared: TableLocks, taken: TableLocks): string[] {
  return Object.entries(taken)
    .filter(([t, m]) => declared[t] === undefined || lockRank(m) > lockRank(declared[t]!))
    .map(([t]) => t);
}
