/**
 * GFM pipe tables. mdast-util-from-markdown parses CommonMark, where a table is an ordinary
 * paragraph; this reads the paragraph's source as the GFM table syntax: a header row, a delimiter
 * row (`|---|:--:|`), then body rows, cells split on unescaped pipes outside code spans.
 */

export interface PipeTable {
  header: string[];
  rows: string[][];
  /** Lines between the paragraph's first line and the header row. */
  lineOffset: number;
}

export function readPipeTable(source: string, cellText: (raw: string) => string): PipeTable | undefined {
  const lines = source.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const header = splitRow(lines[i] ?? '');
    const delimiter = splitRow(lines[i + 1] ?? '');
    if (header.length === 0 || delimiter.length !== header.length || !delimiter.every(isDelimiterCell)) continue;
    const rows: string[][] = [];
    for (const line of lines.slice(i + 2)) {
      if (!line.includes('|')) break;
      rows.push(splitRow(line).map(cellText));
    }
    return { header: header.map(cellText), rows, lineOffset: i };
  }
  return undefined;
}

function isDelimiterCell(cell: string): boolean {
  const t = cell.trim();
  if (t.length === 0) return false;
  let i = t.startsWith(':') ? 1 : 0;
  const end = t.endsWith(':') && t.length > 1 ? t.length - 1 : t.length;
  if (i >= end) return false;
  for (; i < end; i++) if (t[i] !== '-') return false;
  return true;
}

function splitRow(line: string): string[] {
  let text = line.trim();
  if (!text.includes('|')) return [];
  if (text.startsWith('|')) text = text.slice(1);
  if (text.endsWith('|') && !text.endsWith('\\|')) text = text.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  let codeTicks = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === '\\' && text[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (ch === '`') {
      let run = 0;
      while (text[i + run] === '`') run++;
      codeTicks = codeTicks === 0 ? run : codeTicks === run ? 0 : codeTicks;
      cell += '`'.repeat(run);
      i += run - 1;
    } else if (ch === '|' && codeTicks === 0) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += ch;
    }
  }
  cells.push(cell.trim());
  return cells;
}
