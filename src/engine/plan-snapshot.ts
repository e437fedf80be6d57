import type pg from 'pg';
import { loadCatalog, type Catalog } from '../db/catalog.js';
import { PgmendError } from '../util/errors.js';

/**
 * The plan reads one REPEATABLE READ snapshot, and must not wait for a lock inside it: a read that
 * waits behind another session (an apply holding ACCESS EXCLUSIVE until its COMMIT) is granted the
 * lock after that session committed, yet still reads the data as of the snapshot — from before the
 * commit — while schema lookups (pg_get_indexdef…) see after it: a plan of two states.
 *
 * So the locks come before the snapshot. The catalog is read first, in a transaction of its own
 * (waiting there is harmless); then the plan's transaction takes ACCESS SHARE on every table the
 * findings name — waiting if it must, as no snapshot exists yet — and only then reads: a small
 * query of the tables' catalog rows (their xmin) says whether the schema changed since the
 * catalog was read; if it did, the catalog is read again, now under the locks. The locks also keep
 * DDL off the tables while the prechecks run.
 */

const ATTEMPTS = 5;

export interface SnapshotOptions {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/** Begins the plan's snapshot; `tablesOf` prepares the findings and names the tables (quoted, qualified) they read. */
export async function beginPlanSnapshot(client: pg.Client, opts: SnapshotOptions, tablesOf: (catalog: Catalog) => string[]): Promise<Catalog> {
  const settings = async () => {
    await client.query(`SET LOCAL statement_timeout = ${Math.round(opts.statementTimeoutMs)}`);
    await client.query(`SET LOCAL lock_timeout = ${Math.round(opts.lockTimeoutMs)}`);
  };
  const readCatalog = () =>
    inTransaction(client, opts, async () => {
      await settings();
      const catalog = await loadCatalog(client);
      const tables = tablesOf(catalog);
      return { catalog, tables, version: await schemaVersion(client, oidsOf(catalog, tables)) };
    });
  let read = await readCatalog();
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await settings();
      await lockTables(client, read.tables);
      // The snapshot is taken here, after the locks.
      if ((await schemaVersion(client, oidsOf(read.catalog, read.tables))) !== read.version) {
        const catalog = await loadCatalog(client);
        const tables = tablesOf(catalog);
        if (tables.some((t) => !read.tables.includes(t))) {
          // A finding now names a table not locked: lock it too, in a new snapshot.
          read = { catalog, tables: [...new Set([...read.tables, ...tables])], version: '' };
          await client.query('ROLLBACK');
          continue;
        }
        read = { ...read, catalog };
      }
      await client.query('SAVEPOINT pgmend_precheck');
      return read.catalog;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      if ((e as { code?: string }).code === '55P03') throw await lockedError(client, opts.lockTimeoutMs);
      if ((e as { code?: string }).code !== '42P01') throw e;
      // A table was dropped since the catalog was read: read it again.
      read = await readCatalog();
    }
  }
  throw new PgmendError('cannot read the schema: the tables of the findings kept changing while it was read', 1, 'retry once the schema changes have finished');
}

async function inTransaction<T>(client: pg.Client, opts: SnapshotOptions, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const out = await fn();
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    if ((e as { code?: string }).code === '55P03') throw await lockedError(client, opts.lockTimeoutMs);
    throw e;
  }
}

function oidsOf(catalog: Catalog, tables: string[]): number[] {
  const wanted = new Set(tables);
  return catalog.tables.filter((t) => wanted.has(t.qualified)).map((t) => t.oid);
}

/** The versions (xmin) of the tables' catalog rows: columns, constraints either side, indexes, triggers. */
async function schemaVersion(client: pg.Client, oids: number[]): Promise<string> {
  const { rows } = await client.query<{ v: string | null }>(
    `SELECT md5(string_agg(v, ',' ORDER BY v)) AS v FROM (
       SELECT 'c' || oid || ':' || xmin AS v FROM pg_class WHERE oid = ANY($1)
       UNION ALL SELECT 'a' || attrelid || '.' || attnum || ':' || xmin FROM pg_attribute WHERE attrelid = ANY($1)
       UNION ALL SELECT 'k' || oid || ':' || xmin FROM pg_constraint WHERE conrelid = ANY($1) OR confrelid = ANY($1)
       UNION ALL SELECT 'i' || indexrelid || ':' || xmin FROM pg_index WHERE indrelid = ANY($1)
       UNION ALL SELECT 't' || oid || ':' || xmin FROM pg_trigger WHERE tgrelid = ANY($1)) AS rows`,
    [oids],
  );
  return rows[0]?.v ?? '';
}

/** ACCESS SHARE on the plan's tables; a table the role may not lock is simply read unlocked. */
async function lockTables(client: pg.Client, tables: string[]): Promise<void> {
  if (tables.length === 0) return;
  await client.query('SAVEPOINT pgmend_lock');
  try {
    await client.query(`LOCK TABLE ${[...new Set(tables)].sort().join(', ')} IN ACCESS SHARE MODE`);
  } catch (e) {
    if ((e as { code?: string }).code !== '42501') throw e;
    await client.query('ROLLBACK TO SAVEPOINT pgmend_lock');
  }
}

/** lock_timeout ran out: name the tables other sessions hold ACCESS EXCLUSIVE. */
async function lockedError(client: pg.Client, lockTimeoutMs: number): Promise<PgmendError> {
  const { rows } = await client
    .query<{ t: string }>(
      `SELECT DISTINCT l.relation::regclass::text AS t FROM pg_locks l
       WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid()
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1`,
    )
    .catch(() => ({ rows: [] as { t: string }[] }));
  return new PgmendError(
    `cannot read the schema: another session holds ${rows.length ? `an ACCESS EXCLUSIVE lock on ${rows.map((r) => r.t).join(', ')}` : 'a lock on a table'}; gave up after lock_timeout ${lockTimeoutMs} ms, not waited for`,
    1,
    'retry once that session has finished, or raise --lock-timeout',
  );
}
