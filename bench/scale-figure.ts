import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { median, round } from './stats.js';

/**
 * Figures 5 and 6: `plan --mode online` of the demo findings at two sizes of the big tables — its
 * peak RSS (flat: samples are bounded and nothing loads a table into memory) and its online
 * rehearsal (catalog-time steps; VALIDATE and index builds are skipped, batched repairs planned
 * with the prechecks' counts) and apply-order replay. Each run is a fresh
 * child process on the built dist/, so the RSS is the plan's alone.
 */

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const FINDINGS = path.resolve(BENCH_DIR, '../examples/actorhub/findings.yaml');

interface ChildResult {
  planMs: number;
  timings: Record<string, number>;
  peakRssMb: number;
  rehearsed: number;
  rehearsalCatalogOnly: { findings: number; ms: number; maxMs: number };
  rehearsalRowChanging: { findings: number; ids: string[]; ms: number; maxMs: number };
  failed: string[];
}

export interface ScalePoint {
  rows: number;
  runs: ChildResult[];
  peakRssMbMedian: number;
  planMsMedian: number;
  prechecksMsMedian: number;
  cascadeMsMedian: number;
  /** The whole online rehearsal phase. */
  rehearsalMsMedian: number;
  /** Findings whose online steps are catalog-only: summed rehearsal time, and the slowest one. */
  catalogOnlyFindings: number;
  catalogOnlyMsMedian: number;
  catalogOnlyMaxMsMedian: number;
  /** Findings whose steps change rows (counter repairs): planned, not run, online; their rows are the prechecks' counts. */
  rowChangingFindings: string[];
  rowChangingMsMedian: number;
  /** The pass that replays interacting findings' row changes in apply order (none interact in findings.yaml). */
  applyOrderMsMedian: number;
}

export async function scalePoint(url: string, rows: number, runs: number, log: (m: string) => void): Promise<ScalePoint> {
  const results: ChildResult[] = [];
  for (let r = 0; r < runs; r++) {
    const child = await execa(process.execPath, [path.join(BENCH_DIR, 'plan-child.mjs'), url, FINDINGS], { env: { NODE_NO_WARNINGS: '1' }, reject: false });
    if (child.exitCode !== 0) throw new Error(`plan child failed: ${child.stderr.split('\n').slice(0, 5).join(' ')}`);
    const res = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as ChildResult;
    if (res.failed.length) throw new Error(`plan at ${rows} rows: ${res.failed.join('; ')}`);
    results.push(res);
    log(
      `  plan at ${rows.toLocaleString('en-US')} rows, run ${r + 1}/${runs}: ${Math.round(res.planMs)} ms, peak RSS ${res.peakRssMb} MB, ` +
        `rehearsal ${res.timings.rehearsal} ms (catalog-only findings ${res.rehearsalCatalogOnly.ms} ms, counter repairs ${res.rehearsalRowChanging.ms} ms)`,
    );
  }
  const m = (f: (r: ChildResult) => number) => round(median(results.map(f)));
  return {
    rows,
    runs: results,
    peakRssMbMedian: m((r) => r.peakRssMb),
    planMsMedian: m((r) => r.planMs),
    prechecksMsMedian: m((r) => r.timings.prechecks ?? NaN),
    cascadeMsMedian: m((r) => r.timings.cascade ?? NaN),
    rehearsalMsMedian: m((r) => r.timings.rehearsal ?? NaN),
    catalogOnlyFindings: results[0]!.rehearsalCatalogOnly.findings,
    catalogOnlyMsMedian: m((r) => r.rehearsalCatalogOnly.ms),
    catalogOnlyMaxMsMedian: m((r) => r.rehearsalCatalogOnly.maxMs),
    rowChangingFindings: results[0]!.rehearsalRowChanging.ids,
    rowChangingMsMedian: m((r) => r.rehearsalRowChanging.ms),
    applyOrderMsMedian: m((r) => r.timings['rehearsal-apply-order'] ?? NaN),
  };
}
