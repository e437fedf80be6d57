import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, chmod, chown, writeFile, readFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/demo/embedded.js';

/**
 * A real pgbouncer (Debian's package) in front of the test server, on a free port: `transaction`
 * or `session` pooling, clients trusted on loopback, its own server logins from the userlist
 * (the passwords the test server wants). Stopped by `stop()`, its directory removed.
 */
export interface Pooler {
  mode: 'transaction' | 'session';
  port: number;
  /** The same URL with the pooler's port (user and password kept). */
  url(directUrl: string): string;
  stop(): Promise<void>;
}

export const PGBOUNCER = '/usr/sbin/pgbouncer';

export async function startPgbouncer(serverUrl: string, mode: 'transaction' | 'session', users: { name: string; password: string }[], poolSize = 4): Promise<Pooler> {
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-pgbouncer-'));
  await chmod(dir, 0o755);
  const userlist = users.map((u) => `"${u.name}" "${u.password}"`).join('\n') + '\n';
  const ini = [
    '[databases]',
    `* = host=${server.hostname} port=${server.port}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    `pool_mode = ${mode}`,
    `default_pool_size = ${poolSize}`,
    'max_client_conn = 200',
    // node-pg sends no others; psql sends none of these either.
    'ignore_startup_parameters = extra_float_digits,options',
    `logfile = ${path.join(dir, 'pgbouncer.log')}`,
    '',
  ].join('\n');
  await writeFile(path.join(dir, 'userlist.txt'), userlist);
  await writeFile(path.join(dir, 'pgbouncer.ini'), ini);
  const asRoot = os.userInfo().uid === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) await chown(path.join(dir, f), uid, gid);
  }
  // pgbouncer refuses to run as root: as the postgres user then.
  const proc: ChildProcess = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (await listening(port)) break;
    if (proc.exitCode !== null || i > 100) {
      const log = await readFile(path.join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');
      await stop();
      throw new Error(`pgbouncer did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    mode,
    port,
    url: (directUrl) => {
      const u = new URL(directUrl);
      u.port = String(port);
      return u.toString();
    },
    stop,
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
