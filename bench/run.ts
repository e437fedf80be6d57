import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Command } from 'commander';
import { loadPlaybooks } from '../src/playbooks/load.js';
import { loadFindingsFile } from '../src/findings/load.js';
import { EXAMPLES_DIR } from '../src/demo/examples.js';
import { startBenchServer } from './server.js';
import { createActorhub, growTo } from './data.js';
import { prechecksFigure, countersFigure } from './prechecks-figure.js';
import { writerFigure } from './writer-figure.js';
import { schemaFigure } from './schema-figure.js';
import { tuiFigure } from './tui-figure.js';
import { scalePoint } from './scale-figure.js';
import { scanFigure } from './scan-figure.js';
import { wholePlanPoint } from './whole-plan-figure.js';
import { evaluate, writeResults, type Results } from './results.js';
import { machine, round } from './stats.js';

/**
 * `npm run bench [-- --scale 0.2] [--runs 3]`: builds the ActorHub demo at scale on an embedded
 * PostgreSQL and measures pgmend against the naive way, writing bench/results.md and
 * bench/results.json. Not part of the test suite. See bench/README.md.
 */

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

interface Options {
  scale: number;
  runs: number;
  out: string;
  only: Set<string> | undefined;
}

const FIGURES = ['schema', 'tui', 'scale', 'scan', 'counters', 'plan', 'prechecks', 'writer'];

function parseArgs(argv: string[]): Options {
  const cmd = new Command('bench')
    .option('--scale <n>', 'size of licenses and usage_logs: scale × 5,000,000 rows (and scale × 1,000,000 for the small point)', '1')
    .option('--runs <n>', 'runs per measured figure (the median is reported)', '3')
    .option('--out <dir>', 'where results.md and results.json go', BENCH_DIR)
    .option('--only <figures>', `run only these figures, comma-separated (${FIGURES.join(', ')})`)
    .parse(argv);
  const o = cmd.opts<{ scale: string; runs: string; out: string; only?: string }>();
  const only = o.only === undefined ? undefined : new Set(o.only.split(',').map((x) => x.trim()));
  for (const f of only ?? []) if (!FIGURES.includes(f)) throw new Error(`--only ${f}: expected one of ${FIGURES.join(', ')}`);
  const scale = Number(o.scale);
  const runs = Number(o.runs);
  if (!(scale > 0 && scale <= 10)) throw new Error(`--scale ${o.scale}: expected a number in (0, 10], e.g. 0.2 for 1M rows`);
  if (!Number.isInteger(runs) || runs < 1 || runs > 9) throw new Error(`--runs ${o.runs}: expected a whole number from 1 to 9`);
  return { scale, runs, out: path.resolve(o.out), only };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv);
  const started = Date.now();
  const large = Math.round(5_000_000 * opts.scale);
  const small = Math.round(1_000_000 * opts.scale);
  const log = (m: string) => process.stdout.write(`${m}\n`);
  const phases: Record<string, number> = {};
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    log(`▸ ${name}`);
    try {
      return await fn();
    } finally {
      phases[name] = (performance.now() - t0) / 1000;
      log(`  (${round(phases[name]!, 1)} s)`);
    }
  };
  const m = machine();
  log(`pgmend bench: scale ${opts.scale} (${large.toLocaleString('en-US')} rows), ${opts.runs} runs; ${m.cores} cores, load ${m.loadAverage.join(' ')}`);

  const playbooks = await loadPlaybooks();
  const findings = await loadFindingsFile(path.join(EXAMPLES_DIR, 'actorhub', 'findings.yaml'), playbooks);
  const server = await phase('start embedded PostgreSQL', () => startBenchServer());
  const results: Results = {
    version: 1,
    startedAt: new Date(started).toISOString(),
    durationS: 0,
    command: `npm run bench -- --scale ${opts.scale} --runs ${opts.runs}${opts.only ? ` --only ${[...opts.only].join(',')}` : ''}`,
    scale: opts.scale,
    runs: opts.runs,
    rows: { small, large },
    machine: m,
    loadAverage: { start: m.loadAverage, end: [] },
    server: { version: server.version, settings: server.settings },
    generation: { steps: [], sizes: {} },
    figures: {},
    targets: [],
    phases,
  };
  const gen = (s: string) => {
    results.generation.steps.push(s);
    log(`  ${s}`);
  };
  const wants = (f: string) => !opts.only || opts.only.has(f);
  try {
    await (async () => {
    // Small and schema-only figures first: they need no big tables.
    if (wants('schema')) results.figures.schema = await phase('figure 3: plan start-up on 2,000 tables', () => schemaFigure(server, playbooks, [200, 2000], opts.runs, log));
    if (wants('tui')) {
      results.figures.tui = await phase('figure 4: TUI with 1,000 findings', async () => {
        const url = await createActorhub(server.url, 'bench_tui');
        return tuiFigure(url, findings, playbooks, 1000, opts.runs, log);
      });
    }
    if (!['scale', 'scan', 'counters', 'plan', 'prechecks', 'writer'].some(wants)) return;

    const url = await phase(`generate ActorHub at ${small.toLocaleString('en-US')} rows`, async () => {
      const u = await createActorhub(server.url, 'bench_actorhub');
      await growTo(u, small, gen);
      return u;
    });
    const smallPoint = wants('scale') ? await phase(`figures 5–6 at ${small.toLocaleString('en-US')} rows`, () => scalePoint(url, small, opts.runs, log)) : undefined;
    if (wants('scan')) results.figures.scan = { small: await phase(`figure 7: scan at ${small.toLocaleString('en-US')} rows`, () => scanFigure(url, small, opts.runs, log)) };
    const smallPlan = wants('plan') ? await phase(`figure 8: whole plan at ${small.toLocaleString('en-US')} rows`, () => wholePlanPoint(url, small, findings, playbooks, opts.runs, log)) : undefined;
    if (wants('counters')) results.figures.counters = await phase('figure 1b: counter checks, correlated vs grouped', () => countersFigure(url, findings, playbooks));
    if (!['scale', 'scan', 'plan', 'prechecks', 'writer'].some(wants)) return;
    await phase(`grow to ${large.toLocaleString('en-US')} rows`, () => growTo(url, large, gen));
    results.generation.sizes = await tableSizes(url);
    if (smallPoint) {
      const largePoint = await phase(`figures 5–6 at ${large.toLocaleString('en-US')} rows`, () => scalePoint(url, large, opts.runs, log));
      results.figures.scale = { small: smallPoint, large: largePoint };
    }
    if (results.figures.scan) results.figures.scan.large = await phase(`figure 7: scan at ${large.toLocaleString('en-US')} rows`, () => scanFigure(url, large, opts.runs, log));
    if (smallPlan) {
      const largePlan = await phase(`figure 8: whole plan at ${large.toLocaleString('en-US')} rows`, () => wholePlanPoint(url, large, findings, playbooks, opts.runs, log));
      results.figures.plan = { small: smallPlan, large: largePlan };
    }
    if (wants('prechecks')) results.figures.prechecks = await phase('figure 1: prechecks, batched vs one query per check', () => prechecksFigure(url, findings, playbooks, opts.runs, log));
    // Last: it changes the data (resolves the CHECK violations first).
    if (wants('writer')) results.figures.writer = await phase('figure 2: writer latency while fixes are added', () => writerFigure(url, large, findings, playbooks, opts.runs, log));
    })();
  } finally {
    await server.stop();
  }
  results.loadAverage.end = os.loadavg().map((l) => round(l, 2));
  results.durationS = round((Date.now() - started) / 1000, 1);
  results.targets = evaluate(results);
  await writeResults(results, opts.out);
  log(`\n${results.targets.map((t) => `${t.met === true ? 'met   ' : t.met === 'partly' ? 'partly' : 'MISSED'}  ${t.figure}: ${t.measured.replaceAll('**', '')}`).join('\n')}`);
  log(`\nwrote ${path.join(opts.out, 'results.md')} and results.json in ${round(results.durationS / 60, 1)} min`);
}

async function tableSizes(url: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ t: string; heap: string; total: string }>(
      `SELECT relname AS t, pg_size_pretty(pg_relation_size(oid)) AS heap, pg_size_pretty(pg_total_relation_size(oid)) AS total
       FROM pg_class WHERE relname IN ('licenses', 'usage_logs') ORDER BY 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.t, `${r.heap} (${r.total} with indexes)`]));
  } finally {
    await c.end();
  }
}

// Exit explicitly, with the real code: a child or client left open must not hold the bench up.
main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);

