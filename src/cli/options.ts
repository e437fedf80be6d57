import { Option, type Command } from 'commander';
import { resolveTarget, type DbTarget } from '../db/connection.js';
import { loadPlaybooks, type PlaybookSet } from '../playbooks/load.js';
import { loadFindingsFile } from '../findings/load.js';
import type { Finding } from '../findings/model.js';
import { PLAN_DEFAULTS, type Mode } from '../engine/index.js';
import { UsageError } from '../util/errors.js';

/** Options several commands share, declared once. */
export function dbOption(cmd: Command): Command {
  return cmd.option('--db <url>', 'PostgreSQL URL (default: DATABASE_URL, then PG* variables)');
}

export function engineOptions(cmd: Command): Command {
  return cmd
    .option('--playbooks <dir>', 'directory of extra or replacement playbook YAML files')
    .addOption(new Option('--mode <mode>', 'window: one transaction; online: lock-light forms').choices(['window', 'online']).default('window'))
    .option('--lock-timeout <ms>', 'lock_timeout for rehearsal and apply, ms', String(PLAN_DEFAULTS.lockTimeoutMs))
    .option('--statement-timeout <ms>', 'statement_timeout for prechecks and rehearsal, ms', String(PLAN_DEFAULTS.statementTimeoutMs))
    .option('--sample <n>', 'sample rows per check', String(PLAN_DEFAULTS.sampleSize));
}

export interface EngineArgs {
  db?: string;
  playbooks?: string;
  mode: Mode;
  lockTimeout: string;
  statementTimeout: string;
  sample: string;
}

export function positiveInt(value: string, flag: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: expected a whole number ≥ ${min}, got "${value}"`);
  return n;
}

export interface EngineInputs {
  target: DbTarget;
  playbooks: PlaybookSet;
  findings: Finding[];
  mode: Mode;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  sampleSize: number;
}

export async function engineInputs(args: EngineArgs, findingsFile: string | undefined): Promise<EngineInputs> {
  if (!findingsFile) throw new UsageError('--findings is required', 'give the findings file (YAML or JSON), e.g. --findings findings.yaml');
  const target = resolveTarget(args.db);
  const playbooks = await loadPlaybooks(args.playbooks);
  const findings = await loadFindingsFile(findingsFile, playbooks);
  return {
    target,
    playbooks,
    findings,
    mode: args.mode,
    lockTimeoutMs: positiveInt(args.lockTimeout, '--lock-timeout', 1),
    statementTimeoutMs: positiveInt(args.statementTimeout, '--statement-timeout', 1),
    sampleSize: positiveInt(args.sample, '--sample'),
  };
}
