import type { Severity } from '../model.js';
import type { Heading } from './markdown.js';

/** What a report's headings say: section numbers, titles, and severities written into them. */

const NUMBERED = /^(\d+(?:\.\d+)*)\.?\s+(.*)$/;

/** `1.3` for "1.3 Migration Script", else the heading's text without leading symbols. */
export function sectionLabel(heading: Heading): string {
  const text = cleanHeading(heading.text);
  const numbered = NUMBERED.exec(text);
  return numbered?.[1] ?? text;
}

/** The heading's words without its number: "Migration Script". */
export function sectionTitle(heading: Heading): string {
  const text = cleanHeading(heading.text);
  return NUMBERED.exec(text)?.[2]?.trim() || text;
}

/** The top-level section a heading path belongs to (below the document title). */
export function chapterOf(path: Heading[]): Heading | undefined {
  return path.find((h) => h.depth >= 2) ?? path[0];
}

const LEVELS: Record<string, Severity> = { CRITICAL: 'critical', HIGH: 'high', MEDIUM: 'medium', LOW: 'low' };

/** A severity a heading states: "(CRITICAL)", "HIGH SEVERITY ISSUES", "Risk Level: MEDIUM". */
export function headingSeverity(text: string): Severity | undefined {
  for (const word of text.split(/[^A-Za-z]+/)) {
    const level = LEVELS[word];
    if (level) return level; // whole upper-case words only, so prose like "low-level" is no rating
  }
  const phrase = /\b(critical|high|medium|low)\s+(?:severity|priority|risk)\b/i.exec(text);
  return phrase?.[1] ? LEVELS[phrase[1].toUpperCase()] : undefined;
}

/** The severity of the nearest enclosing heading that states one. */
export function severityFromHeadings(path: Heading[]): Severity | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const level = headingSeverity(path[i]?.text ?? '');
    if (level) return level;
  }
  return undefined;
}

/** A reading cell's severity: "CRITICAL", "High", "MEDIUM risk". */
export function cellSeverity(cell: string): Severity | undefined {
  const first = /^[^A-Za-z]*([A-Za-z]+)/.exec(cell)?.[1]?.toUpperCase();
  return first ? LEVELS[first] : undefined;
}

function cleanHeading(text: string): string {
  return text.replace(/^[^\p{L}\p{N}]+/u, '').replace(/\s+/g, ' ').trim();
}
