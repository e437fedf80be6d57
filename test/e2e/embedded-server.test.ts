import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { startEmbedded } from '../../src/demo/embedded.js';
import { CLI, ROOT } from '../support/cli.js';

/**
 * The embedded server's failures are one line each, and no server or directory outlives the
 * process that started it: a port in use, a temporary directory the postgres user cannot enter
 * (when root), a process killed with SIGKILL, `demo --keep` ended by Ctrl-C or a closed terminal.
 */

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A TMPDIR of the test's own (enterable by the postgres user), so only its own servers are in it. */
async function ownTmp(mode = 0o1777): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-embedded-test-'));
  await chmod(dir, mode);
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the embedded server', () => {
  it('a port in use: one line naming it, nothing started', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => srv.close(() => r())));
    const port = (srv.address() as net.AddressInfo).port;
    const r = await execa(process.execPath, [CLI, 'demo', '--port', String(port)], { cwd: ROOT, reject: false, stdin: 'ignore', timeout: 60_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toBe(`pgmend: port ${port} on 127.0.0.1 is in use — choose another port, or stop what listens there`);
  });

  it.skipIf(os.userInfo().uid !== 0)('as root, a temporary directory the postgres user cannot enter: one line saying what to change', async () => {
    const locked = await ownTmp(0o700);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = locked;
    try {
      await expect(startEmbedded()).rejects.toThrow(
        `the embedded PostgreSQL runs as the postgres user, which cannot reach the temporary directory ${locked}: ${locked} is mode 700`,
      );
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(await readdir(locked)).toEqual([]);
  });

  it('a process killed with SIGKILL leaves no server and no directory behind (its watchdog stops them)', async () => {
    const tmp = await ownTmp();
    const script = path.join(tmp, 'start.mts');
    await writeFile(
      script,
      `import { startEmbedded } from ${JSON.stringify(path.join(ROOT, 'src/demo/embedded.ts'))};\n` +
        `const s = await startEmbedded();\nconsole.log(s.url);\nawait new Promise(() => {});\n`,
    );
    const child = execa(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, reject: false, env: { TMPDIR: tmp }, stdin: 'ignore' });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('the server', () => out.includes('postgresql://'), 90_000);
    const [dir] = (await readdir(tmp)).filter((n) => n.startsWith('pgmend-pg-'));
    expect(dir).toBeDefined();
    const pidFile = path.join(tmp, dir!, 'data', 'postmaster.pid');
    const postmaster = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
    expect(alive(postmaster)).toBe(true);
    child.kill('SIGKILL');
    await child;
    await until('the server to stop', () => !alive(postmaster));
    await until('its directory to go', () => !existsSync(path.join(tmp, dir!)));
  }, 150_000);

  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    it(`demo --keep ended by ${signal}: exits, no server, no directory`, async () => {
      const tmp = await ownTmp();
      const child = execa(process.execPath, [CLI, 'demo', '--example', 'chinook', '--keep'], { cwd: ROOT, reject: false, stdin: 'ignore', env: { TMPDIR: tmp } });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      await until('the demo database', () => err.includes('demo database: '), 120_000);
      const [dir] = (await readdir(tmp)).filter((n) => n.startsWith('pgmend-pg-'));
      const postmaster = Number((await readFile(path.join(tmp, dir!, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      // process.kill, not child.kill: execa's would SIGKILL after 5 s, and stopping takes its time.
      process.kill(child.pid!, signal);
      const r = await child;
      expect(r.exitCode).toBe(signal === 'SIGINT' ? 130 : 129);
      await until('the server to stop', () => !alive(postmaster));
      await until('the directory to go', async () => (await readdir(tmp)).filter((n) => n.startsWith('pgmend-pg-')).length === 0);
    }, 180_000);
  }
});
