import pg from 'pg';
import { clientConfig, connectionError, type DbTarget } from './connection.js';
import { pgpassPassword, type PgpassKey } from './pgpass.js';

/**
 * Small higher-order helpers in the style of graphile-migrate's pgReal.ts: every database use goes
 * through one of these, so connections are always closed and transactions always end.
 */

// bigint (count(*)) as number: row counts fit comfortably; numeric stays a string (exact).
pg.types.setTypeParser(20, (v) => Number(v));

export type Client = pg.Client;

export async function connect(target: DbTarget, applicationName?: string): Promise<pg.Client> {
  const client = new pg.Client(clientConfig(target, applicationName));
  // No password in the URL or PGPASSWORD: pg would read .pgpass itself, printing a deprecation
  // warning with every command; the same lookup, quietly (pg passes its connection parameters).
  const withPassword = client as unknown as { password: unknown };
  if (withPassword.password === null) withPassword.password = (key: PgpassKey) => pgpassPassword(key);
  // A server that goes away mid-session must not crash the process with an unhandled 'error'.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw connectionError(target, e);
  }
  return client;
}

export async function withClient<T>(target: DbTarget, fn: (c: pg.Client) => Promise<T>, applicationName?: string): Promise<T> {
  const client = await connect(target, applicationName);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The transaction seam: every BEGIN/COMMIT/ROLLBACK and SAVEPOINT pgmend runs goes through these.
 * `begin` adds a transaction mode (`ISOLATION LEVEL REPEATABLE READ READ ONLY`). A failure ends the
 * transaction (ROLLBACK; a dead connection cannot, which ends it as well) and is rethrown.
 */
export async function withTransaction<T>(client: pg.Client, fn: (c: pg.Client) => Promise<T>, begin = ''): Promise<T> {
  await client.query(begin ? `BEGIN ${begin}` : 'BEGIN');
  try {
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}

/** Runs fn in a transaction that always rolls back: the dry-run primitive. */
export async function withRollback<T>(client: pg.Client, fn: (c: pg.Client) => Promise<T>, begin = ''): Promise<T> {
  await client.query(begin ? `BEGIN ${begin}` : 'BEGIN');
  try {
    return await fn(client);
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}

/** The mode of a read that sees one consistent snapshot and can write nothing (scan, plan). */
export const READ_ONLY_SNAPSHOT = 'ISOLATION LEVEL REPEATABLE READ READ ONLY';

let savepoints = 0;
const nextSavepoint = () => `pgmend_sp${++savepoints}`;
/** Undo a savepoint's work and drop it: one round trip (a simple query of two statements; the second runs only if the first succeeds). */
const undoSavepoint = (name: string) => `ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`;

/**
 * Runs fn inside a savepoint of its own (a fresh name per use, so a nested or later one never rolls
 * back to another's): on error only fn's work is undone and the transaction around stays usable;
 * the error is rethrown. Inside a transaction only.
 */
export async function withSavepoint<T>(client: pg.Client, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const name = nextSavepoint();
  await client.query(`SAVEPOINT ${name}`);
  try {
    const result = await fn(client);
    await client.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (e) {
    await client.query(undoSavepoint(name)).catch(() => {});
    throw e;
  }
}

/**
 * Runs fn in a savepoint of its own that is always rolled back, success or not (rehearsals, probes):
 * its changes and the locks it took go, the transaction around stays usable. fn's error is rethrown;
 * on success a failed rollback is thrown, as fn's work might still be in place.
 */
export async function withRolledBackSavepoint<T>(client: pg.Client, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const name = nextSavepoint();
  const rollBack = () => client.query(undoSavepoint(name));
  await client.query(`SAVEPOINT ${name}`);
  let result: T;
  try {
    result = await fn(client);
  } catch (e) {
    await rollBack().catch(() => {});
    throw e;
  }
  await rollBack();
  return result;
}

/** A query that may fail without aborting the transaction around it (a savepoint of its own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows as untyped as client.query's
export function querySafely<R extends pg.QueryResultRow = any>(client: pg.Client, sql: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
  return withSavepoint(client, (c) => c.query<R>(sql, values));
}
