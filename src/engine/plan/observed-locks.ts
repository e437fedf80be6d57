import type pg from 'pg';
import type { Catalog } from '../../db/catalog.js';
import type { LockMode } from '../../playbooks/model.js';
import { addLock, fromPgLocksMode, type TableLocks } from '../../playbooks/lock-modes.js';

/**
 * The relation locks this session holds now, from pg_locks (own backend, this database, granted),
 * per table as the plan names them: an index's lock counts on its table, a TOAST table's on its
 * owner, a view's on the view. System catalogs, sequences and relations the catalog does not know
 * (created in this transaction: nobody else can wait for them) are left out. Locks are held to the
 * end of the transaction (or savepoint), so what a step took is what is held after it that was
 * not held before.
 */

export type HeldLocks = Map<string, Set<LockMode>>;

const HELD_SQL = `SELECT l.relation::int8 AS oid, l.mode,
    (SELECT i.indrelid::int8 FROM pg_index i WHERE i.indexrelid = l.relation) AS index_of,
    (SELECT o.oid::int8 FROM pg_class o WHERE o.reltoastrelid = l.relation) AS toast_of
  FROM pg_locks l
  WHERE l.locktype = 'relation' AND l.granted AND l.pid = pg_backend_pid() AND l.relation >= 16384 -- not the system catalogs a read locks (FirstNormalObjectId)
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

export async function heldLocks(client: pg.Client, catalog: Catalog): Promise<HeldLocks> {
  const names = new Map<number, string>([...catalog.tables.map((t) => [t.oid, t.qualified] as const), ...(catalog.views ?? []).map((v) => [v.oid, v.qualified] as const)]);
  const known = new Set(catalog.indexes.map((i) => i.oid));
  const { rows } = await client.query<{ oid: string | number; mode: string; index_of: string | number | null; toast_of: string | number | null }>(HELD_SQL);
  const held: HeldLocks = new Map();
  for (const r of rows) {
    const mode = fromPgLocksMode(r.mode);
    // An index counts on its table only when it existed before (a new index's own lock blocks no one).
    const indexOf = r.index_of !== null && known.has(Number(r.oid)) ? Number(r.index_of) : -1;
    const name = names.get(Number(r.oid)) ?? names.get(indexOf) ?? names.get(Number(r.toast_of ?? -1));
    if (!mode || !name) continue;
    held.set(name, (held.get(name) ?? new Set()).add(mode));
  }
  return held;
}

/** What was taken between two readings: per table, the strongest mode held after and not before. */
export function takenBetween(before: HeldLocks, after: HeldLocks): TableLocks {
  const taken: TableLocks = {};
  for (const [table, modes] of after) for (const m of modes) if (!before.get(table)?.has(m)) addLock(taken, table, m);
  return taken;
}
