import type { Severity } from '../model.js';
import type { MatchKey } from './candidate.js';
import type { Heading, ReportTable } from './markdown.js';
import { cellSeverity, chapterOf } from './sections.js';

/**
 * The report's issue tables read as rows naming a table, its columns, maybe a parent table, and a
 * risk level — e.g. seed 000's impact matrix (Parent Table | Child Table | FK Column | … | Risk
 * Level) — and the best row for a finding.
 */

export interface IssueRow {
  table: string;
  columns: string[];
  parent?: string;
  severity?: Severity;
  headings: Heading[];
}

const TABLE_HEADER = /^(child\s+)?table(\s+name)?$|^relation$/i;
const PARENT_HEADER = /^(parent|referenced)(\s+table)?$|^references$/i;
const COLUMN_HEADER = /^(fk\s+)?(column|columns|field|fields)$/i;
const RISK_HEADER = /risk|severity|priority|level/i;

export function issueRows(tables: ReportTable[]): IssueRow[] {
  return tables.flatMap(rowsOf);
}

function rowsOf(table: ReportTable): IssueRow[] {
  const find = (re: RegExp) => table.header.findIndex((h) => re.test(h.trim()));
  const tableCol = find(TABLE_HEADER);
  const columnCol = find(COLUMN_HEADER);
  const parentCol = find(PARENT_HEADER);
  const riskCol = find(RISK_HEADER);
  if (columnCol < 0) return [];
  const rows: IssueRow[] = [];
  for (const cells of table.rows) {
    let columns = identifiers(cells[columnCol] ?? '');
    let name = tableCol >= 0 ? identifiers(cells[tableCol] ?? '')[0] : undefined;
    if (name === undefined) {
      // "users.email" or "*.status" in a Field column names the table too.
      const dotted = (cells[columnCol] ?? '').trim().split('.');
      if (dotted.length !== 2) continue;
      name = dotted[0]?.trim();
      columns = identifiers(dotted[1] ?? '');
    }
    if (!name || columns.length === 0) continue;
    const parent = parentCol >= 0 ? identifiers(cells[parentCol] ?? '')[0] : undefined;
    const severity = riskCol >= 0 ? cellSeverity(cells[riskCol] ?? '') : undefined;
    rows.push({ table: name, columns, ...(parent ? { parent } : {}), ...(severity ? { severity } : {}), headings: table.headings });
  }
  return rows;
}

/** Names in a cell like "(user_id, period_start) WHERE status='ACTIVE'" → [user_id, period_start]. */
function identifiers(cell: string): string[] {
  const beforeWhere = cell.split(/\bwhere\b/i)[0] ?? '';
  return beforeWhere
    .replace(/[()`]/g, ' ')
    .split(/[,\s]+/)
    .map((w) => w.trim())
    .filter((w) => /^(\*|[A-Za-z_][A-Za-z0-9_$]*)$/.test(w));
}

/**
 * The row that best describes a finding: same table (or `*`), same parent when both name one,
 * and the most overlapping columns; rows in the finding's own chapter win ties.
 */
export function bestRow(rows: IssueRow[], key: MatchKey, headings: Heading[]): IssueRow | undefined {
  const bare = (t: string) => (t.split('.').pop() ?? t).toLowerCase();
  const keyColumns = new Set(key.columns.map((c) => c.toLowerCase()));
  const chapter = chapterOf(headings);
  let best: { row: IssueRow; score: number } | undefined;
  for (const row of rows) {
    const wildcard = row.table === '*';
    const sameChapter = chapter !== undefined && chapterOf(row.headings) === chapter;
    // "*.status" speaks for every table, but only about findings in its own section.
    if (wildcard ? !sameChapter : bare(row.table) !== bare(key.table)) continue;
    if (row.parent && key.parent && bare(row.parent) !== bare(key.parent)) continue;
    const rowColumns = row.columns.map((c) => c.toLowerCase());
    const shared = rowColumns.filter((c) => keyColumns.has(c)).length;
    if (shared === 0) continue;
    let score = shared === rowColumns.length && shared === keyColumns.size ? 3 : shared === rowColumns.length ? 2 : 1;
    if (wildcard) score -= 0.5;
    if (sameChapter) score += 0.25;
    if (!best || score > best.score) best = { row, score };
  }
  return best?.row;
}
