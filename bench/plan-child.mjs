import { readFileSync } from 'node:fs';
import { buildPlan, PLAN_DEFAULTS } from '../dist/engine/plan/plan.js';
import { resolveTarget } from '../dist/db/connection.js';
import { loadPlaybooks } from '../dist/playbooks/load.js';
import { loadFindingsFile } from '../dist/findings/load.js';

/**
 * `pgmend plan --mode online` (or window) in its own process, with plain node on the built dist/ (as the CLI
 * runs): its peak RSS is the plan's alone. Prints one JSON line: peak RSS, phase timings and the
 * online rehearsal, split into findings whose steps are catalog-only and those that change rows.
 * Usage: node bench/plan-child.mjs URL FINDINGS_FILE [window|online]
 */

const [url, findingsFile, mode = 'online'] = process.argv.slice(2);
const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const peakRssMb = () => round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024);

const playbooks = await loadPlaybooks();
const findings = await loadFindingsFile(findingsFile, playbooks);
const t0 = performance.now();
const plan = await buildPlan({ target: resolveTarget(url), findings, playbooks, mode, rehearse: true, ...PLAN_DEFAULTS });
const planMs = performance.now() - t0;

const rehearsed = plan.findings.filter((f) => f.rehearsal && !f.rehearsal.skipped?.startsWith('fix already'));
const changesRows = (f) => f.steps.some((s) => s.backupTable || /^\s*(UPDATE|DELETE|INSERT)\b/i.test(s.sql));
const sum = (list) => list.reduce((a, f) => a + (f.rehearsal?.ms ?? 0), 0);
const catalogOnly = rehearsed.filter((f) => !changesRows(f));
const rowChanging = rehearsed.filter(changesRows);
const failed = plan.findings.filter((f) => f.status === 'error' || (f.rehearsal && !f.rehearsal.ok));
process.stdout.write(
  JSON.stringify({
    planMs: round(planMs),
    timings: plan.timings,
    peakRssMb: peakRssMb(),
    heapUsedMb: round(process.memoryUsage().heapUsed / 2 ** 20),
    findings: plan.findings.length,
    rehearsed: rehearsed.length,
    rehearsalCatalogOnly: { findings: catalogOnly.length, ms: sum(catalogOnly), maxMs: Math.max(0, ...catalogOnly.map((f) => f.rehearsal.ms)) },
    rehearsalRowChanging: { findings: rowChanging.length, ids: rowChanging.map((f) => f.id), ms: sum(rowChanging), maxMs: Math.max(0, ...rowChanging.map((f) => f.rehearsal.ms)) },
    failed: failed.map((f) => `${f.id}: ${f.error ?? f.rehearsal?.error}`),
  }) + '\n',
);
process.exit(0);
