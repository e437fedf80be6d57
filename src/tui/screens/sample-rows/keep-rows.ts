import type { FindingPlan, KeepOrdering, ResolutionPreview, Row } from '../../../engine/index.js';
import type { Resolution } from '../../../findings/model.js';
import { FATE, priorityColumns, sampleTableLines } from '../../SampleTable.js';
import { seg, wrap, type Line } from '../../text.js';

/**
 * A resolution that keeps one row per duplicate group, shown group by group: which row stays and
 * which go, next to the column that decides it — and a warning when that column is a random key
 * (a uuid from gen_random_uuid, a key not drawn from a sequence), whose "oldest" means nothing.
 */

const FATES: Record<Resolution['strategy'], string> = { delete: '✖ delete', update: '✎ update', 'set-null': '✎ set NULL' };

/** `created_at ↑` for keep oldest (the first row of the ascending order stays), `↓` for newest. */
function orderLabel(resolution: Resolution): string {
  return resolution.keep === 'newest' ? '↓' : '↑';
}

/** What orders the rows, in words: `created_at (then id)`, or the physical position. */
export function orderingWords(o: KeepOrdering): string {
  if (!o.by.length) return 'physical position (ctid)';
  return o.by.length > 1 ? `${o.by[0]} (then ${o.by.slice(1).join(', ')})` : o.by[0]!;
}

/** The warning when the order is random, with the timestamp offered instead (and the key taking it). */
export function orderingWarning(resolution: Resolution, o: KeepOrdering, offerKey?: string): Line | undefined {
  if (!o.random) return undefined;
  const offer = o.offer
    ? [seg(' — ', 'muted'), ...(offerKey ? [seg(offerKey, 'accent', { bold: true }), seg(': ', 'muted')] : [seg('use ', 'muted')]), seg(`order by ${o.offer}`, 'warn', { bold: true })]
    : [seg(' — choose a column that records when rows came (order by)', 'muted')];
  return [seg('⚠ ', 'warn', { bold: true }), seg(`keep ${resolution.keep ?? 'oldest'} by ${o.by[0] ?? 'ctid'} orders by ${o.random}: this order means nothing`, 'warn'), ...offer];
}

export function orderingLines(resolution: Resolution | undefined, o: KeepOrdering, width: number, offerKey?: string): Line[] {
  if (!resolution?.keep) return [];
  const warning = orderingWarning(resolution, o, offerKey);
  return [
    ...wrap([seg(`keeps the ${resolution.keep} row of each group by ${orderingWords(o)} ${orderLabel(resolution)}`, 'muted')], width),
    ...(warning ? wrap(warning, width) : []),
  ];
}

/** The ranked rows with their fate (`✔ keep` / `✖ delete`) and the ordering column pinned next to the key. */
export function rankedRows(p: Pick<ResolutionPreview, 'resolution' | 'ranked'>): Row[] {
  return (p.ranked ?? []).map((r) => ({ ...r, [FATE]: Number(r.pgmend_rank) === 1 ? '✔ keep' : FATES[p.resolution.strategy] }));
}

export function rankedTableLines(fp: FindingPlan, p: Pick<ResolutionPreview, 'resolution' | 'ranked' | 'ordering'>, width: number, view: { offset: number; hidden: string[] }, hint = '←/→ scroll · c choose'): Line[] {
  const rows = rankedRows(p);
  const by = p.ordering?.by ?? [];
  const keyAndMentioned = priorityColumns(fp.finding.params, rows[0]);
  const priority = [...new Set([...by.slice(0, 1), ...keyAndMentioned])];
  const pinned = by.length && by[0] !== keyAndMentioned[0] ? 2 : 1;
  const labels = by[0] ? { [by[0]]: `${by[0]} ${orderLabel(p.resolution)}` } : undefined;
  return sampleTableLines(rows, width, { priority, pinned, ...(labels ? { labels } : {}), ...view, hint });
}
