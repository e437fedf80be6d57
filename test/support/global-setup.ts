import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { startEmbedded, type RunningServer } from '../../src/demo/embedded.js';
import { startPg15 } from './pg15.js';
import { TEMPLATES } from './templates.js';

/**
 * One PostgreSQL for the whole test run, on its own port and directory: embedded 18 by default,
 * Debian's 15 with PGMEND_TEST_SERVER=pg15, or an existing server via PGMEND_TEST_DATABASE_URL.
 * Template databases (demo, pagila, chinook) are built once here; tests clone them.
 */
let server: RunningServer | undefined;

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  let adminUrl = process.env.PGMEND_TEST_DATABASE_URL;
  if (!adminUrl) {
    server = process.env.PGMEND_TEST_SERVER === 'pg15' ? await startPg15() : await startEmbedded();
    adminUrl = server.url;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query('SHOW server_version');
    console.log(`[pgmend tests] PostgreSQL ${rows[0].server_version} at port ${new URL(adminUrl).port}`);
    for (const [name, build] of Object.entries(TEMPLATES)) {
      // A template left by an earlier run on the same server must stop being one before it can go.
      const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
      if (rowCount) await admin.query(`ALTER DATABASE ${name} IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = '/' + name;
      await build(url.toString());
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
    }
  } finally {
    await admin.end();
  }
  project.provide('adminUrl', adminUrl);
  return async () => {
    await server?.stop();
  };
}
