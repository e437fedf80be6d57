import { spawn } from 'node:child_process';
import { queryOnce } from '../../support/db.js';
import { CLI, ROOT, type CliResult } from '../../support/cli.js';

/**
 * Drives `pgmend apply` to one point of its run and injects a fault there. The CLI runs with
 * PGMEND_FAULT=<point> (src/engine/apply/fault-seam.ts): at that point it prints
 * `pgmend-fault: paused at <point>` on stderr and waits for SIGCONT. The fault happens while it
 * waits: its backend terminated, the process killed with SIGKILL, or the server restarted; then
 * it is let go (SIGCONT) to meet the consequences.
 */

export type Fault = 'terminate' | 'sigkill' | 'restart';

export interface FaultRun extends CliResult {
  /** The run got to the point (else it ended before it, e.g. nothing to do there). */
  reached: boolean;
  signal: NodeJS.Signals | null;
}

export interface PausedRun {
  /** The run got to the point (else it ended before it). */
  reached: boolean;
  /** The pgmend process's pid (what its lease names). */
  pid: number;
  /** Lets it go on (SIGCONT). */
  resume(): void;
  kill(): void;
  /** Its end: exit code, signal and output. */
  done: Promise<FaultRun>;
}

/** Starts `pgmend …args` with PGMEND_FAULT=point and resolves once it is paused there (or has ended). */
export async function startPaused(args: string[], point: string, env: NodeJS.ProcessEnv = {}): Promise<PausedRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, DATABASE_URL: '', PGMEND_FAULT: point },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const timeout = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timeout);
      resolve({ code, signal });
    }),
  );
  const reached = await new Promise<boolean>((resolve) => {
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stderr.includes(`pgmend-fault: paused at ${point}\n`)) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  return {
    reached,
    pid: child.pid!,
    resume: () => void child.kill('SIGCONT'),
    kill: () => void child.kill('SIGKILL'),
    done: exited.then(({ code, signal }) => ({ code: code ?? -1, signal, stdout, stderr, reached })),
  };
}

export async function applyWithFault(opts: {
  args: string[];
  point: string;
  fault: Fault;
  url: string;
  /** For `restart`: restarts the server the run is connected to. */
  restart?: () => Promise<void>;
  env?: NodeJS.ProcessEnv;
}): Promise<FaultRun> {
  const run = await startPaused(opts.args, opts.point, opts.env);
  if (run.reached) {
    if (opts.fault === 'sigkill') run.kill();
    else {
      try {
        if (opts.fault === 'terminate') await terminatePgmend(opts.url);
        else await opts.restart!();
      } finally {
        run.resume();
      }
    }
  }
  return run.done;
}

const adminQuery = queryOnce;

/** pg_terminate_backend on every session pgmend has open on the database at url; returns how many. */
export async function terminatePgmend(url: string): Promise<number> {
  const rows = await adminQuery<{ pid: number }>(
    url,
    `SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgmend%' AND pid <> pg_backend_pid()`,
  );
  if (rows.length === 0) throw new Error('no pgmend session to terminate');
  return rows.length;
}

/** Waits until no pgmend session is left on the database (a killed client's backend ends on its own). */
export async function noPgmendSessions(url: string, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const rows = await adminQuery(url, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgmend%' AND pid <> pg_backend_pid()`);
    if (rows.length === 0) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`pgmend sessions still open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The journal's runs: [] when pgmend never created it. */
export async function journalStatuses(url: string): Promise<{ id: number; status: string; error: string | null }[]> {
  const [exists] = await adminQuery<{ ok: boolean }>(url, `SELECT to_regclass('pgmend.runs') IS NOT NULL AS ok`);
  if (!exists?.ok) return [];
  return adminQuery(url, `SELECT id::int, status, error FROM pgmend.runs ORDER BY id`);
}

/** Backup tables pgmend left in the database (a rolled-back run leaves none). */
export async function backupTables(url: string): Promise<string[]> {
  const rows = await adminQuery<{ t: string }>(url, `SELECT c.oid::regclass::text AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pgmend' AND c.relname LIKE 'bk\\_%' ORDER BY 1`);
  return rows.map((r) => r.t);
}
