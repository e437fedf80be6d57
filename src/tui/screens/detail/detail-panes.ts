import { catalogAnswerText, flatSteps, isRowChange, type CheckResult, type FindingPlan, type PlanStep } from '../../../engine/index.js';
import { describeResolution, formatMs, rehearsedLabel, resolutionRows, rollbackRehearsedText } from '../../../export/summary.js';
import { displayValue, oneLine, plural } from '../../../export/values.js';
import { cascadeLines } from '../../CascadeTree.js';
import { diffLines } from '../../DiffView.js';
import { checkCount } from '../list/list-view.js';
import { priorityColumns, sampleTableLines } from '../../SampleTable.js';
import { sqlLines } from '../../SqlView.js';
import type { Pane } from './detail-slice.js';
import { seg, textLines, wrap, wrapMarked, type Line } from '../../text.js';
import { orderingLines, rankedTableLines } from '../sample-rows/keep-rows.js';

/** The lines of each detail pane, built from the finding's plan only. */

const blank: Line = [];

function note(text: string, width: number, tone: 'muted' | 'warn' | 'bad' | 'info' = 'muted'): Line[] {
  return wrap([seg(text, tone)], width);
}

/** Step tables come as a list; older plans (and `sql` findings) may carry one string. */
export function tablesText(tables: unknown): string {
  return Array.isArray(tables) ? tables.join(', ') : typeof tables === 'string' ? tables : '';
}

function statusNote(f: FindingPlan, width: number): Line[] {
  switch (f.status) {
    case 'blocked':
      return note('✖ blocked: these steps cannot run until the blocking rows are resolved — press r to choose how.', width, 'bad');
    case 'applied':
      return note(`● already in place: ${f.appliedReason ?? 'nothing left to do'}`, width);
    case 'error':
      return note(`⚠ error: ${f.error ?? 'unknown error'}`, width, 'warn');
    default:
      return [];
  }
}

export function sqlPane(f: FindingPlan, width: number): Line[] {
  const out: Line[] = [...statusNote(f, width)];
  if (out.length) out.push(blank);
  const steps = flatSteps(f.steps);
  if (!steps.length) return [...out, ...note('No steps.', width)];
  steps.forEach((s, i) => {
    const what = s.description ? `: ${oneLine(s.description)}` : '';
    out.push(...wrapMarked([seg(`-- step ${i + 1}/${steps.length} (${s.phase})${what}`, 'comment')], width));
    out.push(...sqlLines(s.sql.trimEnd() + ';', width), blank);
  });
  return out;
}

export function diffPane(f: FindingPlan, context: number, width: number): Line[] {
  if (!f.diff.trim()) {
    const why =
      f.status === 'blocked'
        ? 'No schema diff yet: a blocked finding is not rehearsed. Resolve it (r) and the rehearsal shows the diff.'
        : f.status === 'applied'
          ? 'No schema diff: the fix is already in place.'
          : f.status === 'error'
            ? 'No schema diff: the finding could not be planned.'
            : f.rehearsal?.ok === false
              ? `No schema diff: the rehearsal failed (${f.rehearsal.error ?? 'no message'}).`
              : 'No schema diff: the rehearsal changed no table definition (rows only).';
    return note(why, width);
  }
  return [
    [seg(`schema diff from the rehearsal · ${plural(context, 'context line')} (+/- to change)`, 'muted')],
    blank,
    ...diffLines(f.diff, context, width),
  ];
}

function valuesLines(c: CheckResult): Line[] {
  if (!c.values?.length) return [];
  return [
    [seg('offending values:', 'muted')],
    ...c.values.map((v) => {
      const d = displayValue(v.value);
      return [seg('  '), seg(d === null ? 'NULL' : oneLine(d), d === null ? 'muted' : 'warn', { bold: true }), seg(` · ${plural(v.rows, 'row')}`)];
    }),
  ];
}

/** How sample tables are shown: sideways scroll and the hidden columns of this table. */
export interface TableView {
  offset: number;
  hidden: string[];
}

const NO_VIEW: TableView = { offset: 0, hidden: [] };
export const TABLE_HINT = '←/→ scroll · c choose';

function checkLines(f: FindingPlan, c: CheckResult, width: number, view: TableView): Line[] {
  const blockingWord = c.blocking ? (c.rows > 0 ? [seg(' ✖ blocking', 'bad')] : [seg(' ✔ none blocking', 'ok')]) : [];
  const out: Line[] = [[seg(`■ ${c.id}`, undefined, { bold: true }), ...blockingWord, seg(` · ${checkCount(c)}`)]];
  if (c.answeredBy) out.push(...wrap([seg(catalogAnswerText(c.answeredBy), 'muted')], width));
  out.push(...valuesLines(c));
  if (c.cascade?.length) {
    const parent = (f.finding.params.references as { table?: string } | undefined)?.table;
    out.push([seg(`deleting one ${parent ?? 'parent'} row reaches (rows in total, most per parent):`, 'muted')], ...cascadeLines(c.cascade));
  }
  if (c.sample.length) {
    const groups = c.groups !== undefined ? ` from ${plural(Math.min(c.groups, new Set(c.sample.map((r) => r.pgmend_group)).size), 'group')}` : '';
    out.push([seg(`sample: ${c.sample.length} of ${plural(c.rows, 'row')}${groups}`, 'muted')]);
    out.push(...sampleTableLines(c.sample, width, { priority: priorityColumns(f.finding.params, c.sample[0]), ...view, hint: TABLE_HINT }));
  }
  return out;
}

export function rowsPane(f: FindingPlan, width: number, view: TableView = NO_VIEW): Line[] {
  const out: Line[] = [];
  if (f.status === 'error') out.push(...statusNote(f, width), blank);
  if (!f.checks.length) out.push(...note('This playbook has no checks: the rehearsal row counts are under Steps.', width));
  for (const c of [...f.checks].sort((a, b) => Number(a.id === 'cascade') - Number(b.id === 'cascade'))) out.push(...checkLines(f, c, width, view), blank);
  if (f.resolution) {
    const changes = resolutionRows(f);
    out.push(
      ...wrap(
        [
          seg('◆ resolution: ', 'info', { bold: true }),
          seg(describeResolution(f.resolution)),
          ...(changes ? [seg(` — changes ${plural(changes.rows, 'row')}${changes.table ? ` in ${changes.table}` : ''}, each backed up first`)] : []),
        ],
        width,
      ),
    );
    const p = f.resolutionPreview;
    if (p?.ranked?.length && p.ordering) {
      out.push(...orderingLines(f.resolution, p.ordering, width), [seg(`the first groups, row by row:`, 'muted')], ...rankedTableLines(f, p, width, view));
    } else if (p?.sample.length) {
      out.push([seg(`rows it changes (sample of ${p.sample.length}):`, 'muted')], ...sampleTableLines(p.sample, width, { priority: priorityColumns(f.finding.params, p.sample[0]), ...view, hint: TABLE_HINT }));
    }
  }
  return out;
}

/** Per table when the modes differ, what rehearsal saw, and a flag where PostgreSQL took more than declared. */
function stepLockLines(s: PlanStep, width: number): Line[] {
  const out: Line[] = [];
  const modes = new Set(Object.values(s.locks ?? {}));
  if (modes.size > 1) out.push(...wrap([seg('   per table: ', 'muted'), seg(Object.entries(s.locks!).map(([t, m]) => `${t.replace(/^public\./, '')} ${m}`).join(', '))], width));
  if (s.lockNote) out.push(...wrap([seg('   ⚠ ', 'bad', { bold: true }), seg(s.lockNote, 'bad')], width));
  else if (s.observed) out.push(...wrap([seg(`   observed in rehearsal: ${Object.keys(s.observed).length ? Object.entries(s.observed).map(([t, m]) => `${t.replace(/^public\./, '')} ${m}`).join(', ') : 'no table lock'}${s.heldMs !== undefined ? ` · held ${formatMs(s.heldMs)}` : ''}`, 'muted')], width));
  else if (s.lockSource === 'rules') out.push([seg('   lock from the rules (not observed in rehearsal)', 'muted')]);
  return out;
}

export function stepsPane(f: FindingPlan, width: number): Line[] {
  const out: Line[] = [...statusNote(f, width)];
  const r = f.rehearsal;
  out.push(
    !r
      ? [seg('○ not rehearsed', 'muted')]
      : !r.ok
        ? [seg('✖ rehearsal failed', 'bad', { bold: true }), seg(` after ${formatMs(r.ms)}: ${oneLine(r.error ?? 'no message')}`)]
        : r.skipped
          ? [seg('○ rehearsal: ', 'muted'), seg(r.skipped)]
          : [seg('✔ rehearsed', 'ok'), seg(` in ${formatMs(r.ms)} (rolled back)`)],
    blank,
  );
  flatSteps(f.steps).forEach((s, i) => {
    const tables = tablesText(s.tables);
    out.push(
      ...wrap([seg(`${i + 1}. `, undefined, { bold: true }), seg(s.description ? oneLine(s.description) : oneLine(s.sql))], width).slice(0, 3),
      ...wrap([seg('   lock ', 'muted'), seg(s.lock, 'warn', { bold: true }), ...(tables ? [seg(' on ', 'muted'), seg(tables)] : [])], width),
      ...stepLockLines(s, width),
      [seg(`   ${s.phase} · ${rehearsedLabel(r, i)}${s.transactional ? '' : ' · runs outside a transaction'}${s.backupTable ? ` · backup ${s.backupTable}` : ''}`, 'muted')],
    );
  });
  if (f.verify.length) {
    out.push(blank, [seg('verification after the fix:', 'muted')]);
    for (const v of f.verify) out.push(...wrap([seg('  ✓ '), seg(oneLine(v.says))], width));
  }
  return out;
}

export function rollbackPane(f: FindingPlan, width: number): Line[] {
  const out: Line[] = [];
  const rb = f.rehearsal?.rollback;
  const rehearsed = rollbackRehearsedText(rb);
  if (rb && rehearsed) out.push(...wrap([seg(rb.ok ? '✔ ' : '⚠ ', rb.ok ? 'ok' : 'warn', { bold: true }), seg(rehearsed, rb.ok ? 'ok' : rb.skipped ? 'muted' : 'warn')], width), blank);
  if (f.rollback.length) {
    out.push([seg('-- undoes the fix (pgmend rollback --run ID runs it from the journal)', 'comment')]);
    for (const sql of f.rollback) out.push(...sqlLines(sql.trimEnd() + ';', width), blank);
  } else {
    out.push(...note('No rollback SQL: the fix cannot be undone by SQL alone.', width, 'warn'), blank);
  }
  const tables = [...new Set(f.steps.flatMap((s) => (isRowChange(s) ? [s.backupTable] : [])))];
  if (tables.length) {
    out.push(...textLines(`Rows the run changes are copied first into ${tables.join(', ')}; rollback puts them back exactly.`, 'muted').flatMap((l) => wrap(l, width)));
  }
  return out;
}

export function paneLines(f: FindingPlan, pane: Pane, width: number, context: number, view: TableView = NO_VIEW): Line[] {
  switch (pane) {
    case 'sql':
      return sqlPane(f, width);
    case 'diff':
      return diffPane(f, context, width);
    case 'rows':
      return rowsPane(f, width, view);
    case 'steps':
      return stepsPane(f, width);
    case 'rollback':
      return rollbackPane(f, width);
  }
}
