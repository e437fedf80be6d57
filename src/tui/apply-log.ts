import path from 'node:path';
import { changedRowsText, type ApplyEvent, type ApplyResult, type Mode } from '../engine/index.js';
import { plural } from '../export/values.js';
import { seg, type Line } from './text.js';

/**
 * What an apply says: each finished step and the outcome (left in the scrollback, <Static>), and
 * what a failure changed — which differs by mode: window mode's one transaction rolls back whole;
 * online mode's steps commit one by one, so a failure leaves the steps before it in place.
 */

export function stepLine(e: Extract<ApplyEvent, { kind: 'step' }>): Line {
  const ok = e.status === 'done';
  return [
    seg(ok ? '✔ ' : '✖ ', ok ? 'ok' : 'bad'),
    seg(`${e.findingId} `, undefined, { bold: true }),
    seg(`${e.index + 1}/${e.total} ${e.description}`),
    seg(ok ? ` · ${plural(e.rows ?? 0, 'row')}, ${Math.round(e.ms ?? 0)} ms` : ' · failed', ok ? 'muted' : 'bad'),
  ];
}

/** The engine's error without the sentence the lines below say in full. */
export function failureText(r: ApplyResult): string {
  return (r.error ?? 'unknown error')
    .replace(/^refused:\s*/, '')
    .replace(/ — the steps before it are committed; resume with: pgmend apply --resume \d+$/, '')
    .replace(/ — nothing was changed$/, '');
}

/** After a failed or refused apply: what is in the database now, and what to do about it. */
export function failureLines(r: ApplyResult, mode: Mode): Line[] {
  if (r.status === 'refused' || r.rolledBack) {
    const why = r.status === 'refused' ? ' — refused before any step ran' : mode === 'window' ? ' — the transaction rolled back' : ' — no step had committed';
    return [[seg('  nothing was changed', 'bad', { bold: true }), seg(why, 'muted')]];
  }
  if (mode === 'online' && r.runId !== null) {
    return [
      [seg('  the steps before the failure are committed', 'bad', { bold: true }), seg(` (online mode commits each step) — journal run ${r.runId}`, 'muted')],
      [seg(`  finish it: pgmend apply --resume ${r.runId} · undo it: pgmend rollback --run ${r.runId}`, 'muted')],
    ];
  }
  return [[seg('  online mode: steps may have committed before the failure — see pgmend journal', 'bad', { bold: true })]];
}

/** The outcome: on the apply screen, and left in the scrollback once it closes. */
export function resultLines(r: ApplyResult, mode: Mode): Line[] {
  if (r.status === 'committed') {
    const n = r.findings.filter((f) => f.outcome === 'applied').length;
    return [
      [seg('✔ committed', 'ok', { bold: true }), seg(` · ${plural(n, 'finding')} applied · ${plural(r.rowsChanged, 'row')} changed · journal run ${r.runId}`)],
      // What the run changed, per finding (not what the checks counted).
      ...r.findings.filter((f) => f.outcome === 'applied').map((f): Line => [seg(`  ${f.id}: ${changedRowsText(f)}`)]),
      ...(r.rowsChanged ? [[seg('  every changed row was copied first into the pgmend schema', 'muted')]] : []),
      [seg(`  undo with: pgmend rollback --run ${r.runId}`, 'muted')],
      ...(r.snapshotFile ? [[seg(`  schema snapshot: ${path.relative(process.cwd(), r.snapshotFile) || r.snapshotFile}`, 'muted')]] : []),
    ];
  }
  if (r.status === 'nothing-to-do') return [[seg('● nothing to apply: every selected finding is already in place', 'muted')]];
  return [[seg(r.status === 'refused' ? '✖ refused' : '✖ failed', 'bad', { bold: true }), seg(`: ${failureText(r)}`)], ...failureLines(r, mode)];
}
