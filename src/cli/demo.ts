import type { Command } from 'commander';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { reviewerName } from '../findings/reviewer.js';
import { action } from './run.js';
import { UsageError } from '../util/errors.js';
import { startEmbedded, type RunningServer } from '../demo/embedded.js';
import { exampleDir, listExamples, loadExample } from '../demo/examples.js';
import { resolveTarget } from '../db/connection.js';
import { loadPlaybooks } from '../playbooks/load.js';
import { loadFindingsFile } from '../findings/load.js';
import { buildPlan, PLAN_DEFAULTS } from '../engine/index.js';
import { exportPlan } from '../export/index.js';
import { progressReporter } from './progress.js';
import { nextHour } from './review.js';

interface DemoArgs {
  example: string;
  list?: boolean;
  resolved?: boolean;
  keep?: boolean;
  port?: string;
}

/**
 * `pgmend demo`: an embedded PostgreSQL 18 (no system install), an example database with real
 * defects, and the review of its findings — the TUI in a terminal, the checklist otherwise.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start an embedded PostgreSQL, load an example database with real defects, and review its findings')
    .option('--example <name>', 'example system (see --list)', 'actorhub')
    .option('--list', 'list the example systems')
    .option('--resolved', 'use findings-resolved.yaml (a resolution on every blocking finding)')
    .option('--keep', 'keep the server running and print its URL (Ctrl-C stops it)')
    .option('--port <n>', 'port of the embedded server on 127.0.0.1 (default: a free one)')
    .action(
      action(async (args: DemoArgs) => {
        if (args.list) {
          for (const name of await listExamples()) process.stdout.write(`${name}\n`);
          return 0;
        }
        const dir = await exampleDir(args.example);
        const port = args.port === undefined ? undefined : Number(args.port);
        if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new UsageError(`--port ${args.port}: expected a port number (1-65535)`);
        const say = (m: string) => process.stderr.write(`pgmend: ${m}\n`);
        const interactive = Boolean(process.stdout.isTTY && process.stdin.isTTY);
        let server: RunningServer | undefined;
        let starting: Promise<RunningServer> | undefined;
        const start = () => (starting ??= startEmbedded(port === undefined ? {} : { port }).then((s) => (server = s)));
        // Without a terminal the server starts at once, while the findings load. With one, the
        // TUI is drawn first (initdb competes for the CPU) and the server starts right after.
        if (!interactive) {
          say('starting embedded PostgreSQL 18…');
          start().catch(() => {});
        }
        const stop = async () => {
          await starting?.catch(() => {});
          await server?.stop();
        };
        // The embedded server must not outlive us: Ctrl-C (outside the TUI), a closed terminal, kill.
        for (const [signal, code] of [['SIGINT', 130], ['SIGHUP', 129], ['SIGTERM', 143]] as const) {
          process.once(signal, () => void stop().then(() => process.exit(code)));
        }
        /** Server, then the example database; returns its URL. */
        const boot = async (status: (m: string) => void) => {
          status('starting embedded PostgreSQL 18…');
          const running = await start();
          status(`loading the ${args.example} example…`);
          return loadExample(running.url, args.example, args.example);
        };
        try {
          const playbooks = await loadPlaybooks();
          // Read first: the TUI lists the findings while the database is still being prepared.
          const example = path.join(dir, args.resolved ? 'findings-resolved.yaml' : 'findings.yaml');
          // Decisions go to a copy in the current directory (made at the first one), never into the
          // example; a copy left by an earlier demo resumes that review.
          const copy = path.resolve(`pgmend-demo-${args.example}${args.resolved ? '-resolved' : ''}.findings.yaml`);
          const resume = interactive && (await access(copy).then(() => true, () => false));
          if (resume) say(`resuming the review saved in ${path.basename(copy)} (delete it to start over)`);
          const findings = await loadFindingsFile(resume ? copy : example, playbooks);
          let url: string | undefined;
          if (interactive) {
            // React's development build is several times slower; a user's terminal gets production.
            process.env.NODE_ENV ??= 'production';
            const { runReview } = await import('../tui/session.js');
            await runReview({
              findings,
              bootText: 'starting embedded PostgreSQL 18…',
              boot: async (status) => resolveTarget((url = await boot(status))),
              databaseName: args.example,
              playbooks,
              mode: 'window',
              window: nextHour(),
              ...PLAN_DEFAULTS,
              lockRetries: 5,
              exportDir: process.cwd(),
              findingsFile: copy,
              findingsSeed: example,
              reviewer: await reviewerName(undefined),
            });
          } else {
            url = await boot((m) => (m.startsWith('starting') ? undefined : say(m)));
            const progress = progressReporter(process.stderr);
            const plan = await buildPlan({ target: resolveTarget(url), findings, playbooks, mode: 'window', rehearse: true, ...PLAN_DEFAULTS, onProgress: progress.onEvent });
            progress.done(plan);
            process.stdout.write(exportPlan(plan, 'md', { mode: 'window' }));
            say('the review TUI needs a terminal: printed the checklist instead (run pgmend demo in a terminal to review)');
          }
          if (args.keep && url) {
            say(`demo database: ${url} — try: DATABASE_URL=${url} npm run pgmend -- journal; Ctrl-C stops it`);
            await new Promise(() => {});
          }
          return 0;
        } finally {
          await stop();
        }
      }),
    );
}
