import type { Finding } from '../../findings/model.js';
import { errorMessage } from '../../util/errors.js';
import { findingYaml } from '../editor.js';
import { say, type EffectContext } from './context.js';
import { replan } from './plan.js';
import { save } from './sign-off.js';

/** `e`: the finding in $EDITOR; on return re-parsed, re-validated, saved and re-planned. */
export async function edit(ctx: EffectContext, id: string, again = false): Promise<void> {
  const { store, services } = ctx;
  const s = store.getState();
  if (!s.plan || s.loading.running) return say(ctx, 'wait: the plan is still being built');
  if (s.busy[id]) return say(ctx, `${id} is being re-planned`);
  const finding = s.findings.find((f) => f.id === id);
  if (!finding) return;
  const before = again && s.editError?.id === id ? s.editError.text : findingYaml(finding);
  store.dispatch({ type: 'editError' });
  let text: string;
  try {
    text = await services.editText(before, `${id}.yaml`);
  } catch (e) {
    return say(ctx, errorMessage(e), 'bad');
  }
  if (text === findingYaml(finding)) return say(ctx, `${id}: unchanged`);
  let parsed: Finding;
  try {
    const found = services.parseFindings(text, `${id}.yaml`);
    if (found.length !== 1) throw new Error(`${id}.yaml: expected exactly one finding, found ${found.length}`);
    parsed = found[0]!;
    if (parsed.id !== id) throw new Error(`${id}.yaml: the id changed to ${parsed.id}; keep ${id} (add new findings to the findings file)`);
  } catch (e) {
    store.dispatch({ type: 'editError', error: { id, message: errorMessage(e), text } });
    return;
  }
  // The sign-off is the session's, not the editor's: kept unless the edit wrote its own.
  const next = parsed.review || !finding.review ? parsed : { ...parsed, review: finding.review };
  await save(ctx, finding, next);
  await replan(ctx, next);
}

export function dismissEditError(ctx: EffectContext): void {
  ctx.store.dispatch({ type: 'editError' });
  say(ctx, 'edit discarded: the finding is unchanged');
}
