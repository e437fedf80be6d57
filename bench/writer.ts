import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { percentile } from './stats.js';

/**
 * A pgbench-style writer: one connection, single-row `UPDATE licenses … WHERE id = <random>` back
 * to back, each one timed, in its own process (writer-child.ts). Row ids come from a seeded PRNG,
 * so every run updates the same rows in the same order. A second connection samples the writer's
 * wait event every few milliseconds, so a stall can be told apart: waiting for a lock (what a
 * migration's locks cause) or for the machine (CPU, I/O, WAL — what any concurrent scan on a small
 * box causes).
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
  /** What the sampler saw the writer's backend doing during its slowest update: `wait_event_type:wait_event`, or `cpu`, × samples. */
  slowestSeen: string;
}

interface ChildOutput {
  ms: number[];
  sentAt: number[];
  samples: { at: number; what: string }[];
  errors: number;
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'writer-child.ts');
const now = () => performance.timeOrigin + performance.now();

export async function startWriter(url: string, rows: number, seed: number): Promise<{ stop: () => Promise<WriterStats> }> {
  const child = execa(process.execPath, ['--import', 'tsx', CHILD, url, String(rows), String(seed)], { stdin: 'pipe', env: { NODE_NO_WARNINGS: '1' } });
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (d.toString().includes('ready')) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.catch(reject);
  });
  // In its stride before the operation starts.
  await new Promise((r) => setTimeout(r, 300));
  const opStart = now();
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 200));
      child.stdin!.write('stop\n');
      const { stdout } = await child;
      const out = JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildOutput;
      const { ms, sentAt, samples } = out;
      // A long online apply times hundreds of thousands of updates: no spread into Math.max.
      let worst = 0;
      for (let i = 1; i < ms.length; i++) if (ms[i]! > ms[worst]!) worst = i;
      const maxMs = ms[worst] ?? 0;
      const from = sentAt[worst] ?? opStart;
      let lockWaitMaxMs = 0;
      let since: number | undefined;
      for (const s of samples) {
        if (s.what.startsWith('Lock:')) {
          since ??= s.at;
          lockWaitMaxMs = Math.max(lockWaitMaxMs, s.at - since);
        } else {
          since = undefined;
        }
      }
      const seen = new Map<string, number>();
      for (const s of samples) if (s.at >= from && s.at <= from + maxMs) seen.set(s.what, (seen.get(s.what) ?? 0) + 1);
      return {
        updates: ms.length,
        maxMs,
        p99Ms: percentile(ms, 0.99),
        p50Ms: percentile(ms, 0.5),
        errors: out.errors,
        lockWaitMaxMs,
        maxAtMs: from - opStart,
        slowestSeen: [...seen].map(([w, n]) => `${w} ×${n}`).join(', ') || 'no sample',
      };
    },
  };
}
