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

/** Runs fn in a transaction that commits only if fn resolves. */
export async function withTransaction<T>(client: pg.Client, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
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
export async function withRollback<T>(client: pg.Client, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    return await fn(client);
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}

/** Runs fn inside a savepoint; on error rolls back to it and rethrows, leaving the outer transaction usable. */
export async function withSavepoint<T>(client: pg.Client, name: string, fn: () => Promise<T>): Promise<T> {
  await client.query(`SAVEPOINT ${name}`);
  try {
    const r = await fn();
    await client.query(`RELEASE SAVEPOINT ${name}`);
    return r;
  } catch (e) {
    await client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {});
    throw e;
  }
}
