import React, { useRef } from 'react';
import { Box } from 'ink';
import { statusSummary } from '../../../export/summary.js';
import { FilterInput } from './FilterInput.js';
import { LineView } from '../../LineView.js';
import { cursorIndex, keyCount, visibleItems, type ListItem } from './list-view.js';
import type { ReviewState } from '../../state.js';
import { severitySeg, statusSeg } from '../../StatusBadge.js';
import { lineWidth, padEnd, plain, seg, type Line } from '../../text.js';
import { spinnerGlyph } from '../../theme.js';
import { useFrame } from '../../use-tick.js';
import type { ScreenProps } from '../screen.js';

/**
 * The finding list: severity, id, status, key count, title; a summary line; the selected
 * finding in full at the bottom. Shown from the findings file at once, statuses filling in as
 * the engine answers.
 */

/** Rows the list takes besides its viewport: summary, column header, two footer lines. */
export const LIST_CHROME = 4;

/** Rows of the list's viewport (also its page for PgUp/PgDn). */
export const listViewport = (height: number): number => Math.max(1, height - LIST_CHROME);

interface Columns {
  id: number;
  status: number;
  count: number;
  title: number;
  compact: boolean;
}

function columns(list: ListItem[], width: number): Columns {
  const id = Math.min(14, Math.max(4, ...list.map((i) => i.id.length))) + 1;
  const status = 13;
  const compact = width < 110;
  const count = compact ? 19 : 31;
  const fixed = 4 + 11 + id + status + count;
  return { id, status, count, title: Math.max(8, width - fixed), compact };
}

/** The sign-off column: ✓ approved, ⊘ skipped. */
function signOffSeg(item: ListItem) {
  const r = item.review;
  return r ? seg(r.status === 'approved' ? '✓ ' : '⊘ ', r.status === 'approved' ? 'ok' : 'muted') : seg('  ');
}

/** What a finding's counts are read from: its plan, else the checks counted so far. */
const countedChecks = (item: ListItem) => item.plan ?? (item.counted ? { checks: item.counted } : undefined);

/** The key count in the rows column: its full wording where it fits, else the compact one ("cascade 1200 rows"), never cut. */
function columnCount(item: ListItem, c: Columns): string {
  const checks = countedChecks(item);
  if (!checks) return '';
  const full = keyCount(checks, c.compact);
  return c.compact || lineWidth(plain(full)) < c.count ? full : keyCount(checks, true);
}

function rowLine(item: ListItem, selected: boolean, marked: boolean, c: Columns, frame: number): Line {
  const sev = severitySeg(item.severity);
  const st = statusSeg(item.status, frame, item.busy);
  const count = columnCount(item, c);
  return [
    seg(selected ? '▸' : ' ', 'accent', { bold: true }),
    seg(marked ? '◉' : ' ', 'accent', { bold: true }),
    signOffSeg(item),
    { ...sev, text: padEnd(sev.text, 11) },
    seg(padEnd(item.id, c.id - 1) + ' ', undefined, { bold: selected }),
    { ...st, text: padEnd(st.text, c.status) },
    seg(padEnd(count, c.count - 1) + ' ', count ? undefined : 'muted'),
    seg(padEnd(item.title, c.title), undefined, selected ? { bold: true } : {}),
  ];
}

function headerLine(c: Columns, position: string): Line {
  const left = padEnd('', 4) + padEnd('severity', 11) + padEnd('id', c.id) + padEnd('status', c.status) + padEnd('rows', c.count);
  return [seg(left + padEnd('title', Math.max(6, c.title - position.length)) + position, 'muted')];
}

export function summaryLine(s: ReviewState, frame: number, shown: number): Line {
  const spin = seg(`${spinnerGlyph(frame)} `, 'info');
  if (s.boot) return [spin, seg(s.boot)];
  if (s.loading.error) return [seg('✖ could not plan: ', 'bad', { bold: true }), seg(s.loading.error), seg(' — q quits', 'muted')];
  if (s.loading.running || !s.plan) {
    const l = s.loading;
    const total = l.total ?? s.findings.length;
    const what =
      l.phase === 'prechecks'
        ? `counting blocking rows: ${l.checked.length}/${total} findings checked`
        : l.phase === 'rehearsal'
          ? `rehearsing (rolled back): ${Object.keys(s.early).length}/${total}`
          : l.phase === 'cascade'
            ? 'measuring cascade blast radius…'
            : l.phase === 'catalog'
              ? 'reading the catalog…'
              : 'connecting…';
    return [spin, seg(`${s.findings.length} findings · ${what}`)];
  }
  const extras = [
    ...(s.marked.length ? [`${s.marked.length} marked`] : []),
    ...(s.filter ? [`filter "${s.filter}": ${shown} shown`] : []),
    ...(s.sort !== 'plan' ? [`sorted by ${s.sort}`] : []),
  ];
  return [seg(statusSummary(s.plan), undefined, { bold: true }), ...(extras.length ? [seg(` · ${extras.join(' · ')}`, 'muted')] : [])];
}

function footerLines(item: ListItem | undefined, width: number): Line[] {
  if (!item) return [[seg('no finding matches the filter — Esc clears it', 'muted')], []];
  const checks = countedChecks(item);
  const count = checks ? keyCount(checks) : '';
  const about = [item.playbook, item.table, count].filter(Boolean).join(' · ');
  const error = item.plan?.error ? [seg(` · ${item.plan.error}`, 'warn')] : [];
  const r = item.review;
  const signed = r ? [seg(` · ${r.status} by ${r.by}${r.note ? `: ${r.note}` : ''}`, r.status === 'approved' ? 'ok' : 'muted')] : [];
  return [[seg(`${item.id} `, 'accent', { bold: true }), seg(about), ...error, ...signed], [seg(item.title.slice(0, width * 2))]];
}

export function ListScreen({ state, ctx, width, height }: ScreenProps) {
  const frame = useFrame();
  const list = visibleItems(state);
  const cursor = cursorIndex(state, list);
  const viewport = listViewport(height);
  // Keep the previous top unless the cursor left the window: no jumping while moving.
  const top = useRef(0);
  if (cursor < top.current) top.current = cursor;
  if (cursor >= top.current + viewport) top.current = cursor - viewport + 1;
  top.current = Math.max(0, Math.min(top.current, Math.max(0, list.length - viewport)));
  const c = columns(list, width);
  const marked = new Set(state.marked);
  const rows = list.slice(top.current, top.current + viewport);
  return (
    <Box flexDirection="column" height={height}>
      {state.filtering ? <FilterInput store={ctx.store} initial={state.filter} /> : <LineView line={summaryLine(state, frame, list.length)} width={width} />}
      <LineView line={headerLine(c, list.length > viewport ? `${cursor + 1}/${list.length}` : '')} width={width} />
      <Box flexDirection="column" height={viewport}>
        {rows.map((item, i) => (
          <LineView key={item.id} line={rowLine(item, top.current + i === cursor, marked.has(item.id), c, frame)} width={width} />
        ))}
      </Box>
      {footerLines(list[cursor], width).map((l, i) => (
        <LineView key={i} line={l} width={width} />
      ))}
    </Box>
  );
}
