import path from 'node:path';
import { statusSummary } from '../../export/summary.js';
import { errorMessage } from '../../util/errors.js';
import { seg } from '../text.js';
import { planInProgress, say, type EffectContext } from './context.js';

/** `x`: the checklist, the plan JSON (for `apply --plan`) and the psql script, side by side. */
export async function exportPlanFiles(ctx: EffectContext): Promise<void> {
  const wait = planInProgress(ctx);
  if (wait) return say(ctx, wait);
  const plan = ctx.store.getState().plan!;
  try {
    const files = await ctx.services.exportPlanFiles(plan);
    const show = (f: string) => path.relative(process.cwd(), f) || f;
    const dir = path.dirname(show(files.checklist));
    const names = [files.checklist, files.plan, files.script].map((f) => path.basename(f));
    ctx.store.dispatch({
      type: 'log',
      lines: [
        [seg('✔ ', 'ok'), seg(`exported (${statusSummary(plan)}) to ${dir}/:`)],
        [seg(`  ${names[0]}  checklist`)],
        [seg(`  ${names[1]}  plan: pgmend apply --plan ${show(files.plan)} --window …`)],
        [seg(`  ${names[2]}  psql script: psql -X -f ${show(files.script)}`)],
      ],
    });
    say(ctx, `✔ exported checklist, plan JSON and psql script: ${names[0]!.replace(/\.md$/, '')}.{md,json,sql}`, 'ok');
  } catch (e) {
    say(ctx, `could not export: ${errorMessage(e)}`, 'bad');
  }
}
