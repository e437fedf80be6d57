import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { action } from './run.js';
import { dbOption, engineInputs, engineOptions, type EngineArgs } from './options.js';
import { buildPlan } from '../engine/index.js';
import { exportPlan, type ExportFormat } from '../export/index.js';
import { progressReporter } from './progress.js';

interface PlanArgs extends EngineArgs {
  findings?: string;
  format: ExportFormat;
  out?: string;
  rehearse: boolean;
}

/** `pgmend plan`: the dry run. Prechecks and rehearsal only; it never commits anything. */
export function registerPlan(program: Command): void {
  const cmd = program
    .command('plan')
    .description('dry run: prechecks, rehearsal (always rolled back) and the execution-plan checklist')
    .option('--findings <file>', 'findings file (YAML or JSON)')
    .addOption(new Option('--format <format>', 'md checklist, json plan, or sql psql script').choices(['md', 'json', 'sql']).default('md'))
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--no-rehearse', 'skip the rehearsal (read-only roles)');
  dbOption(cmd);
  engineOptions(cmd);
  cmd.action(
    action(async (args: PlanArgs) => {
      const inputs = await engineInputs(args, args.findings);
      const progress = progressReporter(process.stderr);
      const plan = await buildPlan({ ...inputs, rehearse: args.rehearse, onProgress: progress.onEvent });
      progress.done(plan);
      const text = exportPlan(plan, args.format, { mode: inputs.mode, lockTimeoutMs: inputs.lockTimeoutMs });
      if (args.out) await writeFile(args.out, text);
      else process.stdout.write(text);
      const errors = plan.findings.filter((f) => f.status === 'error');
      // Errors about a param already start with the finding's id (`ID.params.x: …`).
      for (const f of errors) process.stderr.write(`pgmend: ${f.error?.startsWith(`${f.id}.`) || f.error?.startsWith(`${f.id}: `) ? '' : `${f.id}: `}${f.error}\n`);
      return errors.length > 0 ? 1 : 0;
    }),
  );
}
