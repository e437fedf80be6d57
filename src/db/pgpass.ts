import pgpass from 'pgpass';

/**
 * libpq's password file (PGPASSFILE, else ~/.pgpass), read with the `pgpass` module node-pg itself
 * uses. pg 8 still reads it on its own, but prints a deprecation warning with every command; it
 * asks callers to pass a password function that calls the module instead, which is this.
 */
export interface PgpassKey {
  host?: string | undefined;
  port?: number | string | undefined;
  database?: string | undefined;
  user?: string | undefined;
}

export function pgpassPassword(key: PgpassKey): Promise<string | undefined> {
  return new Promise((resolve) => pgpass(key, resolve));
}
