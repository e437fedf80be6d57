import { expect } from 'vitest';
import type { Finding } from '../../src/findings/model.js';
import { findingSchema } from '../../src/findings/model.js';
import { parseFindingsText } from '../../src/findings/load.js';
import { importReport, type ImportResult } from '../../src/findings/import/import-report.js';
import { renderFindings } from '../../src/findings/import/output.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { ensureParser, parseExpression, parseStatements } from '../../src/playbooks/expression.js';

/** Shared by the import-*.test.ts files: import a Markdown snippet, find findings, check they load. */

export function importMd(markdown: string, fileName = 'report.md'): Promise<ImportResult> {
  return importReport(markdown, fileName);
}

export function only(result: ImportResult, playbook: string): Finding[] {
  return result.findings.filter((f) => f.playbook === playbook);
}

export function byId(result: ImportResult, id: string): Finding {
  const found = result.findings.find((f) => f.id === id);
  if (!found) throw new Error(`no finding ${id}; have ${result.findings.map((f) => f.id).join(', ')}`);
  return found;
}

export function counts(result: ImportResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of result.findings) out[f.playbook] = (out[f.playbook] ?? 0) + 1;
  return out;
}

/**
 * The output must load with the project's findings loader and playbooks (YAML and JSON), and every
 * SQL text in it must pass the playbooks' own parser checks.
 */
export async function expectLoadable(findings: Finding[]): Promise<void> {
  const playbooks = await loadPlaybooks();
  for (const format of ['yaml', 'json'] as const) {
    const loaded = parseFindingsText(renderFindings(findings, format, 'report.md'), `out.${format}`, playbooks);
    expect(loaded).toEqual(findings);
  }
  await ensureParser();
  for (const f of findings) {
    expect(findingSchema.safeParse(f).success).toBe(true);
    const p = f.params as Record<string, unknown>;
    if (typeof p.expression === 'string') parseExpression(p.expression, { what: f.id, subqueries: f.playbook === 'counter' });
    if (typeof p.where === 'string') parseExpression(p.where, { what: f.id });
    if (f.playbook === 'unique' || f.playbook === 'index') {
      for (const key of p.columns as string[]) parseExpression(key, { what: f.id });
    }
    if (typeof p.sql === 'string') parseStatements(p.sql, f.id);
    if (typeof p.rollback === 'string') parseStatements(p.rollback, f.id);
  }
}

/** A fenced block. */
export const sql = (text: string, lang = 'sql') => '```' + lang + '\n' + text + '\n```\n';
