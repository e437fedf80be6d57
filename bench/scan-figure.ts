import pg from 'pg';
import { scanOnClient } from '../src/engine/scan/scan.js';
import type { ScanResult } from '../src/engine/scan/model.js';
import { quoteQualified } from '../src/db/quote.js';
import { median, round, timed } from './stats.js';

/**
 * Figure 7: `pgmend scan` of the whole database against the physical limit — one bare sequential
 * scan of every table the scan reads (`SELECT count(*)`, index scans off, parallel as the planner
 * chooses), warm cache. The tables are those the scan's plans read (EXPLAIN ANALYZE of each of its
 * statements in one untimed pass, which also warms the cache), with how: whole-table reads (a
 * sequential scan node; per loop when not parallel-aware, as for the prechecks), sampled reads
 * (TABLESAMPLE) and index reads. Goal: scan ≤ 3× the bare scans, each table read whole at most once.
 */

export interface ScanPoint {
  rows: number;
  runs: number;
  scanMs: number[];
  bareMs: number[];
  scanMedianMs: number;
  bareMedianMs: number;
  /** scan / bare (medians). */
  ratio: number;
  /** Median bare scan per table, ms. */
  bareByTable: Record<string, number>;
  /** Per table in the scan's plans: whole-table reads, TABLESAMPLE reads, index reads. */
  wholeReads: Record<string, number>;
  sampleReads: Record<string, number>;
  indexReads: Record<string, number>;
  /** The scan's own per-table reads (last timed run): rows read, sampled or not, ms. */
  reads: ScanResult['reads'];
  findings: number;
  byRule: Record<string, number>;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  'Parallel Aware'?: boolean;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

type Query = (...args: unknown[]) => Promise<pg.QueryResult>;

/**
 * The client with every SELECT/WITH (parameters bound as given) first run under EXPLAIN (ANALYZE, VERBOSE) and
 * its reads of user tables added up (the scan's catalog queries read only pg_catalog).
 */
function countingReads(client: pg.Client, into: Pick<ScanPoint, 'wholeReads' | 'sampleReads' | 'indexReads'>): pg.Client {
  const query = client.query.bind(client) as unknown as Query;
  const add = (to: Record<string, number>, t: string, n: number) => (to[t] = (to[t] ?? 0) + n);
  const walk = (n: PlanNode) => {
    const rel = n['Relation Name'];
    if (rel && n.Schema && n.Schema !== 'pg_catalog' && n.Schema !== 'information_schema' && n['Actual Loops'] > 0) {
      const t = `${n.Schema}.${rel}`;
      if (n['Node Type'] === 'Seq Scan') add(into.wholeReads, t, n['Parallel Aware'] ? 1 : n['Actual Loops']);
      else if (n['Node Type'] === 'Sample Scan') add(into.sampleReads, t, n['Actual Loops']);
      else if (/Index|Bitmap Heap/.test(n['Node Type'])) add(into.indexReads, t, 1);
    }
    for (const child of n.Plans ?? []) walk(child);
  };
  return Object.assign(Object.create(client) as pg.Client, {
    query: async (...args: unknown[]) => {
      const sql = args[0];
      if (typeof sql === 'string' && /^\s*(WITH|SELECT)\b/i.test(sql) && (args.length === 1 || Array.isArray(args[1]))) {
        const { rows } = await query(`EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) ${sql}`, ...args.slice(1));
        walk((rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan);
      }
      return query(...args);
    },
  });
}

async function scanOnce(url: string, counting?: Pick<ScanPoint, 'wholeReads' | 'sampleReads' | 'indexReads'>): Promise<ScanResult> {
  const c = new pg.Client({ connectionString: url, application_name: 'pgmend-bench' });
  await c.connect();
  try {
    return await scanOnClient(counting ? countingReads(c, counting) : c, { statementTimeoutMs: 3_600_000 });
  } finally {
    await c.end();
  }
}

/** One bare sequential scan of each table, in one transaction with index scans off; ms per table. */
async function bareScans(url: string, tables: string[]): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url, application_name: 'pgmend-bench' });
  await c.connect();
  try {
    await c.query('BEGIN');
    for (const s of ['enable_indexscan', 'enable_indexonlyscan', 'enable_bitmapscan']) await c.query(`SET LOCAL ${s} = off`);
    const out: Record<string, number> = {};
    for (const t of tables) {
      const [schema, name] = t.split(/\.(.*)/s) as [string, string];
      out[t] = (await timed(() => c.query(`SELECT count(*) FROM ${quoteQualified(schema, name)}`))).ms;
    }
    await c.query('COMMIT');
    return out;
  } finally {
    await c.end();
  }
}

export async function scanFigure(url: string, rows: number, runs: number, log: (m: string) => void): Promise<ScanPoint> {
  const counted = { wholeReads: {}, sampleReads: {}, indexReads: {} };
  const first = await scanOnce(url, counted);
  const tables = [...new Set([...Object.keys(counted.wholeReads), ...Object.keys(counted.sampleReads), ...Object.keys(counted.indexReads)])].sort();
  await bareScans(url, tables); // warm, as the scan's first pass warmed its own
  const scanMs: number[] = [];
  const bareMs: number[] = [];
  const perTable: Record<string, number[]> = {};
  let last = first;
  for (let i = 0; i < runs; i++) {
    const bare = await bareScans(url, tables);
    for (const [t, ms] of Object.entries(bare)) (perTable[t] ??= []).push(ms);
    bareMs.push(Object.values(bare).reduce((a, b) => a + b, 0));
    const s = await timed(() => scanOnce(url));
    last = s.value;
    scanMs.push(s.ms);
    log(`  scan run ${i + 1}/${runs} at ${rows.toLocaleString('en-US')} rows: scan ${Math.round(s.ms)} ms, bare scans of its ${tables.length} tables ${Math.round(bareMs.at(-1)!)} ms`);
  }
  const byRule: Record<string, number> = {};
  for (const f of last.findings) {
    const rule = f.id.replace(/-\d+$/, '');
    byRule[rule] = (byRule[rule] ?? 0) + 1;
  }
  const scanMedianMs = median(scanMs);
  const bareMedianMs = median(bareMs);
  return {
    rows,
    runs,
    scanMs: scanMs.map((m) => round(m)),
    bareMs: bareMs.map((m) => round(m)),
    scanMedianMs: round(scanMedianMs),
    bareMedianMs: round(bareMedianMs),
    ratio: round(scanMedianMs / bareMedianMs, 2),
    bareByTable: Object.fromEntries(Object.entries(perTable).map(([t, v]) => [t, round(median(v))])),
    ...counted,
    reads: last.reads,
    findings: last.findings.length,
    byRule,
  };
}
