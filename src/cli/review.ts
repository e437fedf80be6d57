import type { Command } from 'commander';
import path from 'node:path';
import { action } from './run.js';
import { dbOption, engineInputs, engineOptions, positiveInt, type EngineArgs } from './options.js';
import { parseWindow, type MaintenanceWindow } from '../engine/window.js';
import { UsageError } from '../util/errors.js';

interface ReviewArgs extends EngineArgs {
  findings?: string;
  window?: string;
  lockRetries: string;
  snapshots?: string;
  exportDir: string;
  reviewer?: string;
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
    .option('--findings <file>', 'findings file (YAML or JSON)')
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
