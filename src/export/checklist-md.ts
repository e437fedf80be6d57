import { catalogAnswerText, flatSteps, isSignedOffSkipped, type CascadeNode, type CheckResult, type FindingPlan, type Plan, type PlanStep } from '../engine/index.js';
import type { LockMode } from '../playbooks/model.js';
import { lockRank } from '../playbooks/lock-modes.js';
import { executionPhases, isRunnable, type IndexedStep, type Phase, type PhaseEntry } from './phases.js';
import { cell, code, escapeInline, fence, table } from './markdown.js';
import {
  describeResolution,
  formatMs,
  hostLabel,
  rehearsedLabel,
  resolutionRows,
  rollbackRehearsedText,
  serverLabel,
  skipReason,
  statusSummary,
} from './summary.js';
import { terminated } from './sql-text.js';
import { oneLine, plural } from './values.js';

/**
 * `plan --format md`: the checklist the person running the maintenance window works through,
 * rendered for GitHub. Runnable findings appear in execution order (the same order as the psql
 * script); blocked, failed and already-applied findings get their own sections and never show SQL
 * to run. The database is shown as host, port, name and server version only.
 */

export interface ChecklistOptions {
  now?: Date;
}

const SIGN_OFF = 'Signed off by: ________  at: ________';

export function planToChecklist(plan: Plan, opts: ChecklistOptions = {}): string {
  const phases = executionPhases(plan);
  const blocks: string[] = [...header(plan, opts.now ?? new Date()), ...runOrder(plan, phases)];
  phases.forEach((phase, i) => blocks.push(...phaseSection(phase, i + 1)));
  blocks.push(...blockedSection(plan), ...errorSection(plan), ...appliedSection(plan));
  return blocks.join('\n\n') + '\n';
}

function header(plan: Plan, now: Date): string[] {
  const db = plan.database;
  const mode =
    plan.mode === 'window'
      ? '**window**: every step in one transaction; any failure rolls everything back'
      : '**online**: each step commits on its own, using the short-lock forms (NOT VALID then VALIDATE, CONCURRENTLY)';
  return [
    `# pgmend execution plan: ${code(db.name)}`,
    [
      `- **Database:** ${code(db.name)} on ${code(hostLabel(db))}, ${escapeInline(serverLabel(db.server))}`,
      `- **Generated:** ${now.toISOString()} (plan built ${escapeInline(plan.createdAt)})`,
      `- **Mode:** ${mode}`,
      `- **Plan fingerprint:** ${code(plan.fingerprint)}`,
    ].join('\n'),
    `**${statusSummary(plan)}**`,
  ];
}

function runOrder(plan: Plan, phases: Phase[]): string[] {
  const lines = phases.map(
    (p, i) => `${i + 1}. Phase ${i + 1} — ${p.title} (${p.entries.map((e) => code(e.finding.id)).join(', ')})`,
  );
  const left = plan.findings.filter((f) => !isRunnable(f));
  const notes: string[] = [];
  const blocked = left.filter((f) => f.status === 'blocked').length;
  const errors = left.filter((f) => f.status === 'error').length;
  const signedSkip = left.filter((f) => isSignedOffSkipped(f.finding));
  for (const f of signedSkip) notes.push(`${code(f.id)} ${escapeInline(skipReason(f))}`);
  if (blocked) notes.push(`${plural(blocked, 'blocked finding')} (see “Blocked — needs a resolution”)`);
  if (errors) notes.push(`${plural(errors, 'finding')} that could not be planned (see “Errors”)`);
  const out = ['## Run order', lines.length ? lines.join('\n') : 'Nothing to run: no finding is ready or resolved.'];
  if (notes.length) out.push(`> **Not in this run:** ${notes.join('; ')}.`);
  out.push(
    'Tick each box once its step ran and its verification returned `ok = true`. ' +
      'Steps take the locks shown; `lock_timeout` keeps them from queueing behind traffic.',
  );
  return out;
}

function phaseSection(phase: Phase, n: number): string[] {
  const out = [`## Phase ${n} — ${phase.title}`];
  for (const entry of phase.entries) {
    out.push(...(phase.kind === 'resolution' ? resolutionEntry(entry) : fixEntry(entry)));
  }
  return out;
}

function findingLine(f: FindingPlan, box: '- [ ] ' | '- [x] ' | '- '): string {
  return `${box}**${escapeInline(f.id)}** ${escapeInline(oneLine(f.title))} · ${f.severity} · ${f.status}`;
}

function aboutLine(f: FindingPlan): string {
  const parts = [`playbook ${code(f.playbook)}`];
  if (f.table) parts.push(`table ${code(f.table)}`);
  if (f.source) parts.push(`source: ${escapeInline(oneLine(f.source))}`);
  return parts.join(' · ');
}

/** The reviewer's sign-off from the review session, when there is one. */
function reviewLines(f: FindingPlan): string[] {
  const r = f.finding.review;
  if (!r) return [];
  const note = r.note ? ` — ${escapeInline(oneLine(r.note))}` : '';
  return [`**Review:** ${r.status === 'approved' ? '✓ approved' : '⊘ skipped'} by ${escapeInline(r.by)} at ${escapeInline(r.at)}${note}`];
}

function resolutionEntry({ finding: f, steps }: PhaseEntry): string[] {
  const out = [`### ${escapeInline(f.id)}: resolve blocking rows`, findingLine(f, '- [ ] '), aboutLine(f), ...reviewLines(f)];
  out.push(...f.checks.flatMap(checkBlocks));
  if (f.resolution) {
    const changes = resolutionRows(f);
    const count = changes
      ? ` It changes **${plural(changes.rows, 'row')}**${changes.table ? ` in ${code(changes.table)}` : ''}.`
      : '';
    out.push(`**Resolution:** ${escapeInline(describeResolution(f.resolution))}.${count}`);
  }
  if (f.resolutionPreview?.sample.length) {
    out.push(`Rows it changes (sample of ${f.resolutionPreview.sample.length}):`, table(f.resolutionPreview.sample));
  }
  out.push(...rehearsalWarning(f), ...stepsBlocks(f, steps));
  const backups = [...new Set(steps.flatMap((s) => (s.step.backupTable ? [s.step.backupTable] : [])))];
  if (backups.length) {
    out.push(
      `Every row it deletes or changes is copied into ${backups.map(code).join(', ')} first, ` +
        'so it can be restored (`pgmend rollback` does so for runs made by `pgmend apply`).',
    );
  }
  return out;
}

function fixEntry({ finding: f, steps }: PhaseEntry): string[] {
  const out = [`### ${escapeInline(f.id)}`, findingLine(f, '- [ ] '), aboutLine(f), ...reviewLines(f)];
  const resolvedEarlier = f.steps.some((s) => s.phase === 'resolution');
  if (resolvedEarlier) out.push('Blocking rows: resolved in Phase 1 (above).');
  else out.push(...f.checks.flatMap(checkBlocks));
  if (f.diff.trim()) out.push('**Schema change**', fence(f.diff, 'diff'));
  if (!resolvedEarlier) out.push(...rehearsalWarning(f));
  if (!steps.length) out.push('No fix steps.');
  out.push(...stepsBlocks(f, steps));
  out.push('**Rollback**', ...rollbackBlocks(f, steps));
  for (const v of f.verify) {
    out.push(`**Verify:** ${escapeInline(oneLine(v.says))} (expects one row with \`ok = true\`)`, fence(terminated(v.sql), 'sql'));
  }
  if (!f.verify.length) out.push('**Verify:** no verification query.');
  out.push(SIGN_OFF);
  return out;
}

function stepLabel(f: FindingPlan, { step, index }: IndexedStep): string {
  const tables = step.tables.length ? ` on ${step.tables.map(code).join(', ')}` : '';
  const desc = step.description ? `: ${escapeInline(oneLine(step.description))}` : '';
  const outside = step.transactional ? '' : ' · runs outside a transaction';
  return `**Step ${index + 1}/${flatSteps(f.steps).length}** (${step.phase})${desc} · lock ${code(step.lock)}${tables} · ${rehearsedLabel(f.rehearsal, index)}${outside}`;
}

/** A row change's change joins its backup's transaction; a row change after it too, unless batched (online: one transaction per batch). */
const joinsTransaction = (s: IndexedStep) => s.role === 'change' || (s.role === 'backup' && !s.of!.repeat);

/**
 * Steps as they are run by hand, one statement at a time in psql: each on its own, except a row
 * backup and the change that follows it, which must share one transaction — the change touches
 * exactly the rows that transaction backed up, so run apart it would touch none.
 */
function stepsBlocks(f: FindingPlan, steps: IndexedStep[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    const group = [s];
    if (s.role === 'backup') {
      while (i + 1 < steps.length && joinsTransaction(steps[i + 1]!)) group.push(steps[++i]!);
    }
    if (group.length === 1) {
      out.push(stepLabel(f, s), ...stepLockBlocks(s.step, flatSteps(f.steps).slice(0, s.index)), fence(terminated(s.step.sql), 'sql'));
      continue;
    }
    const numbers = `${group[0]!.index + 1}–${group.at(-1)!.index + 1}`;
    const again = s.step.repeat
      ? ' Online mode: run this transaction again until the backup inserts no row (`INSERT 0 0`); each run handles one batch.'
      : '';
    out.push(
      group.map((g) => stepLabel(f, g)).join('  \n'),
      ...group.flatMap((g) => {
        const locks = stepLockBlocks(g.step, flatSteps(f.steps).slice(0, g.index));
        return locks.length ? [`Step ${g.index + 1} locks:`, ...locks] : [];
      }),
      `Steps ${numbers} run together, in one transaction: the change touches exactly the rows this transaction backed up (run apart, it touches none).${again}`,
      fence(['BEGIN;', ...group.map((g) => terminated(g.step.sql)), 'COMMIT;'].join('\n'), 'sql'),
    );
  }
  return out;
}

/** What undoes the finding: its rollback SQL, and for backed-up rows what `pgmend rollback` does. */
function rollbackBlocks(f: FindingPlan, steps: IndexedStep[]): string[] {
  const backups = [...new Set(steps.flatMap((s) => (s.step.backupTable ? [s.step.backupTable] : [])))];
  const rows = backups.length
    ? [
        `Rows: every row this changes is first copied into ${backups.map(code).join(', ')}. ` +
          '`pgmend rollback --run ID` puts them back (same keys, same values) for a run made by `pgmend apply`; ' +
          'run by hand, restore them from that table.',
      ]
    : [];
  if (f.rollback.length) return [fence(f.rollback.map(terminated).join('\n'), 'sql'), ...rows];
  return rows.length ? ['No schema change to undo.', ...rows] : ['No rollback SQL: nothing in this finding can be undone by SQL.'];
}

/** A lock an earlier step of the finding already took (pg_locks shows a mode once per transaction). */
function heldSince(table: string, mode: LockMode | undefined, earlier: PlanStep[]): string {
  const k = earlier.findIndex((s) => s.observed?.[table] && mode && lockRank(s.observed[table]!) >= lockRank(mode));
  return k >= 0 ? `held since step ${k + 1}` : 'none';
}

/**
 * Per table: the declared mode, the mode rehearsal saw PostgreSQL take and how long rehearsal
 * held it; a flag where PostgreSQL took more than was declared (the declaration now says so).
 */
function stepLockBlocks(step: PlanStep, earlier: PlanStep[]): string[] {
  const locks = step.locks ?? Object.fromEntries(step.tables.map((t) => [t, step.lock]));
  const tables = [...new Set([...Object.keys(locks), ...Object.keys(step.observed ?? {})])].sort();
  if (!tables.length) return [];
  const notObserved = step.lockSource === 'rules' ? (step.transactional ? 'not run (rules)' : 'cannot run in a transaction (rules)') : 'not rehearsed';
  const rows = tables.map((t) => ({
    table: t,
    declared: locks[t] ?? '',
    observed: step.observed ? (step.observed[t] ?? heldSince(t, locks[t], earlier)) : notObserved,
    held: step.observed?.[t] && step.heldMs !== undefined ? formatMs(step.heldMs) : '',
  }));
  return [...(step.lockNote ? [`> **Lock raised by rehearsal:** ${escapeInline(step.lockNote)}`] : []), table(rows, { columns: ['table', 'declared', 'observed', 'held'] })];
}

function rehearsalWarning(f: FindingPlan): string[] {
  const r = f.rehearsal;
  if (!r) return ['> **Not rehearsed.**'];
  if (!r.ok) return [`> **Rehearsal failed** after ${formatMs(r.ms)}: ${escapeInline(oneLine(r.error ?? 'no message'))}`];
  const rollback = rollbackRehearsedText(r.rollback);
  const rb = rollback ? [`> **${r.rollback!.ok ? 'Rollback rehearsed' : r.rollback!.skipped ? 'Rollback not rehearsed' : 'Rollback rehearsed, differs'}:** ${escapeInline(oneLine(rollback.replace(/^rollback (not )?rehearsed: (differs — )?/, '')))}`] : [];
  if (r.skipped) return [`> **Not fully rehearsed:** ${escapeInline(oneLine(r.skipped))}`, ...rb];
  return rb;
}

function checkBlocks(c: CheckResult): string[] {
  const groups = c.groups !== undefined ? ` in ${plural(c.groups, 'duplicate group')}` : '';
  const answered = c.answeredBy ? ` — ${escapeInline(catalogAnswerText(c.answeredBy))}` : '';
  const out = [`**Check ${escapeInline(c.id)}**${c.blocking ? ' (blocking)' : ''}: ${plural(c.rows, 'row')}${groups}${answered}`];
  if (c.values?.length) {
    out.push(
      ['| value | rows |', '|---|---:|', ...c.values.map((v) => `| ${cell(v.value)} | ${v.rows} |`)].join('\n'),
    );
  }
  if (c.cascade?.length) out.push('Deleting one parent row reaches:', cascadeList(c.cascade, 0));
  if (c.sample.length) out.push(`Sample (${c.sample.length} of ${c.rows}):`, table(c.sample));
  return out;
}

function cascadeList(nodes: CascadeNode[], depth: number): string {
  const pad = '  '.repeat(depth);
  return nodes
    .map((n) => {
      const line =
        `${pad}- ${code(n.table)} via ${code(n.via)}: ${n.action}, ` +
        `${plural(n.total, 'row')} in total, at most ${n.maxPerParent} per parent row`;
      return n.children.length ? `${line}\n${cascadeList(n.children, depth + 1)}` : line;
    })
    .join('\n');
}

function blockedSection(plan: Plan): string[] {
  const blocked = plan.findings.filter((f) => f.status === 'blocked');
  if (!blocked.length) return [];
  const out = [
    '## Blocked — needs a resolution',
    'These findings have blocking rows and no resolution, so none of their steps run. Choose a resolution in ' +
      '`pgmend review`, or add `resolution: {strategy: delete | update | set-null}` to the finding and plan again.',
  ];
  for (const f of blocked) {
    out.push(`### ${escapeInline(f.id)}`, findingLine(f, '- '), aboutLine(f), ...reviewLines(f), ...f.checks.flatMap(checkBlocks));
  }
  return out;
}

function errorSection(plan: Plan): string[] {
  const failed = plan.findings.filter((f) => f.status === 'error');
  if (!failed.length) return [];
  const out = ['## Errors — could not be planned'];
  for (const f of failed) {
    out.push(`### ${escapeInline(f.id)}`, findingLine(f, '- '), aboutLine(f), fence(f.error ?? 'unknown error', 'text'));
  }
  return out;
}

function appliedSection(plan: Plan): string[] {
  const applied = plan.findings.filter((f) => f.status === 'applied');
  if (!applied.length) return [];
  const lines = applied.map(
    (f) => `${findingLine(f, '- [x] ')}${f.appliedReason ? `: ${escapeInline(oneLine(f.appliedReason))}` : ''}`,
  );
  return ['## Already in place', lines.join('\n')];
}
