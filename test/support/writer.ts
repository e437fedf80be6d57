import pg from 'pg';

/**
 * An application writer: single-row UPDATEs of `table` on its own connection, back to back, each
 * one timed, until stop(). No lock_timeout of its own: when it waits, the latency shows how long.
 * `ids` are cycled through in order; `pauseMs` between updates makes a busy client rather than a
 * spinning one.
 */
export interface WriterStats {
  table: string;
  count: number;
  maxMs: number;
  p99Ms: number;
  p50Ms: number;
  errors: string[];
}

export async function startWriter(url: string, table: string, ids: number[], setSql: string, pauseMs = 2): Promise<{ stop: () => Promise<WriterStats> }> {
  const c = new pg.Client({ connectionString: url, application_name: `writer-${table}` });
  await c.connect();
  const ms: number[] = [];
  const errors: string[] = [];
  let running = true;
  let i = 0;
  const loop = (async () => {
    while (running) {
      const id = ids[i++ % ids.length];
      const t0 = performance.now();
      try {
        await c.query(`UPDATE ${table} SET ${setSql} WHERE id = $1`, [id]);
      } catch (e) {
        errors.push((e as Error).message);
      }
      ms.push(performance.now() - t0);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await c.end();
      const sorted = [...ms].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return { table, count: ms.length, maxMs: sorted[sorted.length - 1] ?? 0, p99Ms: at(0.99), p50Ms: at(0.5), errors };
    },
  };
}
