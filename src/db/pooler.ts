import type pg from 'pg';
import { connect, withRollback } from './session.js';
import type { DbTarget } from './connection.js';

/**
 * Is this connection behind a transaction pooler (pgbouncer pool_mode=transaction, RDS Proxy,
 * Supavisor)? There, each transaction may run on a different backend: a session setting or a
 * statement outside a transaction (CREATE INDEX CONCURRENTLY) lands on whichever backend is free.
 *
 * Asked of the server, not guessed from the URL: this connection's backend pid, then a second
 * connection opens a transaction, then this connection's pid again. On a direct or session-mode
 * connection the pid never changes and the second connection gets a backend of its own; through
 * a transaction pooler the idle backend is handed to the second connection (same pid) or this one
 * moves (pid changed). The server's own port differing from the URL's says a pooler or proxy is in
 * between, reported alongside. Returns why it is a transaction pooler, or undefined.
 */
export async function transactionPooler(client: pg.Client, target: DbTarget): Promise<string | undefined> {
  const pid = async (c: pg.Client) => Number((await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  const first = await pid(client);
  const { rows } = await client.query('SELECT inet_server_port() AS port');
  const port = rows[0].port === null ? undefined : Number(rows[0].port);
  const portNote = port !== undefined && port !== target.port ? `; the server's port ${port} is not the URL's ${target.port}` : '';
  const other = await connect(target, 'pgmend-pooler-check');
  try {
    // The second connection holds its backend for the length of a transaction.
    const [second, again] = await withRollback(other, async () => [await pid(other), await pid(client)]);
    if (second === first) return `two connections shared backend pid ${first}${portNote}`;
    if (again !== first) return `the backend pid changed from ${first} to ${again} between two transactions on one connection${portNote}`;
    return undefined;
  } finally {
    await other.end().catch(() => {});
  }
}
