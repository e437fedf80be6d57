import type pg from 'pg';
import type { Catalog, Table } from '../../db/catalog.js';
import { loadCatalogAroundLocks } from '../../db/catalog-around-locks.js';
import { quoteQualified } from '../../db/quote.js';
import { ROW_SECURITY_OFF } from '../../db/row-security.js';
import { PgmendError } from '../../util/errors.js';
import { READ_ONLY_SNAPSHOT, withSavepoint, withTransaction } from '../../db/session.js';

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
 *
 * Each table is locked on its own: a table another session holds beyond lock_timeout is left out
 * and said why (`notGranted`), so only the findings that read it fail, not the plan.
 */

const ATTEMPTS = 5;

export interface SnapshotOptions {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

export interface PlanSnapshot {
  catalog: Catalog;
  /** Tables (as `tablesOf` named them) whose lock was not granted within lock_timeout → why, naming the holders. */
  notGranted: Map<string, string>;
  /** Every table found held by another session (also those no finding names: a counter's child), for messages. */
  held: string[];
  /** Oids of the tables whose definitions were not read (held): later catalog reads skip them at once. */
  unopened: number[];
  /** pg_current_snapshot() of this transaction: window rehearsal checks that nothing committed since (answered-validation.ts). */
  snapshot: string;
}

/** A new snapshot is needed: the transaction rolls back and the tables are locked again. */
class LockAgain extends Error {}

/**
 * Runs fn in the plan's snapshot (a REPEATABLE READ READ ONLY transaction, committed when fn
 * returns); `tablesOf` prepares the findings and names the tables (qualified) they read. fn's own
 * errors pass through as they are: only taking the snapshot retries or names a lock's holders.
 */
export async function withPlanSnapshot<T>(client: pg.Client, opts: SnapshotOptions, tablesOf: (catalog: Catalog) => string[], fn: (snapshot: PlanSnapshot) => Promise<T>): Promise<T> {
  const settings = async () => {
    await client.query(`SET LOCAL statement_timeout = ${Math.round(opts.statementTimeoutMs)}`);
    await client.query(`SET LOCAL lock_timeout = ${Math.round(opts.lockTimeoutMs)}`);
    await client.query(ROW_SECURITY_OFF); // a policy raises instead of hiding rows from a count
  };
  const readCatalog = () =>
    inTransaction(client, opts, async () => {
      await settings();
      const { catalog, unopened } = await loadCatalogAroundLocks(client);
      const tables = tablesOf(catalog);
      return { catalog, unopened, tables, version: await schemaVersion(client, oidsOf(catalog, tables)) };
    });
  let read = await readCatalog();
  const takeSnapshot = async (): Promise<PlanSnapshot> => {
    await settings();
    // Tables held while the catalog was read are not waited for a second time.
    const waitedFor = await lockTables(client, read.catalog, read.tables, new Set(read.unopened));
    // The snapshot is taken here, after the locks.
    if ((await schemaVersion(client, oidsOf(read.catalog, read.tables))) !== read.version) {
      const { catalog, unopened } = await loadCatalogAroundLocks(client, read.unopened);
      const tables = tablesOf(catalog);
      if (tables.some((t) => !read.tables.includes(t)) || unopened.length > read.unopened.length) {
        // A finding now names a table not locked (or a table got held meanwhile): lock again, in a new snapshot.
        read = { catalog, unopened, tables: [...new Set([...read.tables, ...tables])], version: '' };
        throw new LockAgain();
      }
      read = { ...read, catalog };
    }
    const notGranted = await whyNotGranted(client, waitedFor, opts.lockTimeoutMs);
    const { rows: snap } = await client.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s');
    const unopened = new Set(read.unopened);
    const held = [...new Set([...notGranted.keys(), ...read.catalog.tables.filter((t) => unopened.has(t.oid)).map((t) => t.qualified)])].sort();
    return { catalog: read.catalog, notGranted, held, unopened: read.unopened, snapshot: snap[0]!.s };
  };
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    let taken = false;
    try {
      return await withTransaction(
        client,
        async () => {
          const snapshot = await takeSnapshot();
          taken = true;
          return fn(snapshot);
        },
        READ_ONLY_SNAPSHOT,
      );
    } catch (e) {
      if (taken) throw e;
      if (e instanceof LockAgain) continue;
      if ((e as { code?: string }).code === '55P03') throw await lockedError(client, opts.lockTimeoutMs);
      if ((e as { code?: string }).code !== '42P01') throw e;
      // A table was dropped since the catalog was read: read it again.
      read = await readCatalog();
    }
  }
  throw new PgmendError('cannot read the schema: the tables of the findings kept changing while it was read', 1, 'retry once the schema changes have finished');
}

async function inTransaction<T>(client: pg.Client, opts: SnapshotOptions, fn: () => Promise<T>): Promise<T> {
  try {
    return await withTransaction(client, fn, READ_ONLY_SNAPSHOT);
  } catch (e) {
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

/**
 * ACCESS SHARE on each of the plan's tables, in a stable order, each in a savepoint: a table the
 * role may not lock is simply read unlocked; one another session holds past lock_timeout is left
 * out and returned. Nothing here takes the snapshot (LOCK and SAVEPOINT do not).
 */
async function lockTables(client: pg.Client, catalog: Catalog, tables: string[], held: Set<number>): Promise<Table[]> {
  const wanted = new Set(tables);
  const waitedFor: Table[] = [];
  const targets = catalog.tables.filter((t) => wanted.has(t.qualified)).sort((a, b) => (a.schema + '.' + a.name < b.schema + '.' + b.name ? -1 : 1));
  for (const t of targets) {
    if (held.has(t.oid)) {
      waitedFor.push(t);
      continue;
    }
    try {
      await withSavepoint(client, () => client.query(`LOCK TABLE ${quoteQualified(t.schema, t.name)} IN ACCESS SHARE MODE`));
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === '55P03') waitedFor.push(t);
      else if (code !== '42501') throw e;
    }
  }
  return waitedFor;
}

/** Per table not locked: which sessions hold it (read after every lock was tried: this query takes the snapshot). */
async function whyNotGranted(client: pg.Client, tables: Table[], lockTimeoutMs: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of tables) {
    const { rows } = await client
      .query<{ pid: number; app: string; mode: string; secs: number; query: string }>(
        // Only ACCESS EXCLUSIVE conflicts with ACCESS SHARE: held, or queued ahead of us.
        `SELECT DISTINCT a.pid, a.application_name AS app, CASE WHEN l.granted THEN 'holds' ELSE 'waits for' END || ' ACCESS EXCLUSIVE' AS mode,
                round(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start)))::int AS secs, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80) AS query
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.relation = $1 AND a.pid <> pg_backend_pid()
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1`,
        [t.oid],
      )
      .catch(() => ({ rows: [] }));
    const holders = rows.map((r) => `pid ${r.pid} (${r.app || 'no application_name'}, ${r.mode}, running ${r.secs} s: ${r.query})`).join('; ');
    out.set(
      t.qualified,
      `lock not granted on ${t.qualified}: another session holds it${holders ? ` — ${holders}` : ''}; gave up after lock_timeout ${lockTimeoutMs} ms, not waited for — retry once that session has finished, or raise --lock-timeout`,
    );
  }
  return out;
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
