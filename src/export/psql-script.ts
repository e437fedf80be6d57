import { flatSteps, type FindingPlan, type Mode, type Plan } from '../engine/index.js';
import { PgmendError, UsageError } from '../util/errors.js';
import { executionPhases, isRunnable, type IndexedStep } from './phases.js';
import { asSubquery, dollarTag, psqlArgument, quoteLiteral, sqlComment, terminated } from './sql-text.js';
import { hostLabel, serverLabel, skipReason, statusSummary } from './summary.js';
import { plural } from './values.js';
import { searchPathText } from '../db/search-path.js';

/**
 * `plan --format sql`: a script for `psql -X -f`, in the same order as the checklist. Window mode
 * wraps everything in one transaction with verification before COMMIT, so any error or failed
 * check rolls it all back; online mode lets each step commit on its own. Only the statements of
 * the plan reach the server; everything we add around them is a comment, a quoted `\echo`, or a
 * DO block whose message is a quoted literal inside a dollar quote no SQL of the plan contains.
 */

export interface PsqlScriptOptions {
  /** Must match the mode the plan was built for (its steps differ); defaults to it. */
  mode?: Mode;
  lockTimeoutMs: number;
  statementTimeoutMs?: number;
  now?: Date;
}

interface ScriptStep extends IndexedStep {
  finding: FindingPlan;
  phaseTitle: string;
}

export function planToPsql(plan: Plan, opts: PsqlScriptOptions): string {
  const mode = opts.mode ?? plan.mode;
  if (mode !== plan.mode) {
    throw new UsageError(`the plan was built for ${plan.mode} mode, not ${mode}`, `plan again with --mode ${mode}`);
  }
  const lockTimeout = millis('lock timeout', opts.lockTimeoutMs);
  const statementTimeout = opts.statementTimeoutMs === undefined ? undefined : millis('statement timeout', opts.statementTimeoutMs);

  const phases = executionPhases(plan);
  const steps: ScriptStep[] = phases.flatMap((p) =>
    p.entries.flatMap((e) => e.steps.map((s) => ({ ...s, finding: e.finding, phaseTitle: p.title }))),
  );
  if (mode === 'window') {
    const outside = steps.find((s) => !s.step.transactional);
    if (outside) {
      throw new PgmendError(
        `${outside.finding.id} step ${outside.index + 1} cannot run inside the window transaction (it must run outside a transaction block)`,
        1,
        'export the plan in online mode (--mode online)',
      );
    }
  }
  // Fix phases keep the plan's order, so this is also the order the fixes run in.
  const runnable = plan.findings.filter(isRunnable);

  const out: string[] = [...header(plan, mode, opts.now ?? new Date(), steps.length), ''];
  out.push('\\set ON_ERROR_STOP on');
  out.push(`SET lock_timeout = '${lockTimeout}ms';`);
  // Explicit either way: a limit when given, else none (index builds and VALIDATE take as long as the table needs;
  // lock_timeout above is what keeps them from queueing in front of traffic).
  out.push(statementTimeout === undefined ? 'SET statement_timeout = 0;  -- no limit: end the run yourself at the window\'s end' : `SET statement_timeout = '${statementTimeout}ms';`);
  out.push(`\\echo ${psqlArgument(`pgmend: ${plural(steps.length, 'step')} for ${plural(runnable.length, 'finding')} on ${plan.database.name}`)}`);
  // Bare names in the steps (a hand-written fix) meant tables along the plan's search_path, whoever runs this.
  if (plan.database.searchPath) out.push(`SET search_path = ${searchPathText(plan.database.searchPath)};`);
  // SET CONSTRAINTS: deferred FKs would otherwise block a later ALTER TABLE ("pending trigger events").
  if (mode === 'window') out.push('', 'BEGIN;', 'SET CONSTRAINTS ALL IMMEDIATE;');

  let phaseTitle = '';
  let n = 0;
  let shownFinding: FindingPlan | undefined;
  // Window: the BEGIN above covers every step; online: each unit is its own transaction (or none).
  const units: Unit[] = mode === 'window' ? [{ steps, transaction: false }] : onlineUnits(steps);
  for (const unit of units) {
    if (unit.loop) {
      out.push('', ...loopLines(unit, n + 1, steps.length));
      n += unit.steps.length;
      continue;
    }
    if (unit.transaction) out.push('', 'BEGIN;');
    for (const s of unit.steps) {
      if (s.phaseTitle !== phaseTitle) {
        phaseTitle = s.phaseTitle;
        out.push('', sqlComment(`==== ${phaseTitle} ====`));
      }
      const first = s.finding !== shownFinding;
      shownFinding = s.finding;
      out.push('', ...stepLines(s, ++n, steps.length, first));
    }
    if (unit.transaction) out.push('COMMIT;');
  }

  out.push(...verification(plan, runnable));
  if (mode === 'window') out.push('', 'COMMIT;', `\\echo 'pgmend: committed'`);
  else out.push('', `\\echo 'pgmend: done'`);
  out.push(...rollbackReference(runnable));
  return out.join('\n') + '\n';
}

function millis(what: string, ms: number): number {
  if (!Number.isInteger(ms) || ms < 0) throw new UsageError(`${what} must be a whole number of milliseconds, not ${ms}`);
  return ms;
}

function header(plan: Plan, mode: Mode, now: Date, stepCount: number): string[] {
  const db = plan.database;
  const skipped = plan.findings.filter((f) => !isRunnable(f));
  const runs = plan.findings.filter(isRunnable);
  const lines = [
    'pgmend execution script',
    `database: ${db.name} on ${hostLabel(db)}, ${serverLabel(db.server)}`,
    `generated: ${now.toISOString()}; plan built: ${plan.createdAt}`,
    `plan fingerprint: ${plan.fingerprint}`,
    mode === 'window'
      ? 'mode: window: one transaction around every step; an error or a failed verification rolls everything back'
      : 'mode: online: each step commits on its own (a resolution, or a row backup and its change, commit together); ' +
        'a failure stops the script with earlier steps committed ' +
        '(an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index to drop)',
    'run: psql -X -v ON_ERROR_STOP=1 -d <database> -f <this file>',
    '',
    statusSummary(plan),
    `runs: ${plural(stepCount, 'step')} for ${runs.map((f) => f.id).join(', ') || 'no finding'}`,
    `skipped: ${skipped.length ? '' : 'none'}`,
    ...skipped.map((f) => `  ${f.id}: ${skipReason(f)}`),
    '',
    'this script keeps no journal: `pgmend rollback` undoes only runs made by `pgmend apply`,',
    'which also copies every row a resolution deletes or changes into the pgmend schema first',
  ];
  return lines.map(sqlComment);
}

function stepLines(s: ScriptStep, n: number, total: number, firstOfFinding: boolean): string[] {
  const { finding: f, step, index } = s;
  const label = `[${n}/${total}] ${f.id} step ${index + 1}/${flatSteps(f.steps).length} (${step.phase})${step.description ? `: ${step.description}` : ''}`;
  // One mode on every table: `lock: MODE on a, b`; else per table: `lock: a MODE, b MODE`.
  const modes = new Set(Object.values(step.locks ?? {}));
  const tables = modes.size > 1 ? '' : step.tables.length ? ` on ${step.tables.join(', ')}` : '';
  const lines: string[] = [];
  if (firstOfFinding) {
    lines.push(sqlComment(`${f.id} (${f.severity}): ${f.title}`));
    if (f.rehearsal && !f.rehearsal.ok) lines.push(sqlComment(`WARNING: rehearsal failed: ${f.rehearsal.error ?? 'no message'}`));
  }
  const lock = modes.size > 1 ? Object.entries(step.locks!).map(([t, m]) => `${t} ${m}`).join(', ') : `${step.lock}${tables}`;
  lines.push(sqlComment(`lock: ${lock}${step.transactional ? '' : '; runs outside a transaction block'}`));
  lines.push(`\\echo ${psqlArgument(label)}`, terminated(step.sql));
  return lines;
}

interface Unit {
  steps: ScriptStep[];
  transaction: boolean;
  /** Online batched row change: backup + change repeated, one transaction per batch, until no row is left. */
  loop?: boolean;
}

/**
 * Online mode: each step commits on its own (NOT VALID and VALIDATE must not share a transaction,
 * or the strong lock is held through the scan), except where steps belong together: a finding's
 * resolution is all-or-nothing, and a row backup and the change it guards share a transaction
 * (the change selects the rows its own transaction backed up). CONCURRENTLY runs bare.
 */
function onlineUnits(steps: ScriptStep[]): Unit[] {
  const units: Unit[] = [];
  for (const s of steps) {
    const last = units.at(-1);
    const prev = last?.steps.at(-1);
    if (s.role === 'backup' && s.of!.repeat) {
      units.push({ steps: [s], transaction: false, loop: true });
      continue;
    }
    if (last?.loop && s.role === 'change' && s.of === last.steps[0]!.of) {
      last.steps.push(s);
      continue;
    }
    const joins =
      s.step.transactional &&
      last?.transaction &&
      prev?.finding === s.finding &&
      ((prev.step.phase === 'resolution' && s.step.phase === 'resolution') || prev.role === 'backup');
    if (joins) last!.steps.push(s);
    else units.push({ steps: [s], transaction: s.step.transactional });
  }
  return units;
}

/**
 * A batched row change as one DO block: back up a batch, stop when it is empty, change it, COMMIT,
 * again. COMMIT inside DO is allowed because psql runs it outside a transaction block (PG 11+).
 */
function loopLines(unit: Unit, n: number, total: number): string[] {
  const [backup, change] = unit.steps as [ScriptStep, ScriptStep | undefined];
  const tag = dollarTag('pgmend_batch', unit.steps.map((s) => s.step.sql));
  const label = `[${n}/${total}] ${backup.finding.id}: ${backup.step.description ?? 'back up and change rows'} (batched)`;
  return [
    sqlComment(`lock: ${backup.step.lock} then ${change?.step.lock ?? ''} on ${backup.step.tables.join(', ')}; one transaction per batch`),
    `\\echo ${psqlArgument(label)}`,
    // A table's own column may be called like the counter: the statements' names mean columns.
    `DO ${tag} #variable_conflict use_column`,
    'DECLARE pgmend_n bigint; BEGIN LOOP',
    `  ${backup.step.sql.trim().replace(/;$/, '')};`,
    '  GET DIAGNOSTICS pgmend_n = ROW_COUNT;',
    '  EXIT WHEN pgmend_n = 0;',
    ...(change ? [`  ${change.step.sql.trim().replace(/;$/, '')};`] : []),
    '  COMMIT;',
    `END LOOP; END ${tag};`,
  ];
}

/** Every verify query must return one row whose `ok` is true; anything else (false, NULL, no row) raises. */
function verification(plan: Plan, findings: FindingPlan[]): string[] {
  const checks = findings.flatMap((f) => f.verify.map((v) => ({ f, v })));
  if (!checks.length) return [];
  const texts = plan.findings.flatMap((f) => [f.id, ...flatSteps(f.steps).map((s) => s.sql), ...f.verify.flatMap((v) => [v.sql, v.says])]);
  const tag = dollarTag('pgmend_verify', texts);
  const out = ['', sqlComment('==== verification: each query must return one row with ok = true ====')];
  for (const { f, v } of checks) {
    const message = quoteLiteral(`${f.id}: ${v.says}`);
    out.push(
      '',
      `\\echo ${psqlArgument(`verify ${f.id}: ${v.says}`)}`,
      `DO ${tag} BEGIN IF (SELECT ok FROM (${asSubquery(v.sql)}) v) IS NOT TRUE THEN ` +
        `RAISE EXCEPTION 'verification failed: %', ${message}; END IF; END ${tag};`,
    );
  }
  return out;
}

/** Rollback SQL as comments, last finding first: for undoing by hand after the fact. */
function rollbackReference(findings: FindingPlan[]): string[] {
  const withRollback = [...findings].reverse().filter((f) => f.rollback.length);
  if (!withRollback.length) return [];
  const out = ['', sqlComment('==== rollback, for reference only (not run); last finding first ====')];
  for (const f of withRollback) {
    out.push(sqlComment(`${f.id}:`));
    for (const sql of f.rollback) out.push(...terminated(sql).split(/\r\n|\r|\n/).map((l) => `--   ${l}`.trimEnd()));
  }
  return out;
}
