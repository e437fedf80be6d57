import type { Command } from 'commander';
import path from 'node:path';
import { action } from './run.js';
import { dbOption, engineInputs, engineOptions, positiveInt, type EngineArgs } from './options.js';
import { parseWindow, type MaintenanceWindow } from '../engine/index.js';
import { PgmendError, UsageError } from '../util/errors.js';
import { writeFile } from 'node:fs/promises';
import { resolveTarget } from '../db/connection.js';

interface ReviewArgs extends EngineArgs {
  findings?: string;
  scan?: boolean;
  window?: string;
  lockRetries: string;
  snapshots?: string;
  exportDir: string;
  reviewer?: string;
}

/** `review --scan`: the scan result is written to a findings file first, so review decisions have a file to go to. */
async function scanToFile(args: ReviewArgs): Promise<string> {
  const { runScan, scanDefaults } = await import('./scan.js');
  const { renderScan } = await import('../engine/index.js');
  const { result, database } = await runScan({ ...scanDefaults(), db: args.db, statementTimeout: args.statementTimeout, format: 'yaml' });
  if (result.findings.length === 0) throw new PgmendError('scan found nothing to review', 1, 'the data rules and catalog rules found no defect; see pgmend scan --help for thresholds');
  const file = args.findings ?? path.resolve(`scan-${resolveTarget(args.db).database.replace(/[^A-Za-z0-9_.-]/g, '_')}.yaml`);
  await writeFile(file, renderScan(result, 'yaml', database));
  process.stderr.write(`pgmend: wrote ${file}\n`);
  return file;
}

/** The review needs a terminal it can draw in and read keys from. */
export function requireTerminal(command: string): void {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError(
      `${command} needs an interactive terminal`,
      'use pgmend plan for the checklist and pgmend apply --yes to apply without one',
    );
  }
}

/** Without --window: the hour from now, so a review session can apply right away. */
export function nextHour(now = new Date()): MaintenanceWindow {
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return parseWindow(`${iso(now)}/${iso(new Date(now.getTime() + 3_600_000))}`);
}

/** `pgmend review`: the TUI session over a findings file and a database. */
export function registerReview(program: Command): void {
  const cmd = program
    .command('review')
    .description('review findings in a terminal UI: rows, SQL, diff, resolutions; apply in a window')
    .option('--findings <file>', 'findings file (YAML or JSON); with --scan, where the scan result is written')
    .option('--scan', 'scan the database first (pgmend scan) and review what it finds; written to --findings or ./scan-<database>.yaml')
    .option('--window <range>', 'maintenance window for apply: HH:MM-HH:MM or ISO START/END (default: the next hour)')
    .option('--lock-retries <n>', 'apply: attempts per lock before giving up (backoff doubles)', '5')
    .option('--snapshots <dir>', 'apply: where schema snapshots are written (default: snapshots/)')
    .option('--export-dir <dir>', 'where x writes the checklist, the plan JSON and the psql script', '.')
    .option('--reviewer <name>', 'who signs off (default: git config user.name, then $USER)');
  dbOption(cmd);
  engineOptions(cmd);
  cmd.action(
    action(async (args: ReviewArgs) => {
      requireTerminal('pgmend review');
      const window = args.window ? parseWindow(args.window) : nextHour();
      const lockRetries = positiveInt(args.lockRetries, '--lock-retries', 1);
      if (args.scan) args.findings = await scanToFile(args);
      const inputs = await engineInputs(args, args.findings);
      // Ink and its React tree load only when a terminal session actually starts.
      // React's development build is several times slower; a user's terminal gets production.
      process.env.NODE_ENV ??= 'production';
      const { runReview } = await import('../tui/session.js');
      const { reviewerName } = await import('../findings/reviewer.js');
      return runReview({
        findingsFile: path.resolve(args.findings!),
        reviewer: await reviewerName(args.reviewer),
        target: inputs.target,
        databaseName: inputs.target.database,
        findings: inputs.findings,
        playbooks: inputs.playbooks,
        mode: inputs.mode,
        window,
        lockTimeoutMs: inputs.lockTimeoutMs,
        lockRetries,
        statementTimeoutMs: inputs.statementTimeoutMs,
        sampleSize: inputs.sampleSize,
        ...(args.snapshots ? { snapshotDir: args.snapshots } : {}),
        exportDir: path.resolve(args.exportDir),
      });
    }),
  );
}
