import pg from 'pg';
import { execFileSync } from 'node:child_process';
import type { RunningServer } from '../../src/demo/embedded.js';
import { startServer } from './global-setup.js';

/**
 * A PostgreSQL server for one test file alone (PGMEND_TEST_DATABASE_URL's, if set): for tests of
 * what "no transaction committed on the server since" decides, which the other files' commits on
 * the shared server would make flaky. Databases made by `database` are dropped by `close`.
 */
export interface OwnServer {
  admin: string;
  /** Major version, e.g. 18. */
  major: number;
  /** A fresh database with `sql` run in it; its URL. */
  database(sql: string): Promise<string>;
  close(): Promise<void>;
}

/** One statement (or several, simple protocol) on its own connection. */
export async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function ownServer(prefix: string): Promise<OwnServer> {
  let server: RunningServer | undefined;
  let admin = process.env.PGMEND_TEST_DATABASE_URL;
  if (!admin) {
    server = await startServer();
    admin = server.url;
  }
  const major = Math.floor(Number((await query(admin, 'SHOW server_version_num')).rows[0].server_version_num) / 10000);
  const dbs: string[] = [];
  return {
    admin,
    major,
    database: async (sql) => {
      const name = `${prefix}_${dbs.length}_${process.pid}`;
      dbs.push(name);
      await query(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await query(admin, `CREATE DATABASE ${name}`);
      const url = new URL(admin);
      url.pathname = '/' + name;
      await query(url.toString(), sql);
      return url.toString();
    },
    close: async () => {
      for (const d of dbs) await query(admin, `DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => {});
      await server?.stop();
    },
  };
}

/** A statement committed by psql while the plan's process waits: the callback of a plan event is synchronous. */
export function psqlNow(url: string, sql: string): void {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', u.toString(), '-c', sql], { env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) }, stdio: 'pipe' });
}
