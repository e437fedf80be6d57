import { inject } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { loadCatalog, type Catalog } from '../../src/db/catalog.js';

/** A fresh database for one test, cloned from a template (or empty), dropped by `drop()`. */
export interface TestDb {
  url: string;
  name: string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('adminUrl');
}

export function urlFor(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = '/' + database;
  return url.toString();
}

export async function createTestDb(template?: string): Promise<TestDb> {
  const name = `t_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  const url = urlFor(name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  client.on('error', () => {});
  return {
    url,
    name,
    query: (sql, params) => client.query(sql, params as unknown[]),
    drop: async () => {
      await client.end().catch(() => {});
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Runs `fn` on a fresh copy of `template`, dropped afterwards whatever happens. */
export async function withTestDb<T>(template: string, fn: (db: TestDb) => Promise<T>): Promise<T> {
  const db = await createTestDb(template);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}

/** One query on a connection of its own, closed afterwards (a server that goes away is no crash). */
export async function queryOnce<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, application_name: 'test-admin' });
  c.on('error', () => {});
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end().catch(() => {});
  }
}

/** The catalog of the database at url, read on a connection of its own. */
export async function catalogOf(url: string): Promise<Catalog> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await loadCatalog(c);
  } finally {
    await c.end();
  }
}

/** One statement on the server's maintenance database, as the superuser (roles, settings). */
export async function adminExec(sql: string): Promise<void> {
  await queryOnce(adminUrl(), sql);
}
