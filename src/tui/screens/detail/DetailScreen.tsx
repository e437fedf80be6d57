import React from 'react';
import { Box } from 'ink';
import type { FindingPlan } from '../../../engine/index.js';
import { LineView, ScrollView } from '../../LineView.js';
import { keyCount } from '../list/list-view.js';
import type { ReviewState } from '../../state.js';
import { severitySeg, statusSeg } from '../../StatusBadge.js';
import { seg, type Line } from '../../text.js';
import { useFrame } from '../../use-tick.js';
import { findingPlan } from '../../selectors.js';
import type { ScreenProps } from '../screen.js';
import { detailLayout } from './detail-layout.js';
import { PANES, PANE_TITLES } from './detail-slice.js';
import { chooserLines } from '../sample-rows/columns-keys.js';
import { tableView } from '../sample-rows/columns-slice.js';

/**
 * One finding: a header (severity, id, status, key count), its title, and panes switched with
 * Tab — SQL, schema diff, affected rows, steps (lock, tables, rehearsed time), rollback.
 */

/** Header, title and tab rows above the pane. */
export function findingHeader(f: FindingPlan, frame: number, marked: boolean, busy?: string): Line {
  const count = keyCount(f);
  return [
    seg(`${f.id} `, 'accent', { bold: true }),
    severitySeg(f.severity),
    seg('  '),
    statusSeg(f.status, frame, busy),
    ...(marked ? [seg('  ◉ marked', 'accent')] : []),
    seg(`  ${f.playbook}${f.table ? ` · ${f.table}` : ''}`),
    ...(count ? [seg(` · ${count}`)] : []),
  ];
}

/** The title, and the sign-off in front of it when there is one. */
function titleLine(f: FindingPlan, s: ReviewState): Line {
  const r = s.findings.find((x) => x.id === f.id)?.review;
  const signed = r ? [seg(`${r.status === 'approved' ? '✓' : '⊘'} ${r.status} by ${r.by}${r.note ? ` (${r.note})` : ''} · `, r.status === 'approved' ? 'ok' : 'muted')] : [];
  return [...signed, seg(f.title, undefined, { bold: true })];
}

function tabsLine(active: string, position: string): Line {
  const tabs = PANES.flatMap((p, i) => {
    const on = p === active;
    return [...(i ? [seg(' ')] : []), seg(on ? `[${PANE_TITLES[p]}]` : ` ${PANE_TITLES[p]} `, on ? 'accent' : 'muted', on ? { bold: true, inverse: false } : {})];
  });
  return [...tabs, seg(position ? `   ${position}` : '', 'muted')];
}

export function DetailScreen({ state, width, height }: ScreenProps) {
  const frame = useFrame();
  const { id, pane, scroll } = state.detail;
  const f = findingPlan(state, id);
  if (!f) return <LineView line={[seg(`${id}: not in the plan`, 'bad')]} width={width} />;
  const layout = detailLayout(f, state.detail, width, height, tableView(state, f));
  const { viewport } = layout;
  // The column chooser takes the pane's place while it is open.
  const chooser = state.columns.chooser;
  const lines = chooser ? chooserLines(chooser, tableView(state, f).hidden, viewport) : layout.lines;
  const offset = Math.min(scroll, Math.max(0, lines.length - viewport));
  const position = lines.length > viewport ? `lines ${offset + 1}–${Math.min(lines.length, offset + viewport)} of ${lines.length}` : '';
  return (
    <Box flexDirection="column" height={height}>
      <LineView line={findingHeader(f, frame, state.marked.includes(f.id), state.busy[f.id])} width={width} />
      <LineView line={titleLine(f, state)} width={width} />
      {f.evidence ? <LineView line={[seg(`evidence: ${f.evidence}`, 'muted')]} width={width} /> : null}
      <LineView line={tabsLine(pane, position)} width={width} />
      <ScrollView lines={lines} offset={offset} height={viewport} width={width} />
    </Box>
  );
}
