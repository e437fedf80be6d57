import pg from 'pg';
import { PgmendError, UsageError } from '../util/errors.js';

/**
 * Where to connect: `--db`, else DATABASE_URL, else libpq's PG* variables (pg reads those itself).
 * The password is never part of anything we print: `describe()` is the only way a target is shown.
 */
export interface DbTarget {
  /** Passed to pg as is; undefined means "PG* variables". */
  connectionString?: string;
  host: string;
  port: number;
  database: string;
  user: string;
}

export function resolveTarget(db?: string, env: NodeJS.ProcessEnv = process.env): DbTarget {
  const url = db ?? env.DATABASE_URL;
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`--db: not a connection URL: ${redactUrl(url)}`, 'use postgresql://user@host:5432/dbname');
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new UsageError(
        `--db: unsupported scheme "${parsed.protocol.replace(/:$/, '')}"`,
        'use postgresql://user@host:5432/dbname',
      );
    }
    const params = parsed.searchParams;
    return {
      connectionString: url,
      host: decodeURIComponent(parsed.hostname) || params.get('host') || env.PGHOST || 'localhost',
      port: Number(parsed.port || env.PGPORT || 5432),
      database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || env.PGDATABASE || decodeURIComponent(parsed.username) || 'postgres',
      user: decodeURIComponent(parsed.username) || env.PGUSER || 'postgres',
    };
  }
  return {
    host: env.PGHOST || 'localhost',
    port: Number(env.PGPORT || 5432),
    database: env.PGDATABASE || env.PGUSER || 'postgres',
    user: env.PGUSER || 'postgres',
  };
}

/** `user@host:port/db`: how a target is shown everywhere. */
export function describe(t: DbTarget): string {
  return `${t.user}@${t.host}:${t.port}/${t.database}`;
}

/** A URL with any password replaced, for the rare message that must echo user input. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}

export function clientConfig(t: DbTarget, applicationName = 'pgmend'): pg.ClientConfig {
  return {
    ...(t.connectionString ? { connectionString: t.connectionString } : {}),
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
  };
}

/** Turns a connection failure into one line that says what to check. */
export function connectionError(t: DbTarget, e: unknown): PgmendError {
  const err = e as { code?: string; message?: string };
  const where = describe(t);
  switch (err.code) {
    case 'ECONNREFUSED':
      return new PgmendError(`cannot connect to ${where}: connection refused`, 1, 'is PostgreSQL running there? check --db or DATABASE_URL');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new PgmendError(`cannot connect to ${where}: unknown host ${t.host}`, 1, 'check the host name in --db');
    case 'ETIMEDOUT':
      return new PgmendError(`cannot connect to ${where}: timed out`, 1, 'check the host, port and firewall');
    case '28P01':
    case '28000':
      if (/^role ".*" does not exist$/.test(err.message ?? '')) return new PgmendError(`cannot connect to ${where}: ${err.message}`, 1, 'check the user name in --db (or PGUSER)');
      return new PgmendError(`cannot connect to ${where}: authentication failed for user "${t.user}"`, 1, 'check the password (URL, PGPASSWORD or ~/.pgpass)');
    case '3D000':
      return new PgmendError(`cannot connect to ${where}: database "${t.database}" does not exist`, 1, 'check the database name in --db');
    default: {
      if (/client password must be a string/.test(err.message ?? '')) {
        return new PgmendError(`cannot connect to ${where}: the server asks for a password and none was given`, 1, 'set PGPASSWORD, or put it in ~/.pgpass (or the file PGPASSFILE names)');
      }
      const msg = (err.message ?? String(e)).replace(/password[^\s]*/gi, 'password');
      if (/timeout/i.test(msg)) return new PgmendError(`cannot connect to ${where}: timed out`, 1, 'check the host, port and firewall');
      return new PgmendError(`cannot connect to ${where}: ${msg}`, 1, 'check --db or DATABASE_URL');
    }
  }
}
