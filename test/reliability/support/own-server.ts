import pg from 'pg';
import { queryOnce } from '../../support/db.js';
import { randomBytes } from 'node:crypto';
import { startEmbedded, type RunningServer } from '../../../src/demo/embedded.js';

/**
 * A PostgreSQL of the test file's own, for what must not touch the shared test server: restarting
 * it, or changing how it authenticates. Template and clones as test/support/db.ts does them.
 */
export interface OwnServer {
  server: RunningServer;
  admin<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A database loaded with sql, marked as a template; returns its name. */
  template(sql: string): Promise<string>;
  clone(template: string): Promise<{ url: string; name: string; drop: () => Promise<void> }>;
  stop(): Promise<void>;
}

export async function startOwnServer(opts: { hba?: string[]; onLog?: (message: string) => void } = {}): Promise<OwnServer> {
  const server = await startEmbedded({ ...(opts.hba ? { hba: opts.hba } : {}), ...(opts.onLog ? { onLog: opts.onLog } : {}) });
  const run = queryOnce;
  const admin = <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => run<T>(server.url, sql, params);
  return {
    server,
    admin,
    template: async (sql) => {
      const name = `tpl_${randomBytes(4).toString('hex')}`;
      await admin(`CREATE DATABASE ${name}`);
      await run(server.urlFor(name), sql);
      await admin(`ALTER DATABASE ${name} WITH IS_TEMPLATE true`);
      return name;
    },
    clone: async (template) => {
      const name = `t_${randomBytes(5).toString('hex')}`;
      await admin(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      return { url: server.urlFor(name), name, drop: async () => void (await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)) };
    },
    stop: () => server.stop(),
  };
}
