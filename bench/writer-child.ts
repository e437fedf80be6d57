import pg from 'pg';
import { createInterface } from 'node:readline';
import { prng } from './stats.js';

/**
 * The writer's own process (see writer.ts): `UPDATE licenses … WHERE id = <random>` back to back,
 * each one timed, and a second connection sampling the writer backend's wait event every few
 * milliseconds. Its own process and event loop, as pgbench would be: work pgmend does in the
 * bench's process (parsing, journaling) cannot delay it. Prints `ready` once connected; on a line
 * on stdin it stops and prints one JSON line with every latency and sample.
 * Usage: node --import tsx bench/writer-child.ts URL ROWS SEED
 */

const [url, rowsArg, seedArg] = process.argv.slice(2);
const rows = Number(rowsArg);
const next = prng(Number(seedArg));
const licenseId = (n: number) => `00000004-0000-4000-8000-${String(n).padStart(12, '0')}`;
const now = () => performance.timeOrigin + performance.now();

const c = new pg.Client({ connectionString: url, application_name: 'bench-writer' });
const monitor = new pg.Client({ connectionString: url, application_name: 'bench-writer-monitor' });
await c.connect();
await monitor.connect();
c.on('error', () => {});
const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;

const ms: number[] = [];
const sentAt: number[] = [];
const samples: { at: number; what: string }[] = [];
let errors = 0;
let running = true;

const loop = (async () => {
  while (running) {
    const id = licenseId(1 + Math.floor(next() * rows));
    const t0 = now();
    try {
      await c.query({ name: 'bench-writer', text: 'UPDATE licenses SET current_impressions = current_impressions + 1 WHERE id = $1', values: [id] });
    } catch {
      errors++;
    }
    ms.push(now() - t0);
    sentAt.push(t0);
  }
})();

const watch = (async () => {
  while (running) {
    const { rows: r } = await monitor.query({ name: 'bench-monitor', text: 'SELECT wait_event_type AS w, wait_event AS e, state FROM pg_stat_activity WHERE pid = $1', values: [pid] });
    samples.push({ at: now(), what: r[0]?.state !== 'active' ? 'idle' : r[0].w ? `${r[0].w}:${r[0].e}` : 'cpu' });
    await new Promise((res) => setTimeout(res, 3));
  }
})();

process.stdout.write('ready\n');
const input = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => input.once('line', () => resolve()));
running = false;
await loop;
await watch;
await c.end();
await monitor.end();
input.close();
process.stdout.write(JSON.stringify({ ms, sentAt, samples, errors }) + '\n');
