import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { buildPlan, PLAN_DEFAULTS } from '../src/engine/plan/plan.js';
import { resolveTarget } from '../src/db/connection.js';
import type { Plan } from '../src/engine/plan/plan-model.js';
import type { Finding } from '../src/findings/model.js';
import type { PlaybookSet } from '../src/playbooks/load.js';
import { median, round } from './stats.js';

/**
 * Figure 4: the review TUI on a plan of 1,000 findings — keypress to frame (p95) and memory.
 * The plan is the real engine's plan of the demo database (small, unscaled: the TUI only reads the
 * plan), its 76 findings repeated under new ids up to 1,000. Each run is a fresh child process.
 */

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface TuiRun {
  findings: number;
  frames: number;
  missed: number;
  firstFrameMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  worst: { what: string; ms: number }[];
  rssMb: number;
  peakRssMb: number;
}

export interface TuiResult {
  findings: number;
  keysPerRun: number;
  terminal: string;
  runs: TuiRun[];
  p95MsMedian: number;
  maxMsMedian: number;
  peakRssMbMedian: number;
}

export function repeatPlan(plan: Plan, count: number): Plan {
  const findings = Array.from({ length: count }, (_, i) => {
    const f = plan.findings[i % plan.findings.length]!;
    const round = Math.floor(i / plan.findings.length);
    const id = round === 0 ? f.id : `${f.id}-${round + 1}`;
    return { ...f, id, finding: { ...f.finding, id } };
  });
  return { ...plan, findings };
}

export async function tuiFigure(url: string, findings: Finding[], playbooks: PlaybookSet, count: number, runs: number, log: (m: string) => void): Promise<TuiResult> {
  const plan = await buildPlan({ target: resolveTarget(url), findings, playbooks, mode: 'window', rehearse: true, ...PLAN_DEFAULTS });
  const big = repeatPlan(plan, count);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-bench-tui-'));
  const file = path.join(dir, 'plan.json');
  await writeFile(file, JSON.stringify(big));
  const results: (TuiRun & { keys: number; terminal: string })[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const child = await execa(process.execPath, [path.join(BENCH_DIR, 'tui-child.mjs'), file], {
        cwd: path.resolve(BENCH_DIR, '..'),
        // As `pgmend review` runs it: React's production build.
        env: { NODE_NO_WARNINGS: '1', NODE_ENV: 'production' },
        reject: false,
      });
      if (child.exitCode !== 0) throw new Error(`tui child failed: ${child.stderr.split('\n').slice(0, 5).join(' ')}`);
      const last = child.stdout.trim().split('\n').at(-1)!;
      results.push(JSON.parse(last));
      const x = results.at(-1)!;
      log(`  TUI run ${r + 1}/${runs}: ${x.frames} frames, p95 ${x.p95Ms} ms, max ${x.maxMs} ms, peak RSS ${x.peakRssMb} MB`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return {
    findings: count,
    keysPerRun: results[0]!.keys,
    terminal: results[0]!.terminal,
    runs: results.map(({ keys: _k, terminal: _t, ...rest }) => rest),
    p95MsMedian: round(median(results.map((x) => x.p95Ms)), 2),
    maxMsMedian: round(median(results.map((x) => x.maxMs)), 2),
    peakRssMbMedian: round(median(results.map((x) => x.peakRssMb)), 1),
  };
}
