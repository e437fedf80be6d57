import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import pg from 'pg';
import type { Finding } from '../src/findings/model.js';
import type { PlaybookSet } from '../src/playbooks/load.js';
import { quoteQualified } from '../src/db/quote.js';
import { pgmendPass, prepareAll } from './prechecks-figure.js';
import { median, round, timed } from './stats.js';

/**
 * Figure 7: the whole plan (`plan` of the 76 demo findings with rehearsal, a fresh process on
 * dist/ per run) in both modes, against the physical limit — one bare sequential scan of every
 * table the findings touch (`SELECT count(*)`, parallel as the server chooses) — and against the
 * prechecks' counting alone (counts, no samples, no cascade, one snapshot). Goals (issue 21): online
 * plan ≤ 1.5× and window plan ≤ 2.5× the counting time. Rows read per table by each whole plan come
 * from pg_stat_user_tables (seq_tup_read delta ÷ the table's rows): 1.0 is one full read.
 */

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const FINDINGS = path.resolve(BENCH_DIR, '../examples/actorhub/findings.yaml');

export interface ModeRuns {
  planMs: number[];
  planMsMedian: number;
  /** Phase timings of the median run. */
  timings: Record<string, number>;
  /** Full-table reads per table in one plan (sequentially read rows ÷ rows), for the tables read more than once… or at all. */
  reads: Record<string, number>;
}

export interface WholePlanPoint {
  rows: number;
  tables: string[];
  bareScanMs: number;
  countsMs: number;
  online: ModeRuns;
  window: ModeRuns;
  onlineRatio: number;
  windowRatio: number;
  loadAverage: number[];
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: 'pgmend-bench' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Rows read by sequential scans so far, per table, and each table's rows. */
async function seqRead(url: string): Promise<Map<string, { read: number; rows: number }>> {
  return withClient(url, async (c) => {
    await c.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await c.query<{ t: string; read: string; n: string }>(
      `SELECT s.relname AS t, s.seq_tup_read AS read, greatest(c.reltuples, 1)::int8 AS n FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = 'public'`,
    );
    return new Map(rows.map((r) => [r.t, { read: Number(r.read), rows: Number(r.n) }]));
  });
}

async function planRun(url: string, mode: 'window' | 'online'): Promise<{ planMs: number; timings: Record<string, number>; reads: Record<string, number> }> {
  const before = await seqRead(url);
  const child = await execa(process.execPath, [path.join(BENCH_DIR, 'plan-child.mjs'), url, FINDINGS, mode], { env: { NODE_NO_WARNINGS: '1' }, reject: false });
  if (child.exitCode !== 0) throw new Error(`plan child (${mode}) failed: ${child.stderr.split('\n').slice(0, 5).join(' ')}`);
  const res = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { planMs: number; timings: Record<string, number>; failed: string[] };
  if (res.failed.length) throw new Error(`plan (${mode}): ${res.failed.join('; ')}`);
  // A backend reports its counters when it exits, within a second.
  await new Promise((r) => setTimeout(r, 1200));
  const after = await seqRead(url);
  const reads: Record<string, number> = {};
  for (const [t, a] of after) {
    const d = a.read - (before.get(t)?.read ?? 0);
    if (d > 0) reads[t] = round(d / a.rows, 2);
  }
  return { planMs: res.planMs, timings: res.timings, reads };
}

export async function wholePlanPoint(url: string, rows: number, findings: Finding[], playbooks: PlaybookSet, runs: number, log: (m: string) => void): Promise<WholePlanPoint> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgmend-bench' });
  await client.connect();
  let tables: string[];
  let bareScanMs: number;
  let countsMs: number;
  try {
    const prepared = await prepareAll(client, findings, playbooks);
    tables = [...new Set(prepared.prepared.flatMap((p) => p.tables))].sort();
    const names = tables.map((t) => prepared.catalog.tables.find((x) => x.qualified === t)!).map((t) => quoteQualified(t.schema, t.name));
    const bare = async () => {
      for (const t of names) await client.query(`SELECT count(*) FROM ${t}`);
    };
    await bare(); // warm
    const bareMs: number[] = [];
    const counts: number[] = [];
    await pgmendPass(client, prepared);
    for (let i = 0; i < runs; i++) {
      bareMs.push((await timed(bare)).ms);
      counts.push((await timed(() => pgmendPass(client, prepared))).ms);
    }
    bareScanMs = round(median(bareMs));
    countsMs = round(median(counts));
    log(`  ${rows.toLocaleString('en-US')} rows: one bare scan of the ${tables.length} tables ${Math.round(bareScanMs)} ms; prechecks' counts ${Math.round(countsMs)} ms`);
  } finally {
    await client.end();
  }
  const modes = {} as Record<'online' | 'window', ModeRuns>;
  for (const mode of ['online', 'window'] as const) {
    const rs = [];
    for (let i = 0; i < runs; i++) {
      const r = await planRun(url, mode);
      rs.push(r);
      log(`  ${mode} plan at ${rows.toLocaleString('en-US')} rows, run ${i + 1}/${runs}: ${Math.round(r.planMs)} ms ${JSON.stringify(r.timings)}; reads ${JSON.stringify(r.reads)}`);
    }
    const sorted = [...rs].sort((a, b) => a.planMs - b.planMs);
    const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
    modes[mode] = { planMs: rs.map((r) => round(r.planMs)), planMsMedian: round(median(rs.map((r) => r.planMs))), timings: mid.timings, reads: mid.reads };
  }
  return {
    rows,
    tables,
    bareScanMs,
    countsMs,
    online: modes.online,
    window: modes.window,
    onlineRatio: round(modes.online.planMsMedian / countsMs, 2),
    windowRatio: round(modes.window.planMsMedian / countsMs, 2),
    loadAverage: os.loadavg().map((l) => round(l, 2)),
  };
}
