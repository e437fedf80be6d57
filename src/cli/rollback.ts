import type { Command } from 'commander';
import { action } from './run.js';
import { dbOption, positiveInt } from './options.js';
import { resolveTarget, describe } from '../db/connection.js';
import { rollbackRun } from '../engine/index.js';
import { UsageError, Refusal } from '../util/errors.js';
import { confirmDatabaseName } from './confirm.js';

/** `pgmend rollback --run ID`: schema and rows as they were before the run, in one transaction. */
export function registerRollback(program: Command): void {
  const cmd = program
    .command('rollback')
    .description('undo an apply run: drop what it added, restore every backed-up row, restore what it replaced')
    .option('--run <id>', 'the run id (see pgmend journal)')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'roll back even if later runs touched the same tables');
  dbOption(cmd);
  cmd.action(
    action(async (args: { db?: string; run?: string; yes?: boolean; force?: boolean }) => {
      if (!args.run) throw new UsageError('--run is required', 'see pgmend journal for run ids');
      const runId = positiveInt(args.run, '--run', 1);
      const target = resolveTarget(args.db);
      if (!args.yes) {
        if (!process.stdin.isTTY) throw new Refusal('no terminal to confirm in', 'run again with --yes');
        if (!(await confirmDatabaseName(target.database, `roll back run ${runId} on ${describe(target)}`))) {
          process.stderr.write('pgmend: cancelled — nothing was changed\n');
          return 1;
        }
      }
      const r = await rollbackRun(target, runId, { ...(args.force ? { force: true } : {}), onNote: (text) => process.stderr.write(`pgmend: ${text}\n`) });
      process.stdout.write(`rolled back run ${r.runId}: ${r.statements} statement(s), ${r.rowsRestored} row(s) restored\n`);
      return 0;
    }),
  );
}
