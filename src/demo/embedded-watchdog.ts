import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A server started by a process that is then killed (kill -9, a killed test run) must not outlive
 * it: PostgreSQL is not stopped with its parent. The watchdog is a tiny detached node process that
 * holds the read end of a pipe from us; when the pipe closes — we ended it in stop(), or we died —
 * it stops the postmaster named in postmaster.pid (if still running) and removes the directory.
 * Detached, so a Ctrl-C or a closed terminal that ends us does not end it first.
 */
const SCRIPT = `
const fs = require('node:fs');
const [dataDir, dir] = process.argv.slice(1);
for (const s of ['SIGINT', 'SIGHUP', 'SIGTERM']) process.on(s, () => {});
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function cleanup() {
  let pid = 0;
  try { pid = Number(fs.readFileSync(dataDir + '/postmaster.pid', 'utf8').split('\\n')[0]); } catch {}
  if (Number.isInteger(pid) && pid > 1 && alive(pid)) {
    try { process.kill(pid, 'SIGINT'); } catch {}
    for (let i = 0; i < 200 && alive(pid); i++) await sleep(50);
    if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch {}
  }
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
process.stdin.on('data', () => {});
process.stdin.on('end', cleanup);
process.stdin.on('error', cleanup);
`;

export interface Watchdog {
  /** Ends the pipe: the watchdog cleans up what is left (nothing, after a normal stop) and exits. */
  release(): void;
}

export function startWatchdog(dataDir: string, dir: string): Watchdog {
  const child: ChildProcess = spawn(process.execPath, ['-e', SCRIPT, dataDir, dir], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.on('error', () => {});
  child.unref();
  const pipe = child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
  pipe?.on('error', () => {});
  pipe?.unref?.();
  return { release: () => pipe?.end() };
}
