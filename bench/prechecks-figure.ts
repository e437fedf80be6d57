import pg from 'pg';
import { loadCatalog, type Catalog } from '../src/db/catalog.js';
import { prepareFinding, type PreparedFinding } from '../src/engine/prepare.js';
import { runPrechecks } from '../src/engine/prechecks.js';
import { AggregateJoins } from '../src/engine/decorrelate.js';
import type { Finding } from '../src/findings/model.js';
import type { PlaybookSet } from '../src/playbooks/load.js';
import { ensureParser } from '../src/playbooks/expression.js';
import { median, round, timed } from './stats.js';

/**
 * Figure 1: every precheck of the demo findings, counted by pgmend (one scan per table for all its
 * predicate checks, in one read-only snapshot) and the naive way (one `SELECT count(*) … WHERE
 * pred` per check, the same predicates). Both sides count the same rows — checked. Warm cache: one
 * untimed pass of each first, with parallel query off, which also counts the table scans
 * (pg_stat_user_tables): a scan counts once, not once per worker.
 *
 * Figure 1b: the counter checks alone, each as the correlated subquery the finding writes vs the
 * grouped join pgmend runs instead (src/engine/decorrelate.ts).
 */

export interface PrechecksResult {
  checks: number;
  predicateChecks: number;
  runs: number;
  pgmendMs: number[];
  naiveMs: number[];
  pgmendMedianMs: number;
  naiveMedianMs: number;
  ratio: number;
  sameCounts: boolean;
  /** One query per check as the findings write them (counters as correlated subqueries): one run, slow by nature. */
  asWrittenMs: number;
  asWrittenRatio: number;
  asWrittenSameCounts: boolean;
  /** Sequential scans per table (only tables scanned). */
  pgmendScans: Record<string, number>;
  naiveScans: Record<string, number>;
  /** Tables whose rows the checks read (scanned or probed through an index). */
  tablesTouched: string[];
}

export interface CountersResult {
  findings: string[];
  correlatedMs: number;
  groupedMs: number;
  ratio: number;
  sameCounts: boolean;
}

type Counts = Map<string, number>;

interface Prepared {
  catalog: Catalog;
  prepared: PreparedFinding[];
}

export async function prepareAll(client: pg.Client, findings: Finding[], playbooks: PlaybookSet): Promise<Prepared> {
  await ensureParser();
  const catalog = await loadCatalog(client);
  const prepared: PreparedFinding[] = [];
  for (const f of findings) {
    const p = prepareFinding(catalog, playbooks, f, 'window', 0);
    if (!p.ok) throw new Error(`${f.id}: ${p.error}`);
    prepared.push(p.value);
  }
  return { catalog, prepared };
}

/** As `plan` runs them: one read-only snapshot, the catalog at hand. Counts only (no samples). */
async function pgmendPass(client: pg.Client, { catalog, prepared }: Prepared): Promise<Counts> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    await client.query('SAVEPOINT pgmend_precheck');
    const outcomes = await runPrechecks(client, prepared, { sampleSize: 0, catalog });
    const counts: Counts = new Map();
    for (const [id, o] of outcomes) {
      if (!o.ok) throw new Error(`${id}: ${o.error}`);
      for (const c of o.checks) counts.set(`${id}/${c.id}`, c.rows);
    }
    return counts;
  } finally {
    await client.query('COMMIT');
  }
}

/**
 * The naive way: each check its own query, autocommit. `asWritten`: the predicate exactly as the
 * finding writes it (a counter's correlated subquery included); otherwise with pgmend's grouped
 * rewrite of counters, so the comparison measures batching alone.
 */
async function naivePass(client: pg.Client, { prepared }: Prepared, asWritten = false): Promise<Counts> {
  const counts: Counts = new Map();
  for (const p of prepared) {
    for (const check of p.checks) {
      if (check.spec.extra) continue;
      const key = `${p.finding.id}/${check.spec.id}`;
      if (check.predicate && !check.count) {
        const joins = new AggregateJoins({ schema: p.target!.schema, name: p.target!.name });
        const predicate = asWritten ? check.predicate : joins.rewrite(check.predicate);
        const { rows } = await client.query(`${joins.with()}SELECT count(*) AS n FROM ${p.view.table as string}${joins.joins()} WHERE ${predicate}`);
        counts.set(key, Number(rows[0].n));
      } else if (check.count) {
        const { rows } = await client.query(check.count);
        counts.set(key, Number(rows[0].rows));
      }
    }
  }
  return counts;
}

const same = (a: Counts, b: Counts) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

interface TableStats {
  seq: Record<string, number>;
  idx: Record<string, number>;
}

async function tableStats(observer: pg.Client): Promise<TableStats> {
  await observer.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await observer.query<{ t: string; seq: string; idx: string | null }>(
    `SELECT relname AS t, seq_scan AS seq, idx_scan AS idx FROM pg_stat_user_tables WHERE schemaname = 'public'`,
  );
  const out: TableStats = { seq: {}, idx: {} };
  for (const r of rows) {
    out.seq[r.t] = Number(r.seq);
    out.idx[r.t] = Number(r.idx ?? 0);
  }
  return out;
}

/** Runs `pass` once with parallel query off and returns the scans it made, per table. */
async function countScans(url: string, pass: (c: pg.Client) => Promise<unknown>): Promise<{ seq: Record<string, number>; touched: string[] }> {
  const c = new pg.Client({ connectionString: url, application_name: 'pgmend-bench' });
  const observer = new pg.Client({ connectionString: url, application_name: 'pgmend-bench-observer' });
  await c.connect();
  await observer.connect();
  try {
    await observer.query(`SET stats_fetch_consistency = none`);
    await c.query('SET max_parallel_workers_per_gather = 0');
    const before = await tableStats(observer);
    await pass(c);
    // Backends report table stats when idle, at most once a second: force this one out now.
    await c.query('SELECT pg_stat_force_next_flush()');
    await c.query('SELECT 1');
    await new Promise((r) => setTimeout(r, 200));
    const after = await tableStats(observer);
    const seq: Record<string, number> = {};
    const touched: string[] = [];
    for (const t of Object.keys(after.seq).sort()) {
      const ds = after.seq[t]! - (before.seq[t] ?? 0);
      const di = after.idx[t]! - (before.idx[t] ?? 0);
      if (ds > 0) seq[t] = ds;
      if (ds > 0 || di > 0) touched.push(t);
    }
    return { seq, touched };
  } finally {
    await c.end();
    await observer.end();
  }
}

export async function prechecksFigure(url: string, findings: Finding[], playbooks: PlaybookSet, runs: number, log: (m: string) => void): Promise<PrechecksResult> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgmend-bench' });
  await client.connect();
  try {
    const prepared = await prepareAll(client, findings, playbooks);
    const { prepared: list } = prepared;
    const checks = list.reduce((n, p) => n + p.checks.filter((c) => !c.spec.extra).length, 0);
    const predicateChecks = list.reduce((n, p) => n + p.checks.filter((c) => !c.spec.extra && c.predicate && !c.count).length, 0);
    // Untimed first passes (parallel query off, so each scan counts once) count the scans and warm the cache.
    let a: Counts = new Map();
    let b: Counts = new Map();
    const pg1 = await countScans(url, async (c) => (a = await pgmendPass(c, prepared)));
    const nv1 = await countScans(url, async (c) => (b = await naivePass(c, prepared)));
    const pgmendMs: number[] = [];
    const naiveMs: number[] = [];
    for (let i = 0; i < runs; i++) {
      pgmendMs.push((await timed(() => pgmendPass(client, prepared))).ms);
      naiveMs.push((await timed(() => naivePass(client, prepared))).ms);
      log(`  prechecks run ${i + 1}/${runs}: pgmend ${Math.round(pgmendMs.at(-1)!)} ms, one query per check ${Math.round(naiveMs.at(-1)!)} ms`);
    }
    const asWritten = await timed(() => naivePass(client, prepared, true));
    log(`  one query per check as the findings write them: ${Math.round(asWritten.ms)} ms`);
    const pgmendMedianMs = median(pgmendMs);
    const naiveMedianMs = median(naiveMs);
    return {
      checks,
      predicateChecks,
      runs,
      pgmendMs: pgmendMs.map((m) => round(m)),
      naiveMs: naiveMs.map((m) => round(m)),
      pgmendMedianMs: round(pgmendMedianMs),
      naiveMedianMs: round(naiveMedianMs),
      ratio: round(naiveMedianMs / pgmendMedianMs, 2),
      sameCounts: same(a, b),
      asWrittenMs: round(asWritten.ms),
      asWrittenRatio: round(asWritten.ms / pgmendMedianMs, 1),
      asWrittenSameCounts: same(a, asWritten.value),
      pgmendScans: pg1.seq,
      naiveScans: nv1.seq,
      tablesTouched: pg1.touched,
    };
  } finally {
    await client.end();
  }
}

/** Figure 1b: counter checks, correlated as written vs grouped (one run each: the correlated side is slow by nature). */
export async function countersFigure(url: string, findings: Finding[], playbooks: PlaybookSet): Promise<CountersResult> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgmend-bench' });
  await client.connect();
  try {
    const prepared = (await prepareAll(client, findings, playbooks)).prepared.filter((p) => p.finding.playbook === 'counter');
    const correlated: Counts = new Map();
    const grouped: Counts = new Map();
    const run = async (into: Counts, rewrite: boolean) => {
      for (const p of prepared) {
        for (const check of p.checks.filter((c) => c.predicate && !c.count)) {
          const joins = new AggregateJoins({ schema: p.target!.schema, name: p.target!.name });
          const predicate = rewrite ? joins.rewrite(check.predicate!) : check.predicate!;
          const { rows } = await client.query(`${joins.with()}SELECT count(*) AS n FROM ${p.view.table as string}${joins.joins()} WHERE ${predicate}`);
          into.set(`${p.finding.id}/${check.spec.id}`, Number(rows[0].n));
        }
      }
    };
    await run(grouped, true); // warm
    const g = await timed(() => run(grouped, true));
    const c = await timed(() => run(correlated, false));
    return {
      findings: prepared.map((p) => p.finding.id),
      correlatedMs: round(c.ms),
      groupedMs: round(g.ms),
      ratio: round(c.ms / g.ms, 1),
      sameCounts: same(correlated, grouped),
    };
  } finally {
    await client.end();
  }
}
