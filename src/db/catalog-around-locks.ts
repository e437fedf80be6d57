import type pg from 'pg';
import { loadCatalog, type Catalog, type CatalogScope } from './catalog.js';
import { withSavepoint } from './session.js';

/**
 * The catalog when some table is held ACCESS EXCLUSIVE by another session (a migration, a
 * VACUUM FULL): deparsing that table's definitions has to open it, which would wait (or, with
 * lock_timeout, fail the whole read). So a read that runs out of lock_timeout learns which tables
 * are held and reads again without opening them. Those tables stay known by name (a finding
 * naming them can say it was the lock); what the read left out of them is listed in `unopened`.
 */

export interface CatalogAroundLocks {
  catalog: Catalog;
  /** Tables whose definitions were not read: another session held them. */
  unopened: number[];
}

const ATTEMPTS = 5;

/** Tables (an index counts as its table) other sessions hold ACCESS EXCLUSIVE in this database. */
async function heldExclusive(client: pg.Client): Promise<number[]> {
  const { rows } = await client.query<{ oid: number }>(
    `SELECT DISTINCT coalesce(i.indrelid, l.relation)::int8 AS oid FROM pg_locks l LEFT JOIN pg_index i ON i.indexrelid = l.relation
     WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid()
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows.map((r) => Number(r.oid));
}

/** Runs inside the caller's transaction (a savepoint per attempt). `scope`: as loadCatalog's. */
export async function loadCatalogAroundLocks(client: pg.Client, unopened: number[] = [], scope?: CatalogScope): Promise<CatalogAroundLocks> {
  const skip = new Set(unopened);
  for (let attempt = 1; ; attempt++) {
    try {
      const catalog = await withSavepoint(client, () => loadCatalog(client, [...skip], scope));
      return { catalog, unopened: [...skip] };
    } catch (e) {
      if ((e as { code?: string }).code !== '55P03' || attempt >= ATTEMPTS) throw e;
      const held = await heldExclusive(client);
      if (held.every((oid) => skip.has(oid))) throw e; // not a table lock we can read around
      for (const oid of held) skip.add(oid);
    }
  }
}
