import React, { useCallback } from 'react';
import { Box, Text } from 'ink';
import { LineInput } from '../../LineInput.js';
import { blockingLeft, type FindingPlan, type Row } from '../../../engine/index.js';
import { describeResolution } from '../../../export/summary.js';
import { displayValue, oneLine, plural } from '../../../export/values.js';
import { STRATEGIES } from '../../../findings/model.js';
import type { ReviewController } from '../../controller.js';
import { chooseResolution, setResolveText } from '../../effects/resolve.js';
import { findingHeader } from '../detail/DetailScreen.js';
import { LineView, ScrollView } from '../../LineView.js';
import { checkCount } from '../list/list-view.js';
import { draftResolution, fieldsFor, type Field } from './resolve-draft.js';
import { priorityColumns, sampleTableLines } from '../../SampleTable.js';
import type { ResolveState } from './resolve-slice.js';
import { findingPlan } from '../../selectors.js';
import type { ScreenProps } from '../screen.js';
import { padEnd, seg, wrap, type Line, type Seg } from '../../text.js';
import { spinnerGlyph } from '../../theme.js';
import { useFrame } from '../../use-tick.js';
import { resolveKey } from './resolve-keys.js';
import type { TableView } from '../detail/detail-panes.js';
import { orderingWarning, orderingWords, rankedTableLines } from '../sample-rows/keep-rows.js';
import { chooserLines } from '../sample-rows/columns-keys.js';
import { tableView } from '../sample-rows/columns-slice.js';

/**
 * Resolve a blocked finding: pick what happens to its blocking rows, and see — before choosing —
 * the rows recounted and exactly the rows that would change (as they are, and as they would be).
 */

const LABELS: Record<Field, string> = { strategy: 'strategy', keep: 'keep', orderBy: 'order by', set: 'set' };
const STRATEGY_WORDS: Record<string, string> = { delete: 'delete', update: 'update with values', 'set-null': 'set NULL' };

function options(values: string[], chosen: string, focused: boolean): Seg[] {
  return values.flatMap((v, i) => {
    const on = v === chosen;
    return [...(i ? [seg('  ')] : []), seg(on ? `‹${v}›` : ` ${v} `, on ? (focused ? 'accent' : 'info') : 'muted', on ? { bold: true } : {})];
  });
}

/** `primary key (id)` once a preview said which columns that is. */
function primaryKeyWords(rs: ResolveState): string {
  const r = currentPreview(rs);
  return !rs.orderBy && r?.ordering ? (r.ordering.by.length ? `primary key (${r.ordering.by.join(', ')})` : 'physical order (no key)') : 'primary key';
}

function fieldLine(field: Field, rs: ResolveState, fp: FindingPlan, focused: boolean): Line {
  const head = [seg(focused ? '▸ ' : '  ', 'accent', { bold: true }), seg(padEnd(LABELS[field], 10), undefined, { bold: focused })];
  switch (field) {
    case 'strategy':
      return [...head, ...options(STRATEGIES.map((s) => STRATEGY_WORDS[s]!), STRATEGY_WORDS[rs.strategy]!, focused)];
    case 'keep':
      return [...head, ...options(['oldest', 'newest'], rs.keep, focused), seg('  row of each group stays', 'muted')];
    case 'orderBy':
      return [...head, seg(`‹${rs.orderBy ?? primaryKeyWords(rs)}›`, focused ? 'accent' : 'info', { bold: true }), seg('  decides oldest / newest (←/→)', 'muted')];
    case 'set':
      return [...head, seg(rs.setText || '(column = value, …)', rs.setText ? 'warn' : 'muted', { bold: true }), seg('  ↓ to type', 'muted')];
  }
}

/** Before → after for the rows an update would change: `ACTIVE → SUSPENDED` in changed cells. */
function changedCell(before: Row[], after: Row[]) {
  return (i: number, col: string): string | undefined => {
    const a = before[i];
    const b = after[i];
    if (!a || !b || !(col in b)) return undefined;
    const x = displayValue(a[col]);
    const y = displayValue(b[col]);
    return x === y ? undefined : `${x === null ? 'NULL' : oneLine(x)} → ${y === null ? 'NULL' : oneLine(y)}`;
  };
}

/** The current draft's preview, once it has answered (not a stale one). */
function currentPreview(rs: ResolveState) {
  const draft = draftResolution(rs);
  const p = rs.preview;
  return draft.ok && p?.status === 'ok' && p.result && p.key === JSON.stringify(draft.resolution) ? p.result : undefined;
}

/** Under the fields: the order a keep resolution ranks by, warned about when it is a random key. */
export function orderingNote(rs: ResolveState, width: number): Line[] {
  const r = currentPreview(rs);
  if (!r?.ordering || !r.resolution.keep) return [];
  const warning = orderingWarning(r.resolution, r.ordering, 't');
  return warning ? wrap(warning, width).slice(0, 2) : [];
}

export function previewLines(rs: ResolveState, fp: FindingPlan, frame: number, width: number, view: TableView = { offset: 0, hidden: [] }): Line[] {
  const draft = draftResolution(rs);
  if (!draft.ok) return [[seg('✖ ', 'bad'), seg(draft.error)]];
  const p = rs.preview;
  const describe: Line[] = wrap([seg('→ '), seg(describeResolution(draft.resolution)), seg(' · every row backed up first', 'muted')], width).slice(0, 2);
  if (!p || p.status === 'loading' || p.key !== JSON.stringify(draft.resolution)) return [...describe, [seg(`${spinnerGlyph(frame)} recounting the rows it would change…`, 'info')]];
  if (p.status === 'error' || !p.result) return [...describe, ...wrap([seg('✖ cannot: ', 'bad', { bold: true }), seg(p.error ?? 'no preview')], width)];
  const r = p.result;
  const verb = draft.resolution.strategy === 'delete' ? 'deleted' : 'changed';
  const out: Line[] = [
    ...describe,
    [seg('✔ recounted: ', 'ok', { bold: true }), seg(`${plural(r.rows, 'row')} in ${r.table} would be ${verb}`), seg(r.sample.length < r.rows ? ` — first ${r.sample.length}:` : ':', 'muted')],
  ];
  const priority = priorityColumns(fp.finding.params, r.sample[0]);
  const hint = '</> scroll · c choose';
  if (r.ranked?.length && r.ordering) {
    // Keeping a row per group: the first groups whole, the kept row and the others side by side.
    out.push([seg(`each group by ${orderingWords(r.ordering)}, the row kept first:`, 'muted')], ...rankedTableLines(fp, r, width, view, hint));
    if (draft.resolution.strategy === 'delete') return out;
    out.push([seg('the rows it changes, before → after:', 'muted')]);
  }
  if (draft.resolution.strategy === 'delete') {
    out.push(...sampleTableLines(r.sample, width, { priority, ...view, hint }));
  } else {
    const changed = changedCell(r.sample, r.after);
    const changedCols = Object.keys(r.sample[0] ?? {}).filter((c) => r.sample.some((_, i) => changed(i, c) !== undefined));
    out.push(...sampleTableLines(r.sample, width, { priority: [...priority.slice(0, 1), ...changedCols, ...priority.slice(1)], changed, ...view, hint }));
  }
  return out;
}

/** The values of an update: typed in place; Enter chooses, ↑/↓ move to the other fields. */
function SetInput({ ctx, value, width, height }: { ctx: ReviewController; value: string; width: number; height: number }) {
  const onChange = useCallback((t: string) => setResolveText(ctx, t), [ctx]);
  const onSubmit = useCallback(() => void chooseResolution(ctx), [ctx]);
  const onCancel = useCallback(() => resolveKey(ctx, 'back', { width, height }), [ctx, width, height]);
  const onNavigate = useCallback((d: -1 | 1) => resolveKey(ctx, d < 0 ? 'up' : 'down', { width, height }), [ctx, width, height]);
  return (
    <Box>
      <Text bold>{'▸ set       '}</Text>
      <LineInput initial={value} placeholder="column = value, …" onChange={onChange} onSubmit={onSubmit} onCancel={onCancel} onNavigate={onNavigate} />
    </Box>
  );
}

export function ResolvePanel({ state, ctx, width, height }: ScreenProps) {
  const frame = useFrame();
  const rs = state.resolve;
  const fp = rs && findingPlan(state, rs.id);
  if (!rs || !fp) return null;
  const fields = fieldsFor(rs, fp);
  const focus = Math.min(rs.field, fields.length - 1);
  const blocking = blockingLeft(fp.checks);
  const intro: Line = [seg('Resolve: ', undefined, { bold: true }), seg(blocking.map((c) => checkCount(c)).join(', ')), seg(` in ${fp.table ?? 'the table'}`)];
  const note = orderingNote(rs, width);
  const body = Math.max(1, height - 3 - fields.length - note.length);
  const cols = state.columns;
  const view = tableView(state, fp);
  const preview = cols.chooser ? chooserLines(cols.chooser, view.hidden, body) : previewLines(rs, fp, frame, width, view);
  return (
    <Box flexDirection="column" height={height}>
      <LineView line={findingHeader(fp, frame, state.marked.includes(fp.id))} width={width} />
      <LineView line={intro} width={width} />
      {fields.map((f, i) =>
        f === 'set' && i === focus ? <SetInput key={f} ctx={ctx} value={rs.setText} width={width} height={height} /> : <LineView key={f} line={fieldLine(f, rs, fp, i === focus)} width={width} />,
      )}
      {note.map((l, i) => (
        <LineView key={`note${i}`} line={l} width={width} />
      ))}
      <LineView line={[]} />
      <ScrollView lines={preview} offset={0} height={body} width={width} />
    </Box>
  );
}
