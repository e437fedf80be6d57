/** What an import did, for the reader on stderr: findings per playbook and everything left aside. */

export interface ImportSummary {
  file: string;
  byPlaybook: Record<string, number>;
  /** Statements that became `sql` findings, and why no playbook took them. */
  leftAsSql: { id: string; line: number; why: string; noRollback?: string }[];
  /** `sql` findings a dry run would not execute as they are (statement-safety.ts), and why. */
  heldInDryRun: { id: string; line: number; why: string }[];
  /** What a mapping left out that a reviewer should know (sort orders, CONCURRENTLY…). */
  notes: { id: string; line: number; note: string }[];
  skippedBlocks: { line: number; lang: string | null; why: string }[];
  /** Statements inside SQL blocks that are not changes (queries, session settings). */
  skippedStatements: { line: number; what: string; why: string }[];
  /** BEGIN/COMMIT and friends: the engine runs its own transaction. */
  droppedTransactionControl: number;
  parseErrors: { line: number; message: string }[];
  /** SQL blocks shown as an example or a scenario, not as the fix (illustration.ts). */
  illustrations: { line: number; why: string }[];
}

export function emptySummary(file: string): ImportSummary {
  return { file, byPlaybook: {}, leftAsSql: [], heldInDryRun: [], notes: [], skippedBlocks: [], skippedStatements: [], droppedTransactionControl: 0, parseErrors: [], illustrations: [] };
}

export function formatSummary(s: ImportSummary): string {
  const total = Object.values(s.byPlaybook).reduce((a, b) => a + b, 0);
  const out: string[] = [`imported ${total} finding${total === 1 ? '' : 's'} from ${s.file}`];
  const width = Math.max(0, ...Object.keys(s.byPlaybook).map((k) => k.length));
  for (const [playbook, n] of Object.entries(s.byPlaybook)) out.push(`  ${playbook.padEnd(width)}  ${n}`);
  if (s.leftAsSql.length > 0) {
    out.push(`left as sql (${s.leftAsSql.length}):`);
    for (const e of s.leftAsSql) {
      out.push(`  line ${e.line}  ${e.id}: ${e.why}${e.noRollback ? ` (no rollback: ${e.noRollback})` : ''}`);
    }
  }
  if (s.heldInDryRun.length > 0) {
    out.push(`not proven safe for a dry run (${s.heldInDryRun.length}) — review before approving:`);
    for (const e of s.heldInDryRun) out.push(`  line ${e.line}  ${e.id}: ${e.why}`);
  }
  if (s.notes.length > 0) {
    out.push(`notes (${s.notes.length}):`);
    for (const e of s.notes) out.push(`  line ${e.line}  ${e.id}: ${e.note}`);
  }
  if (s.skippedStatements.length > 0) {
    out.push(`statements skipped (${s.skippedStatements.length}):`);
    for (const e of s.skippedStatements) out.push(`  line ${e.line}  ${e.what}: ${e.why}`);
  }
  if (s.illustrations.length > 0) {
    out.push(`illustrations skipped, no finding (${s.illustrations.length}):`);
    for (const e of s.illustrations) out.push(`  line ${e.line}  ${e.why}`);
  }
  if (s.droppedTransactionControl > 0) out.push(`BEGIN/COMMIT dropped: ${s.droppedTransactionControl}`);
  if (s.skippedBlocks.length > 0) {
    out.push(`blocks skipped (${s.skippedBlocks.length}):`);
    const byKind = new Map<string, number[]>();
    for (const e of s.skippedBlocks) {
      const kind = `${e.lang ?? 'unlabelled'}, ${e.why}`;
      byKind.set(kind, [...(byKind.get(kind) ?? []), e.line]);
    }
    for (const [kind, lines] of byKind) {
      out.push(`  ${kind} (${lines.length}): line${lines.length > 1 ? 's' : ''} ${lines.join(', ')}`);
    }
  }
  if (s.parseErrors.length > 0) {
    out.push(`SQL that failed to parse (${s.parseErrors.length}), not imported:`);
    for (const e of s.parseErrors) out.push(`  line ${e.line}  ${e.message}`);
  }
  return out.join('\n') + '\n';
}
