import { displayValue, oneLine, truncate } from './values.js';

/** Small GitHub-flavoured Markdown builders: everything that reaches a cell or a fence is escaped here. */

const CELL_MAX = 60;

/** Text as it renders literally inside a table cell or a line: Markdown and HTML punctuation escaped. */
export function escapeInline(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/[\\`*[\]<>|~]/g, (c) => '\\' + c)
    // snake_case stays readable: `_` only emphasises at a word boundary.
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
    .replace(/^#/, '\\#');
}

/** A table cell for a database value: NULL marked, long values cut, newlines as `<br>`, `|` escaped. */
export function cell(v: unknown): string {
  const text = displayValue(v);
  if (text === null) return '*NULL*';
  if (text === '') return '';
  return truncate(text, CELL_MAX)
    .split(/\r\n|\r|\n/)
    .map((line) => escapeInline(oneLine(line)))
    .join('<br>');
}

/** An inline code span that survives backticks in its content (not for table cells: use `cell`). */
export function code(s: string): string {
  const text = oneLine(s);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A fenced block whose fence is longer than any backtick run in the content. */
export function fence(content: string, lang = ''): string {
  const longest = Math.max(2, ...(content.match(/`+/g) ?? []).map((m) => m.length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${content.replace(/\s+$/, '')}\n${ticks}`;
}

/** A table of rows: columns in first-seen order across all rows. */
export function table(rows: Record<string, unknown>[], opts: { columns?: string[] } = {}): string {
  const columns = opts.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (!columns.length) return '';
  const head = `| ${columns.map((c) => escapeInline(oneLine(c))).join(' | ')} |`;
  const rule = `|${columns.map(() => '---').join('|')}|`;
  const body = rows.map((r) => `| ${columns.map((c) => (c in r ? cell(r[c]) : '')).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}
