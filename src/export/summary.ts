import type { AnsweredValidation, CatalogAnswer, FindingPlan, FindingStatus, Plan, Rehearsal, RollbackRehearsal } from '../engine/index.js';
import { blockingLeft, catalogAnswerText, changesOf, isApplicable, isSignedOffSkipped, signedOffText, statements } from '../engine/index.js';
import type { Resolution } from '../findings/model.js';
import { plural } from './values.js';

/** Wording shared by the checklist and the psql script. */

const STATUS_ORDER: FindingStatus[] = ['blocked', 'ready', 'resolved', 'applied', 'error'];

/** `42 findings: 9 blocked, 30 ready, 3 applied` (statuses with no findings left out). */
export function statusSummary(plan: Plan): string {
  const total = plural(plan.findings.length, 'finding');
  const parts = STATUS_ORDER.flatMap((s) => {
    const n = plan.findings.filter((f) => f.status === s).length;
    return n ? [`${n} ${s}`] : [];
  });
  return parts.length ? `${total}: ${parts.join(', ')}` : total;
}

/** `server` is a version string; older plans may carry a full `PostgreSQL 15.18 on …` banner. */
export function serverLabel(server: string): string {
  return /^postgres/i.test(server) ? server : `PostgreSQL ${server}`;
}

export function hostLabel(db: Plan['database']): string {
  return db.port ? `${db.host}:${db.port}` : db.host;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** What rehearsal measured for one step: `rehearsed 12 ms, 31 rows`. */
export function rehearsedLabel(r: Rehearsal | undefined, index: number): string {
  if (!r) return 'not rehearsed';
  const ms = r.stepMs?.[index];
  const rows = r.rowCounts[index];
  if (ms === undefined && rows === undefined) {
    if (!r.ok) return index === r.rowCounts.length ? 'failed in rehearsal' : 'not reached by the rehearsal';
    return r.skipped ? `not rehearsed (${r.skipped})` : 'not rehearsed';
  }
  // Online rehearsal records skipped heavy steps (VALIDATE, CONCURRENTLY) as 0 ms and 0 rows.
  if (r.skipped && !ms && !rows) return 'not rehearsed';
  const answered = r.answered?.find((a) => a.step === index);
  if (answered?.form === 'listed-rows') return `rehearsed over the listed rows${ms !== undefined ? ` ${formatMs(ms)}` : ''}, ${plural(rows ?? 0, 'row')}: ${answeredText(answered)}`;
  if (answered) return `rehearsed ${answered.form === 'no-rows' ? 'over no rows (WHERE false)' : 'NOT VALID'}${ms !== undefined ? ` ${formatMs(ms)}` : ''}: ${answeredText(answered)}`;
  const inFull = r.inFull?.find((a) => a.step === index);
  if (r.counted?.includes(index)) return `planned${ms !== undefined ? ` ${formatMs(ms)}` : ''}, not run online: ${plural(rows ?? 0, 'row')} (the precheck's count)`;
  const parts = [ms !== undefined ? formatMs(ms) : undefined, rows !== undefined ? plural(rows, 'row') : undefined];
  return `rehearsed ${parts.filter((p) => p !== undefined).join(', ')}${inFull ? `; ${inFullText(inFull)}` : ''}`;
}

/** `delete, keeping the oldest row of each group (by created_at)` */
export function describeResolution(r: Resolution): string {
  const by = r.orderBy ? ` (by ${r.orderBy})` : '';
  const keep = r.keep ? `, keeping the ${r.keep} row of each group${by}` : '';
  switch (r.strategy) {
    case 'delete':
      return `delete the blocking rows${keep}`;
    case 'set-null':
      return `set the offending columns to NULL${keep}`;
    case 'update': {
      const set = Object.entries(r.set ?? {})
        .map(([c, v]) => `${c} = ${v === null ? 'NULL' : typeof v === 'string' ? `'${v}'` : String(v)}`)
        .join(', ');
      return `update the blocking rows: set ${set}${keep}`;
    }
  }
}

/** How many rows the resolution changes, from its preview or else from rehearsal: its changes' counts, not their backup copies'. */
export function resolutionRows(f: FindingPlan): { rows: number; table?: string } | undefined {
  if (f.resolutionPreview) return { rows: f.resolutionPreview.rows, table: f.resolutionPreview.table };
  const counts = statements(f.steps).flatMap((s) => (s.step.phase === 'resolution' && changesOf(s) ? [f.rehearsal?.rowCounts[s.index]] : []));
  if (!counts.length || counts.some((c) => c === undefined)) return undefined;
  return { rows: counts.reduce<number>((a, c) => a + (c ?? 0), 0), ...(f.table ? { table: f.table } : {}) };
}

/** Why a finding is left out of a run. */
export function skipReason(f: FindingPlan): string {
  const review = f.finding.review;
  if (review && isSignedOffSkipped(f.finding) && isApplicable(f)) return signedOffText(review);
  switch (f.status) {
    case 'blocked': {
      const blocking = blockingLeft(f.checks);
      const what = blocking.map((c) => `${plural(c.rows, 'row')} in ${c.id}`).join(', ');
      return `blocked: ${what || 'blocking rows'} and no resolution`;
    }
    case 'applied':
      return `already in place${f.appliedReason ? `: ${f.appliedReason}` : ''}`;
    case 'error':
      return `error: ${f.error ?? 'unknown error'}`;
    default:
      return f.status;
  }
}

/**
 * A validating step rehearsed NOT VALID (or a unique index over no rows). The lock is the step's
 * own: PostgreSQL takes the same mode with or without validation; apply holds it while it reads
 * every row.
 */
export function answeredText(a: { check: string; rows: number; form?: AnsweredValidation['form']; answeredBy?: CatalogAnswer }): string {
  if (a.answeredBy) {
    return `validation ${catalogAnswerText(a.answeredBy)} — the key this step replaces, read again right before it, nothing committed until the step's lock (same lock as the step; apply validates every row)`;
  }
  if (a.form === 'listed-rows') {
    return `rows found by the prechecks: the ${a.rows} ${a.check} rows they listed in the plan's snapshot, no transaction committed since (apply finds them by the statement's own query)`;
  }
  const what = a.form === 'no-rows' ? 'uniqueness' : 'validation';
  const apply = a.form === 'no-rows' ? 'builds the index over every row' : 'validates every row';
  return `${what} answered by the precheck count: ${a.rows} ${a.check} in the plan's snapshot, no transaction committed since (same lock as the step; apply ${apply})`;
}

/** A step with a rehearsal form that ran in full anyway: `validated in full: …`. */
export function inFullText(a: { why: string; rows?: true }): string {
  return `${a.rows ? 'rows found by the statement' : 'validated in full'}: ${a.why}`;
}

/** `rollback rehearsed: restores exactly`, what differs, or why it was not rehearsed. */
export function rollbackRehearsedText(r: RollbackRehearsal | undefined): string | undefined {
  if (!r) return undefined;
  if (r.skipped) return `rollback not rehearsed: ${r.skipped}`;
  const notes = [
    ...(r.answered ?? []).map((a) => `statement ${a.statement + 1}: ${a.says}; apply's rollback reads every row`),
    ...(r.inFull ?? []).map((a) => `statement ${a.statement + 1} run in full: ${a.why}`),
  ];
  const more = notes.length ? ` (${notes.join('; ')})` : '';
  return r.ok ? `rollback rehearsed: restores exactly${more}` : `rollback rehearsed: differs — ${(r.differs ?? ['no detail']).join('; ')}${more}`;
}
