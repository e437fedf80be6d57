import {
  changedRowsText,
  rehearsedChanges,
  buildPlan,
  PLAN_DEFAULTS,
  applyPlan,
  selectFindings,
  resumeRun,
  parseWindow,
  windowState,
  formatDuration,
  outsideWindow,
  isApplicable,
  isSignedOffSkipped,
  signedOffText,
  blockingLeft,
  describeTableLocks,
  flatSteps,
  type ApplyEvent,
  type ApplyResult,
  type Mode,
  type Plan,
} from '../engine/index.js';
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { action } from './run.js';
import { dbOption, engineInputs, positiveInt } from './options.js';
import { resolveTarget, describe } from '../db/connection.js';
import { loadPlaybooks } from '../playbooks/load.js';
import { parsePlanJson } from '../export/index.js';
import { skipReason } from '../export/summary.js';
import { UsageError, Refusal } from '../util/errors.js';
import { progressReporter } from './progress.js';
import { confirmDatabaseName } from './confirm.js';

interface ApplyArgs {
  db?: string;
  findings?: string;
  plan?: string;
  only?: string;
  ready?: boolean;
  mode?: Mode;
  window?: string;
  yes?: boolean;
  resume?: string;
  playbooks?: string;
  lockTimeout: string;
  lockRetries: string;
  snapshots?: string;
}

/** `pgmend apply`: the fix, inside the maintenance window, after typed confirmation. */
export function registerApply(program: Command): void {
  const cmd = program
    .command('apply')
    .description('apply the fixes in a maintenance window: one transaction (window) or short lock-light steps (online)')
    .option('--findings <file>', 'findings file: plan it now, then apply')
    .option('--plan <plan.json>', 'a reviewed plan (plan --format json); refused if it went stale')
    .option('--only <ids>', 'comma-separated finding ids to apply')
    .option('--ready', 'apply every ready and resolved finding; list what is left out (blocked, error, signed off as skipped) and why')
    .addOption(new Option('--mode <mode>', 'window: one transaction; online: lock-light steps').choices(['window', 'online']))
    .option('--window <range>', 'HH:MM-HH:MM (local, daily) or ISO-8601 START/END; refused outside it')
    .option('--yes', 'do not ask for confirmation')
    .option('--resume <run>', 'continue an interrupted online-mode run')
    .option('--playbooks <dir>', 'directory of extra or replacement playbook YAML files')
    .option('--lock-timeout <ms>', 'lock_timeout per attempt, ms', String(PLAN_DEFAULTS.lockTimeoutMs))
    .option('--lock-retries <n>', 'attempts per lock before giving up (backoff doubles)', '5')
    .option('--snapshots <dir>', 'where schema snapshots are written (default: snapshots/)');
  dbOption(cmd);
  cmd.action(
    action(async (args: ApplyArgs) => {
      if (!args.window) throw new UsageError('--window is required', 'e.g. --window 22:00-02:00 or --window 2026-11-22T22:00Z/2026-11-23T02:00Z');
      const window = parseWindow(args.window);
      // Refuse outside the window before connecting at all.
      const state = windowState(window);
      if (!state.inside) {
        throw outsideWindow(window, state, 'nothing was changed');
      }
      const lockTimeoutMs = positiveInt(args.lockTimeout, '--lock-timeout', 1);
      const lockRetries = positiveInt(args.lockRetries, '--lock-retries', 1);
      const target = resolveTarget(args.db);
      const playbooks = await loadPlaybooks(args.playbooks);
      const common = { target, playbooks, window, lockTimeoutMs, lockRetries, ...(args.snapshots ? { snapshotDir: args.snapshots } : {}) };

      if (args.resume) {
        if (!args.yes && !(await confirm(target.database, `resume run ${args.resume}`))) return 1;
        return report(await resumeRun({ ...common, onProgress: stepPrinter() }, positiveInt(args.resume, '--resume', 1)));
      }
      if (Boolean(args.findings) === Boolean(args.plan)) throw new UsageError('give exactly one of --findings or --plan');
      if (args.ready && args.only) throw new UsageError('give --ready or --only, not both', '--ready takes every ready and resolved finding; --only names them');
      let plan: Plan;
      let mode: Mode;
      if (args.plan) {
        plan = parsePlanJson(await readFile(args.plan, 'utf8').catch((e: { code?: string }) => {
          const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.code === 'EACCES' ? 'permission denied' : String(e.code ?? e);
          throw new UsageError(`cannot read plan file ${args.plan}: ${why}`, 'write one with pgmend plan --format json --out FILE');
        }), args.plan);
        mode = args.mode ?? plan.mode;
        if (mode !== plan.mode) throw new UsageError(`the plan was made for ${plan.mode} mode, not ${mode}`, `make a new plan with --mode ${mode}`);
      } else {
        const inputs = await engineInputs({ ...args, mode: args.mode ?? 'window', statementTimeout: String(PLAN_DEFAULTS.statementTimeoutMs), sample: '5' }, args.findings);
        mode = inputs.mode;
        const progress = progressReporter(process.stderr);
        plan = await buildPlan({ ...inputs, rehearse: true, onProgress: progress.onEvent });
        progress.done(plan);
      }
      const only = args.ready ? readyFindings(plan) : args.only?.split(',').map((s) => s.trim()).filter(Boolean);
      if (!only) reportSignedOffSkips(plan);
      const { selected, already } = selectFindings(plan, only); // refuses blocked findings up front
      printWhatWillRun(plan, selected, already, mode, state.ms);
      if (selected.length > 0 && !args.yes && !(await confirm(target.database, `apply ${selected.length} finding(s) to ${describe(target)}`))) return 1;
      return report(await applyPlan({ ...common, plan, mode, ...(only ? { only } : {}), onProgress: stepPrinter() }));
    }),
  );
}

/**
 * `--ready`: every ready or resolved finding, except those a reviewer signed off as skipped; what
 * is left out is listed with why. Refused when nothing is left to apply.
 */
function readyFindings(plan: Plan): string[] {
  const skipped = (f: Plan['findings'][number]) => isSignedOffSkipped(f.finding);
  const ready = plan.findings.filter((f) => isApplicable(f) && !skipped(f));
  const left = plan.findings.filter((f) => f.status !== 'applied' && !ready.includes(f));
  if (left.length) {
    process.stderr.write(`pgmend: --ready leaves out ${left.length} finding(s):\n`);
    for (const f of left) {
      const why = skipped(f) ? signedOffText(f.finding.review!) : skipReason(f);
      process.stderr.write(`  - ${f.id} ${why}\n`);
    }
  }
  if (!ready.length && left.length) throw new Refusal('no finding is ready or resolved', 'resolve blocked findings (pgmend review, or resolution: in the findings file), then apply again');
  return ready.map((f) => f.id);
}

/** Without --only, findings a reviewer signed off as skipped stay out of the run: say which. */
function reportSignedOffSkips(plan: Plan): void {
  const skipped = plan.findings.filter((f) => isSignedOffSkipped(f.finding) && f.status !== 'applied');
  if (!skipped.length) return;
  process.stderr.write(`pgmend: leaves out ${skipped.length} finding(s) signed off as skipped (name them in --only to apply them anyway):\n`);
  for (const f of skipped) process.stderr.write(`  - ${f.id} ${skipReason(f)}\n`);
}

async function confirm(database: string, what: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new Refusal('no terminal to confirm in', 'review with pgmend plan, then run apply again with --yes');
  }
  const ok = await confirmDatabaseName(database, what);
  if (!ok) process.stderr.write('pgmend: cancelled — nothing was changed\n');
  return ok;
}

function printWhatWillRun(plan: Plan, selected: Plan['findings'], already: Plan['findings'], mode: Mode, msLeft: number): void {
  const out = process.stderr;
  out.write(`pgmend: ${mode} mode, ${formatDuration(msLeft)} left in the window; plan ${plan.id} (fingerprint ${plan.fingerprint})\n`);
  for (const f of selected) {
    // What the checks counted, and what the run will change (rehearsed): a duplicate group keeps a row.
    const counted = blockingLeft(f.checks).map((c) => `${c.rows} ${c.id} rows`);
    const will = rehearsedChanges(f);
    const rows = will === undefined || will.deleted + will.updated === 0 ? counted : [...counted, `will change: ${changedRowsText(will)}`];
    const steps = flatSteps(f.steps);
    const locks = describeTableLocks(steps);
    out.write(`  • ${f.id} ${f.title} — ${steps.length} step(s)${rows.length ? `; ${rows.join(', ')}` : ''}; locks per table: ${locks || 'none'}\n`);
  }
  for (const f of already) out.write(`  = ${f.id} already in place (${f.appliedReason ?? 'applied'}): no-op\n`);
}

function stepPrinter(): (e: ApplyEvent) => void {
  return (e) => {
    if (e.kind === 'note') process.stderr.write(`pgmend: ${e.text}\n`);
    if (e.kind === 'step' && e.status !== 'running') {
      const what = e.status === 'done' ? `✔ ${e.rows ?? 0} row(s), ${e.ms ?? 0} ms` : '✖ failed';
      process.stderr.write(`  ${e.findingId} ${e.index + 1}/${e.total} ${e.description}: ${what}\n`);
    }
  };
}

function report(r: ApplyResult): number {
  const out = process.stdout;
  for (const f of r.findings.filter((x) => x.outcome === 'already-applied')) out.write(`${f.id}: already applied — nothing to do (${f.reason})\n`);
  if (r.status === 'committed') {
    // Per finding, what the run changed (as its statements reported it), then the total.
    const applied = r.findings.filter((f) => f.outcome === 'applied');
    for (const f of applied) out.write(`${f.id}: applied, ${changedRowsText(f)}\n`);
    out.write(`applied ${applied.length} finding(s), ${r.rowsChanged} row(s) changed and backed up — journal run ${r.runId}${r.snapshotFile ? `, snapshot ${r.snapshotFile}` : ''}\n`);
    out.write(`undo with: pgmend rollback --run ${r.runId}\n`);
    return 0;
  }
  if (r.status === 'nothing-to-do') {
    out.write('nothing to apply: every selected finding is already in place\n');
    return 0;
  }
  process.stderr.write(`pgmend: ${r.error}\n`);
  return 1;
}
