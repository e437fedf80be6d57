import { basename } from 'node:path';
import type { Finding } from '../model.js';
import type { Candidate } from './candidate.js';
import { contextFor } from './context.js';
import { IdAllocator } from './ids.js';
import { issueRows } from './issue-rows.js';
import { mapConstraint } from './map-constraint.js';
import { mapCounter } from './map-counter.js';
import { mapForeignKeys } from './map-foreign-key.js';
import { mapIndex } from './map-index.js';
import { groupAsSql } from './map-sql.js';
import { mapStateMachines } from './map-state-machine.js';
import { readMarkdown, type CodeBlock } from './markdown.js';
import { loadSqlParser } from './sql-parser.js';
import { splitStatements, type Statement } from './statements.js';
import { illustration } from './illustration.js';
import { classifyStatements } from '../../playbooks/statement-safety.js';
import { emptySummary, type ImportSummary } from './summary.js';

/**
 * An audit report (Markdown with SQL blocks) → findings: SQL blocks are parsed, each statement
 * mapped to the playbook that fixes it (or kept as `sql`), and titled, rated and sourced from the
 * report's comments, headings and tables.
 */

export interface ImportResult {
  findings: Finding[];
  summary: ImportSummary;
}

const SQL_LANGS = new Set(['sql', 'postgresql', 'postgres', 'pgsql', 'plpgsql', 'psql']);
const PLAYBOOK_ORDER = ['foreign-key', 'unique', 'index', 'check', 'allowed-values', 'not-null', 'counter', 'state-machine', 'sql'];

export async function importReport(markdown: string, fileName: string): Promise<ImportResult> {
  await loadSqlParser();
  const doc = readMarkdown(markdown);
  const summary = emptySummary(basename(fileName));
  const statements = collectStatements(doc.blocks, summary);

  const fks = mapForeignKeys(statements);
  const machines = mapStateMachines(statements.filter((s) => !fks.consumed.has(s)));
  const candidates: Candidate[] = [...fks.candidates, ...machines.candidates];
  const rejected = new Map([...fks.rejected, ...machines.rejected]);
  const leftovers: Statement[] = [];
  for (const stmt of statements) {
    if (fks.consumed.has(stmt) || machines.consumed.has(stmt) || rejected.has(stmt)) {
      if (rejected.has(stmt)) leftovers.push(stmt);
      continue;
    }
    const result = mapIndex(stmt) ?? mapConstraint(stmt) ?? mapCounter(stmt);
    if (result && 'candidate' in result) candidates.push(result.candidate);
    else {
      if (result) rejected.set(stmt, result.rejected);
      leftovers.push(stmt);
    }
  }
  candidates.push(...groupAsSql(leftovers, rejected));
  candidates.sort((a, b) => (a.statements[0]?.order ?? 0) - (b.statements[0]?.order ?? 0));

  const rows = issueRows(doc.tables);
  const ids = new IdAllocator();
  const findings = candidates.map((candidate): Finding => {
    const { title, severity, source } = contextFor(candidate, rows, fileName);
    const id = ids.take(candidate.id);
    if (candidate.playbook === 'sql') {
      summary.leftAsSql.push({
        id,
        line: candidate.statements[0]?.line ?? 0,
        why: candidate.why ?? 'no playbook',
        ...(candidate.noRollback ? { noRollback: candidate.noRollback } : {}),
      });
      // What a dry run would hold back is said here; the finding gets no resolution or review of its own.
      const verdict = classifyStatements(candidate.statements.map((st) => ({ kind: st.kind, stmt: st.node as unknown as Record<string, unknown> })));
      if (verdict.kind !== 'rehearse') {
        summary.heldInDryRun.push({
          id,
          line: candidate.statements[0]?.line ?? 0,
          why: verdict.kind === 'outside' ? `${verdict.reason}: a dry run never executes it` : `opaque code (${verdict.reason}): rehearsed only in a sandbox role or once a reviewer approves it`,
        });
      }
    }
    for (const note of candidate.notes ?? []) summary.notes.push({ id, line: candidate.statements[0]?.line ?? 0, note });
    return { id, title, severity, source, playbook: candidate.playbook, params: candidate.params };
  });
  for (const playbook of PLAYBOOK_ORDER) {
    const n = findings.filter((f) => f.playbook === playbook).length;
    if (n > 0) summary.byPlaybook[playbook] = n;
  }
  return { findings, summary };
}

/** Statements of every SQL block, minus transaction control and read-only queries. */
function collectStatements(blocks: CodeBlock[], summary: ImportSummary): Statement[] {
  const statements: Statement[] = [];
  for (const block of blocks) {
    const labelledSql = block.lang !== null && SQL_LANGS.has(block.lang);
    if (block.lang !== null && !labelledSql) {
      summary.skippedBlocks.push({ line: block.line, lang: block.lang, why: 'not SQL' });
      continue;
    }
    const split = splitStatements(block, statements.length);
    // An example or a walk-through is skipped whole — also when its numbering would not parse —
    // except an unlabelled block that is no SQL at all (skipped below as such).
    // A block of queries only keeps its own report (each query skipped as one).
    const changes = split.ok ? split.statements.some((st) => notAChange(st) === undefined) : labelledSql;
    const example = changes ? illustration(block) : null;
    if (example) {
      summary.illustrations.push({ line: block.line, why: example });
      continue;
    }
    if (!split.ok) {
      if (labelledSql) summary.parseErrors.push({ line: split.line, message: `${split.message} (block at line ${block.line})` });
      else summary.skippedBlocks.push({ line: block.line, lang: null, why: 'does not parse as SQL' });
      continue;
    }
    if (split.statements.length === 0) {
      summary.skippedBlocks.push({ line: block.line, lang: block.lang, why: 'no statements, only comments' });
      continue;
    }
    for (const stmt of split.statements) {
      const skip = notAChange(stmt);
      if (skip === 'transaction') summary.droppedTransactionControl++;
      else if (skip) summary.skippedStatements.push({ line: stmt.line, what: skip.what, why: skip.why });
      else statements.push({ ...stmt, order: statements.length });
    }
  }
  return statements;
}

/** Transaction control, queries and session settings change nothing a finding would fix. */
function notAChange(stmt: Statement): 'transaction' | { what: string; why: string } | undefined {
  const node = stmt.node;
  if ('TransactionStmt' in node) return 'transaction';
  if ('SelectStmt' in node && !node.SelectStmt.intoClause) return { what: 'SELECT', why: 'a query, not a change' };
  if ('ExplainStmt' in node) return { what: 'EXPLAIN', why: 'a query, not a change' };
  if ('VariableShowStmt' in node) return { what: 'SHOW', why: 'a query, not a change' };
  if ('VariableSetStmt' in node) return { what: 'SET', why: 'a session setting, not a change to the database' };
  return undefined;
}
