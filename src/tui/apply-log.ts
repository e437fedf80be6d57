import type { ApplyEvent, ApplyResult } from '../engine/index.js';
import { plural } from '../export/values.js';
import { seg, type Line } from './text.js';

/** What an apply leaves in the scrollback (<Static>): each finished step, then the outcome. */

export function stepLine(e: Extract<ApplyEvent, { kind: 'step' }>): Line {
  const ok = e.status === 'done';
  return [
    seg(ok ? '✔ ' : '✖ ', ok ? 'ok' : 'bad'),
    seg(`${e.findingId} `, undefined, { bold: true }),
    seg(`${e.index + 1}/${e.total} ${e.description}`),
    seg(ok ? ` · ${plural(e.rows ?? 0, 'row')}, ${Math.round(e.ms ?? 0)} ms` : ' · failed', ok ? 'muted' : 'bad'),
  ];
}

export function resultLines(r: ApplyResult): Line[] {
  if (r.status === 'committed') {
    const n = r.findings.filter((f) => f.outcome === 'applied').length;
    return [
      [seg('✔ committed: ', 'ok', { bold: true }), seg(`${plural(n, 'finding')} applied, ${plural(r.rowsChanged, 'row')} changed — journal run ${r.runId} (undo: pgmend rollback --run ${r.runId})`)],
    ];
  }
  if (r.status === 'nothing-to-do') return [[seg('● nothing to apply: every selected finding is already in place', 'muted')]];
  return [
    [seg(r.status === 'refused' ? '✖ refused: ' : '✖ failed: ', 'bad', { bold: true }), seg((r.error ?? 'unknown error').replace(/^refused:\s*/, ''))],
    [seg('  nothing was changed', 'bad')],
  ];
}

