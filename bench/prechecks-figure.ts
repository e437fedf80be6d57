import pg from 'pg';
import { loadCatalog, type Catalog } from '../src/db/catalog.js';
import { prepareFinding, type PreparedFinding } from '../src/engine/plan/prepare.js';
import { runPrechecks } from '../src/engine/checks/prechecks.js';
import { AggregateJoins } from '../src/engine/checks/decorrelate.js';
import type { Finding } from '../src/findings/model.js';
import type { PlaybookSet } from '../src/playbooks/load.js';
import { ensureParser } from '../src/playbooks/expression.js';
import { median, round, timed } from './stats.js';

/**
 * Figure 1: every precheck of the demo findings, counted by pgmend (one scan per table for all its
 * predicate checks, in one read-only snapshot) and the naive way (one `SELECT count(*) … WHERE
 * pred` per check, the same predicates). Both sides count the same rows — checked. Warm cache: one
 * untimed pass of each first, which also counts the table reads in the plans it runs.
 *
 * Figure 1b: the counter checks alone, each as the correlated subquery the finding writes vs the
 * grouped join pgmend runs instead (src/engine/checks/decorrelate.ts).
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
  /** Whole-table reads per table in the plans run (only tables read so). */
  pgmendScans: Record<string, number>;
  naiveScans: Record<string, number>;
  /** Index scans per table in the plans run (an index read, the table only where it points). */
  pgmendIndexReads: Record<string, number>;
  naiveIndexReads: Record<string, number>;
  /**
   * The alternative that reads each parent once: pgmend's fused statement with every parent of an
   * orphan join shared as a MATERIALIZED CTE, against the statement as pgmend runs it (medians).
   */
  sharedParents: { parents: string[]; fusedMs: number; sharedMs: number; sameResult: boolean } | null;
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
export async function pgmendPass(client: pg.Client, { catalog, prepared }: Prepared): Promise<Counts> {
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

/** The client, with `hook` run before each of its queries (given the query and the unhooked `query`). */
function beforeEachQuery(client: pg.Client, hook: (sql: string, query: (sql: string) => Promise<pg.QueryResult>) => void | Promise<void>): pg.Client {
  const query = client.query.bind(client) as (sql: string) => Promise<pg.QueryResult>;
  return Object.assign(Object.create(client) as pg.Client, {
    query: async (sql: string) => {
      await hook(sql, query);
      return query(sql);
    },
  });
}

/** Whole-table reads per table in the plans a pass executed, and index-driven reads. */
interface PlanScans {
  seq: Record<string, number>;
  index: Record<string, number>;
}

/**
 * Counts the reads of each table in the plans the queries of a pass actually ran — in parallel, as
 * timed: each query is first run under EXPLAIN (ANALYZE) (so each runs twice in this untimed pass).
 * A sequential scan node is one read of the whole table when parallel-aware (its workers share the
 * pages), and one per loop otherwise (each worker, or each rescan, reads the whole table: a small
 * parent hashed by every worker of a parallel join). Index scans are counted apart: they read an
 * index, and the table only where the index points.
 */
async function countScans(url: string, pass: (c: pg.Client) => Promise<unknown>): Promise<PlanScans> {
  const c = new pg.Client({ connectionString: url, application_name: 'pgmend-bench' });
  await c.connect();
  const out: PlanScans = { seq: {}, index: {} };
  const add = (to: Record<string, number>, t: string, n: number) => (to[t] = (to[t] ?? 0) + n);
  interface Node {
    'Node Type': string;
    'Relation Name'?: string;
    'Parallel Aware'?: boolean;
    'Actual Loops': number;
    Plans?: Node[];
  }
  const walk = (n: Node) => {
    const t = n['Relation Name'];
    if (t && n['Actual Loops'] > 0) {
      if (n['Node Type'] === 'Seq Scan') add(out.seq, t, n['Parallel Aware'] ? 1 : n['Actual Loops']);
      else if (/Index|Bitmap Heap/.test(n['Node Type'])) add(out.index, t, 1);
    }
    for (const child of n.Plans ?? []) walk(child);
  };
  const explaining = beforeEachQuery(c, async (sql, query) => {
    if (!/^\s*(WITH|SELECT)\b/i.test(sql)) return;
    const { rows } = await query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
    walk((rows[0]['QUERY PLAN'] as { Plan: Node }[])[0]!.Plan);
  });
  try {
    await pass(explaining);
    return out;
  } finally {
    await c.end();
  }
}

/** The fused statement of a pgmend pass, as it ran (the first statement with a fused scan). */
async function fusedStatement(client: pg.Client, prepared: Prepared): Promise<string | undefined> {
  let sql: string | undefined;
  const spy = beforeEachQuery(client, (q) => {
    if (!sql && /^WITH pgmend_f\d+ AS MATERIALIZED/.test(q)) sql = q;
  });
  await pgmendPass(spy, prepared);
  return sql;
}

/** The same statement with each parent an orphan join reads, `(SELECT k AS pgmend_k0 FROM parent)`, shared as one MATERIALIZED CTE. */
function shareParents(sql: string): { sql: string; parents: string[] } {
  const parents = new Map<string, string>();
  const body = sql.replace(/\(SELECT ([\w", ]+ AS pgmend_k\d+(?:, [\w"]+ AS pgmend_k\d+)*) FROM ([\w."]+)\)/g, (whole) => {
    const name = parents.get(whole) ?? `pgmend_shared${parents.size}`;
    parents.set(whole, name);
    return name;
  });
  const ctes = [...parents].map(([select, name]) => `${name} AS MATERIALIZED ${select}`);
  return { sql: `WITH ${ctes.join(',\n')},\n${body.replace(/^WITH /, '')}`, parents: [...parents.keys()].map((x) => /FROM ([\w."]+)\)$/.exec(x)![1]!) };
}

async function sharedParentsFigure(client: pg.Client, prepared: Prepared): Promise<PrechecksResult['sharedParents']> {
  const fused = await fusedStatement(client, prepared);
  if (!fused) return null;
  const shared = shareParents(fused);
  const run = async (sql: string) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await timed(async () => (await client.query(sql)).rows);
    } finally {
      await client.query('COMMIT');
    }
  };
  const a: number[] = [];
  const b: number[] = [];
  let same = true;
  for (let i = 0; i < 2; i++) {
    const x = await run(fused);
    const y = await run(shared.sql);
    a.push(x.ms);
    b.push(y.ms);
    same &&= JSON.stringify(x.value) === JSON.stringify(y.value);
  }
  return { parents: shared.parents, fusedMs: round(median(a)), sharedMs: round(median(b)), sameResult: same };
}

export async function prechecksFigure(url: string, findings: Finding[], playbooks: PlaybookSet, runs: number, log: (m: string) => void): Promise<PrechecksResult> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgmend-bench' });
  await client.connect();
  try {
    const prepared = await prepareAll(client, findings, playbooks);
    const { prepared: list } = prepared;
    const checks = list.reduce((n, p) => n + p.checks.filter((c) => !c.spec.extra).length, 0);
    const predicateChecks = list.reduce((n, p) => n + p.checks.filter((c) => !c.spec.extra && c.predicate && !c.count).length, 0);
    // Untimed first passes count the table reads in the plans run and warm the cache.
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
    const sharedParents = await sharedParentsFigure(client, prepared);
    if (sharedParents) log(`  fused statement ${Math.round(sharedParents.fusedMs)} ms; with its parents shared as CTEs ${Math.round(sharedParents.sharedMs)} ms`);
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
      sharedParents,
      pgmendIndexReads: pg1.index,
      naiveIndexReads: nv1.index,
      tablesTouched: [...new Set([...Object.keys(pg1.seq), ...Object.keys(pg1.index)])].sort(),
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
