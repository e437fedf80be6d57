import pg from 'pg';
import { startEmbedded, type RunningServer } from '../src/demo/embedded.js';

/**
 * The bench's PostgreSQL: the embedded server `pgmend demo` uses (fsync off, loopback, trust
 * auth), reconfigured with ALTER SYSTEM and one restart the way a server holding production-sized
 * tables would be rather than with the out-of-the-box 128 MB of shared buffers: shared_buffers
 * 2 GB (the demo tables at 5M rows and their indexes are about 2.5 GB), no checkpoint in the
 * middle of a bulk load, and no autovacuum racing a measurement (the bench vacuums after each load).
 */

const SETTINGS: Record<string, string> = { shared_buffers: '2GB', max_wal_size: '8GB', autovacuum: 'off' };

const SHOWN = ['server_version', 'shared_buffers', 'work_mem', 'maintenance_work_mem', 'fsync', 'autovacuum', 'max_wal_size', 'max_parallel_workers_per_gather'];

export interface BenchServer extends RunningServer {
  version: string;
  settings: Record<string, string>;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function startBenchServer(): Promise<BenchServer> {
  const server = await startEmbedded();
  try {
    await withClient(server.url, async (c) => {
      for (const [k, v] of Object.entries(SETTINGS)) await c.query(`ALTER SYSTEM SET ${k} = '${v}'`);
    });
    // shared_buffers only takes effect on a restart.
    await server.restart!('fast');
    const settings = await withClient(server.url, async (c) => {
      const { rows } = await c.query<{ name: string; setting: string; unit: string | null }>(
        `SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
        [SHOWN],
      );
      const out: Record<string, string> = {};
      for (const r of rows) out[r.name] = r.unit === '8kB' ? `${(Number(r.setting) * 8) / 1024} MB` : r.unit ? `${r.setting} ${r.unit}` : r.setting;
      return out;
    });
    if (settings.shared_buffers !== '2048 MB') throw new Error(`bench server: shared_buffers is ${settings.shared_buffers} after restart, expected 2048 MB`);
    return { ...server, version: settings.server_version ?? '', settings };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

export async function createDatabase(server: RunningServer, name: string): Promise<string> {
  await withClient(server.url, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}"`);
  });
  return server.urlFor(name);
}
