import pg from 'pg';
import { percentile, prng } from './stats.js';

/**
 * A pgbench-style writer: one connection, single-row `UPDATE licenses … WHERE id = <random>` back
 * to back, each one timed. Row ids come from a seeded PRNG, so every run updates the same rows in
 * the same order. A second connection samples the writer's wait event every few milliseconds, so
 * a stall can be told apart: waiting for a lock (what a migration's locks cause) or for the machine
 * (CPU, I/O, WAL — what any concurrent scan on a small box causes).
 */

export interface WriterStats {
  updates: number;
  maxMs: number;
  p99Ms: number;
  p50Ms: number;
  errors: number;
  /** The longest run of consecutive samples that saw the writer waiting for a lock (≈ ms). */
  lockWaitMaxMs: number;
  /** When the slowest update was sent, in ms after the operation started (the writer starts 300 ms before it). */
  maxAtMs: number;
}

const licenseId = (n: number) => `00000004-0000-4000-8000-${String(n).padStart(12, '0')}`;

export async function startWriter(url: string, rows: number, seed: number): Promise<{ stop: () => Promise<WriterStats> }> {
  const c = new pg.Client({ connectionString: url, application_name: 'bench-writer' });
  const monitor = new pg.Client({ connectionString: url, application_name: 'bench-writer-monitor' });
  await c.connect();
  await monitor.connect();
  c.on('error', () => {});
  const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  const next = prng(seed);
  const ms: number[] = [];
  const sentAt: number[] = [];
  let errors = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const id = licenseId(1 + Math.floor(next() * rows));
      const t0 = performance.now();
      try {
        await c.query({ name: 'bench-writer', text: 'UPDATE licenses SET current_impressions = current_impressions + 1 WHERE id = $1', values: [id] });
      } catch {
        errors++;
      }
      ms.push(performance.now() - t0);
      sentAt.push(t0);
    }
  })();
  let lockWaitMaxMs = 0;
  const watch = (async () => {
    let since: number | undefined;
    while (running) {
      const { rows: r } = await monitor.query({ name: 'bench-monitor', text: 'SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = $1', values: [pid] });
      const now = performance.now();
      if (r[0]?.w === 'Lock') {
        since ??= now;
        lockWaitMaxMs = Math.max(lockWaitMaxMs, now - since);
      } else {
        since = undefined;
      }
      await new Promise((res) => setTimeout(res, 3));
    }
  })();
  // In its stride before the operation starts.
  await new Promise((r) => setTimeout(r, 300));
  const opStart = performance.now();
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 200));
      running = false;
      await loop;
      await watch;
      await c.end();
      await monitor.end();
      // A long online apply times hundreds of thousands of updates: no spread into Math.max.
      let worst = 0;
      for (let i = 1; i < ms.length; i++) if (ms[i]! > ms[worst]!) worst = i;
      const maxMs = ms[worst] ?? 0;
      return { updates: ms.length, maxMs, p99Ms: percentile(ms, 0.99), p50Ms: percentile(ms, 0.5), errors, lockWaitMaxMs, maxAtMs: (sentAt[worst] ?? opStart) - opStart };
    },
  };
}
