import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { PgmendError } from '../util/errors.js';

/**
 * The embedded server's failures as one line each, saying what to change. As root, PostgreSQL runs
 * as the `postgres` user, which must be able to enter every directory above its binaries and its
 * data directory; a checkout under /root (mode 700) is the usual way it cannot.
 */

const OWN_SERVER = 'or use --db with a PostgreSQL server of your own';

/** The first directory above `target` (inclusive) that users other than its owner cannot enter. */
export function unsearchableAncestor(target: string, uid: number): { dir: string; mode: string } | undefined {
  const chain: string[] = [];
  for (let d = path.resolve(target); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const dir of chain) {
    let st;
    try {
      st = statSync(dir);
    } catch {
      return undefined;
    }
    if (!st.isDirectory() || st.uid === uid) continue;
    if ((st.mode & 0o001) === 0) return { dir, mode: (st.mode & 0o777).toString(8).padStart(3, '0') };
  }
  return undefined;
}

export function unreachable(what: string, target: string, uid: number, fix: string): PgmendError {
  const block = unsearchableAncestor(target, uid);
  const where = block ? `: ${block.dir} is mode ${block.mode}` : '';
  const change = block ? `make it enterable (chmod o+x ${block.dir}), ` : '';
  return new PgmendError(`the embedded PostgreSQL runs as the postgres user, which cannot reach ${what} ${target}${where}`, 1, `${change}${fix}, ${OWN_SERVER}`);
}

/** Runs `postgres --version` as the given user: proves it can reach and execute the binaries. */
export function canExecute(binary: string, ids: { uid?: number; gid?: number }): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const child = spawn(binary, ['--version'], { ...ids, stdio: 'ignore' });
    child.on('error', (e: NodeJS.ErrnoException) => resolve(e));
    child.on('close', (code) => resolve(code === 0 ? undefined : Object.assign(new Error(`exit ${code}`), { code: 'EXIT' })));
  });
}

/** The server's log and error → the one line that says what went wrong and what to do. */
export function explainStartFailure(opts: { error: unknown; log: string; port: number; dataDir: string; uid?: number }): PgmendError {
  const text = `${opts.log}\n${opts.error instanceof Error ? opts.error.message : String(opts.error ?? '')}`;
  const code = (opts.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || /No space left on device|could not extend file|disk full/i.test(text)) {
    return new PgmendError(
      `no space left for the embedded PostgreSQL's data directory ${opts.dataDir} (it needs about 50 MB)`,
      1,
      `free space on that disk or set TMPDIR to a directory with room, ${OWN_SERVER}`,
    );
  }
  if (/Address already in use|could not create any TCP\/IP sockets/.test(text)) {
    return new PgmendError(`port ${opts.port} on 127.0.0.1 is in use`, 1, 'choose another port, or stop what listens there');
  }
  if (code === 'EACCES' || /Permission denied/.test(text)) {
    if (opts.uid !== undefined) return unreachable('its data directory', opts.dataDir, opts.uid, 'or set TMPDIR to a directory it can enter');
    return new PgmendError(`the embedded PostgreSQL cannot use its data directory ${opts.dataDir}: permission denied`, 1, `set TMPDIR to a writable directory, ${OWN_SERVER}`);
  }
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines.filter((l) => /FATAL|ERROR|error|PANIC/.test(l)).pop() ?? lines.pop() ?? 'no output';
  return new PgmendError(`the embedded PostgreSQL did not start: ${last.replace(/^\[STDERR\]\s*/, '')}`, 1, OWN_SERVER);
}
