import { Option, type Command } from 'commander';
import { action } from './run.js';
import { dbOption } from './options.js';
import { resolveTarget } from '../db/connection.js';
import { withClient } from '../db/session.js';
import { listRuns, runReviews, type RunRow } from '../engine/index.js';

/** `pgmend journal`: past runs, oldest first. */
export function registerJournal(program: Command): void {
  const cmd = program
    .command('journal')
    .description('list past apply runs recorded in the database (oldest first)')
    .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'));
  dbOption(cmd);
  cmd.action(
    action(async (args: { db?: string; format: 'text' | 'json' }) => {
      const { runs, reviews } = await withClient(resolveTarget(args.db), async (c) => ({ runs: await listRuns(c), reviews: await runReviews(c) }));
      if (args.format === 'json') {
        process.stdout.write(JSON.stringify({ runs: runs.map((r) => ({ ...toJson(r), reviews: reviews.get(Number(r.id)) ?? {} })) }, null, 2) + '\n');
        return 0;
      }
      if (runs.length === 0) {
        process.stdout.write('no runs yet\n');
        return 0;
      }
      const header = ['run', 'started', 'status', 'mode', 'findings', 'rows', 'who', 'note'];
      const signed = (r: RunRow) => {
        const all = Object.values(reviews.get(Number(r.id)) ?? {}) as { status: string; by: string }[];
        const approved = all.filter((x) => x.status === 'approved');
        return approved.length ? `${approved.length} approved by ${[...new Set(approved.map((x) => x.by))].join(', ')}` : '';
      };
      const body = runs.map((r) => [
        String(r.id),
        r.started_at.toISOString().replace('T', ' ').slice(0, 19),
        r.status,
        r.mode,
        String(r.findings.length),
        String(r.rows_changed),
        `${r.os_user ?? '?'} as ${r.db_role}`,
        [r.error ?? (r.rolled_back_at ? `rolled back ${r.rolled_back_at.toISOString().replace('T', ' ').slice(0, 19)}` : ''), signed(r)].filter(Boolean).join(' · '),
      ]);
      const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => Math.min(row[i]!.length, i === 7 ? 200 : 40))));
      for (const row of [header, ...body]) process.stdout.write(row.map((c, i) => (i === 7 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd() + '\n');
      return 0;
    }),
  );
}

function toJson(r: RunRow) {
  return {
    id: Number(r.id),
    startedAt: r.started_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    status: r.status,
    mode: r.mode,
    window: r.maintenance_window,
    planId: r.plan_id,
    planFingerprint: r.plan_fingerprint,
    role: r.db_role,
    applicationName: r.application_name,
    osUser: r.os_user,
    findings: r.findings,
    rowsChanged: Number(r.rows_changed),
    error: r.error,
    snapshot: r.snapshot_file,
    rolledBackAt: r.rolled_back_at?.toISOString() ?? null,
  };
}
