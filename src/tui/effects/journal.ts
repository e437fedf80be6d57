import { plural } from '../../export/values.js';
import { errorMessage } from '../../util/errors.js';
import { say, type EffectContext } from './context.js';
import { planAll } from './plan.js';

/** The journal screen's engine calls: reading the runs, and rolling one back. */

export async function loadJournal(ctx: EffectContext): Promise<void> {
  try {
    ctx.store.dispatch({ type: 'journalLoaded', runs: await ctx.services.journal() });
  } catch (e) {
    ctx.store.dispatch({ type: 'journalFailed', error: errorMessage(e) });
  }
}

export function openJournal(ctx: EffectContext): void {
  ctx.store.dispatch({ type: 'journalOpen' });
  void loadJournal(ctx);
}

/** `R`: asks for the database name before rolling the selected run back. */
export function askRollback(ctx: EffectContext): void {
  const j = ctx.store.getState().journal;
  const run = j?.runs?.[j.cursor];
  if (!j || !run) return;
  if (j.rollingBack !== undefined) return say(ctx, `run ${j.rollingBack} is being rolled back`);
  if (run.rolledBackAt) return say(ctx, `run ${run.id} was rolled back already`, 'bad');
  ctx.store.dispatch({ type: 'journalConfirm', runId: run.id });
}

export function cancelRollback(ctx: EffectContext): void {
  ctx.store.dispatch({ type: 'journalConfirm' });
  say(ctx, 'cancelled — nothing was changed');
}

/** The typed confirmation: the exact database name rolls the run back; anything else cancels. */
export async function confirmRollback(ctx: EffectContext, typed: string): Promise<void> {
  const { store, services } = ctx;
  const runId = store.getState().journal?.confirm;
  if (runId === undefined) return;
  if (typed !== services.databaseName) return cancelRollback(ctx);
  ctx.running.rollingBack = true;
  store.dispatch({ type: 'journalRollback', runId });
  const notes: string[] = [];
  try {
    const r = await services.rollbackRun(runId, (text) => notes.push(text));
    const text = `rolled back run ${runId}: ${plural(r.statements, 'statement')}, ${plural(r.rowsRestored, 'row')} restored${notes.length ? ` · ${notes.join(' · ')}` : ''}`;
    store.dispatch({ type: 'journalRollback', outcome: { tone: 'ok', text } });
    say(ctx, `run ${runId} rolled back — re-planning to show what is left`, 'ok');
    void planAll(ctx);
  } catch (e) {
    store.dispatch({ type: 'journalRollback', outcome: { tone: 'bad', text: `run ${runId} not rolled back: ${errorMessage(e)}` } });
  } finally {
    ctx.running.rollingBack = false;
  }
  await loadJournal(ctx);
}
