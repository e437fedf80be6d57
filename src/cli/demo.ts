import type { Command } from 'commander';
import path from 'node:path';
import { action } from './run.js';
import { startEmbedded } from '../demo/embedded.js';
import { exampleDir, listExamples, loadExample } from '../demo/examples.js';
import { resolveTarget } from '../db/connection.js';
import { loadPlaybooks } from '../playbooks/load.js';
import { loadFindingsFile } from '../findings/load.js';
import { buildPlan, PLAN_DEFAULTS } from '../engine/plan.js';
import { exportPlan } from '../export/index.js';
import { progressReporter } from './progress.js';

interface DemoArgs {
  example: string;
  list?: boolean;
  resolved?: boolean;
  keep?: boolean;
}

/**
 * `pgmend demo`: an embedded PostgreSQL 18 (no system install), an example database with real
 * defects, and the review of its findings.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start an embedded PostgreSQL, load an example database with real defects, and review its findings')
    .option('--example <name>', 'example system (see --list)', 'actorhub')
    .option('--list', 'list the example systems')
    .option('--resolved', 'use findings-resolved.yaml (a resolution on every blocking finding)')
    .option('--keep', 'keep the server running and print its URL (Ctrl-C stops it)')
    .action(
      action(async (args: DemoArgs) => {
        if (args.list) {
          for (const name of await listExamples()) process.stdout.write(`${name}\n`);
          return 0;
        }
        const dir = await exampleDir(args.example);
        const say = (m: string) => process.stderr.write(`pgmend: ${m}\n`);
        say('starting embedded PostgreSQL 18…');
        const server = await startEmbedded();
        const stop = () => server.stop();
        process.once('SIGINT', () => void stop().then(() => process.exit(130)));
        try {
          say(`loading the ${args.example} example…`);
          const url = await loadExample(server.url, args.example, args.example);
          const playbooks = await loadPlaybooks();
          const findings = await loadFindingsFile(path.join(dir, args.resolved ? 'findings-resolved.yaml' : 'findings.yaml'), playbooks);
          const progress = progressReporter(process.stderr);
          const plan = await buildPlan({
            target: resolveTarget(url),
            findings,
            playbooks,
            mode: 'window',
            rehearse: true,
            ...PLAN_DEFAULTS,
            onProgress: progress.onEvent,
          });
          progress.done(plan);
          process.stdout.write(exportPlan(plan, 'md', { mode: 'window' }));
          if (args.keep) {
            say(`demo database: ${url.replace(/:[^:@/]*@/, ':***@')} (password: see src/demo/embedded.ts) — Ctrl-C stops it`);
            await new Promise(() => {});
          }
          return 0;
        } finally {
          await stop();
        }
      }),
    );
}
