import { basename } from 'node:path';
import type { Severity } from '../model.js';
import type { Candidate } from './candidate.js';
import { bestRow, type IssueRow } from './issue-rows.js';
import type { Heading } from './markdown.js';
import { sectionLabel, sectionTitle, severityFromHeadings } from './sections.js';

/**
 * What the report says around a finding: severity from its issue tables (a matching row's risk
 * level) or headings ("(CRITICAL)"), else medium; the source section; the title from the comment
 * above the statement, else the section heading and what the statement does.
 */

export interface FindingContext {
  title: string;
  severity: Severity;
  source: string;
}

export function contextFor(candidate: Candidate, rows: IssueRow[], fileName: string): FindingContext {
  const anchor = candidate.statements[0];
  const headings = anchor?.block.headings ?? [];
  const row = candidate.match ? bestRow(rows, candidate.match, headings) : undefined;
  const severity =
    row?.severity ?? severityFromHeadings(headings) ?? (row ? severityFromHeadings(row.headings) : undefined) ?? 'medium';

  const sections = [nearest(row?.headings), nearest(headings)]
    .filter((h): h is Heading => h !== undefined)
    .map((h) => `§${sectionLabel(h)}`);
  const file = basename(fileName);
  const source = sections.length > 0 ? `${file} ${[...new Set(sections)].join(', ')}` : file;

  const comment = candidate.statements.map((s) => s.comment).find((c) => c !== undefined);
  const heading = nearest(headings);
  const title = comment ?? (heading ? `${sectionTitle(heading)}: ${candidate.description}` : candidate.description);
  return { title, severity, source };
}

function nearest(headings: Heading[] | undefined): Heading | undefined {
  return headings?.[headings.length - 1];
}
