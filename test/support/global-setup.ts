import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { startEmbedded, type RunningServer } from '../../src/demo/embedded.js';
import { parseMajor } from '../../src/demo/embedded-binaries.js';
import { errorMessage } from '../../src/util/errors.js';
import { startPg15 } from './pg15.js';
import { TEMPLATE_FILES, TEMPLATES } from './templates.js';
import { figuresDir } from '../reliability/support/figures.js';

/**
 * One PostgreSQL for the whole test run, on its own port and directory: embedded 18 by default,
 * another embedded major with PGMEND_TEST_SERVER=14 … 18 (or pg14 … pg18; `npm run test:matrix`),
 * Debian's 15 with PGMEND_TEST_SERVER=debian15, or an existing server via PGMEND_TEST_DATABASE_URL.
 * Template databases (demo, pagila, chinook) are built once here; tests clone them.
 */
let server: RunningServer | undefined;

/** What the run needs besides node_modules, checked before a server starts. */
function missing(): string | undefined {
  const files = TEMPLATE_FILES.filter((f) => !existsSync(f));
  if (files.length) return `missing ${files.join(', ')} (restore them from git)`;
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'psql (the PostgreSQL client) is not on PATH: install it, e.g. apt-get install postgresql-client';
  }
  return undefined;
}

/** A failed setup says in one line what is wrong (vitest prints the stack otherwise). */
function oneLine(message: string): Error {
  const e = new Error(`pgmend tests: ${message}`);
  e.stack = e.message;
  return e;
}

/** The server PGMEND_TEST_SERVER names (embedded 18 by default); also for a test that needs a server of its own. */
export async function startServer(): Promise<RunningServer> {
  const choice = process.env.PGMEND_TEST_SERVER;
  if (!choice) return startEmbedded();
  if (choice === 'debian15') return startPg15();
  const major = parseMajor(choice);
  if (!major) throw new Error(`PGMEND_TEST_SERVER=${choice}: expected 14, 15, 16, 17, 18 (or pg14 … pg18) or debian15`);
  return startEmbedded({ major });
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const lack = missing();
  if (lack) throw oneLine(lack);
  let adminUrl = process.env.PGMEND_TEST_DATABASE_URL;
  try {
    if (!adminUrl) {
      server = await startServer();
      adminUrl = server.url;
    }
    await buildTemplates(adminUrl);
  } catch (e) {
    await server?.stop();
    const lines = (e as { stderr?: Buffer | string }).stderr?.toString().trim().split('\n') ?? [];
    const stderr = lines.filter((l) => /ERROR|FATAL|error/.test(l)).pop() ?? lines.pop();
    throw oneLine(`setup failed: ${errorMessage(e).split('\n')[0]}${stderr ? ` — ${stderr}` : ''}`);
  }
  project.provide('adminUrl', adminUrl);
  return async () => {
    // The reliability suite's section files of this run (left when only some of its files ran).
    await rm(figuresDir(adminUrl), { recursive: true, force: true });
    await server?.stop();
  };
}

async function buildTemplates(adminUrl: string): Promise<void> {
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
}
