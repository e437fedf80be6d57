import { fromMarkdown } from 'mdast-util-from-markdown';
import { readPipeTable } from './pipe-table.js';

/**
 * Reads an audit report with a real Markdown parser: its code blocks and tables, each with the
 * headings it sits under and its line in the report.
 */

export interface Heading {
  depth: number;
  /** Plain text of the heading (emphasis and code marks removed). */
  text: string;
  line: number;
}

export interface CodeBlock {
  /** The info string's first word (`sql`, `python`), or null for an unlabelled block. */
  lang: string | null;
  text: string;
  /** Report line of the block's first content line. */
  line: number;
  /** Enclosing headings, outermost first. */
  headings: Heading[];
}

export interface ReportTable {
  header: string[];
  rows: string[][];
  line: number;
  headings: Heading[];
}

export interface ReportDocument {
  blocks: CodeBlock[];
  tables: ReportTable[];
}

interface MdNode {
  type: string;
  depth?: number;
  lang?: string | null;
  value?: string;
  children?: MdNode[];
  position?: { start: { line: number; offset?: number }; end: { line: number; offset?: number } };
}

export function readMarkdown(markdown: string): ReportDocument {
  const root = fromMarkdown(markdown) as MdNode;
  const blocks: CodeBlock[] = [];
  const tables: ReportTable[] = [];
  const path: Heading[] = [];

  const visit = (node: MdNode): void => {
    const start = node.position?.start;
    if (node.type === 'heading' && start) {
      const depth = node.depth ?? 1;
      while (path.length > 0 && (path[path.length - 1]?.depth ?? 0) >= depth) path.pop();
      path.push({ depth, text: plainText(node).trim(), line: start.line });
      return;
    }
    if (node.type === 'code' && start) {
      const fenced = isFenced(markdown, start.offset);
      blocks.push({
        lang: node.lang ? node.lang.toLowerCase() : null,
        text: node.value ?? '',
        line: fenced ? start.line + 1 : start.line,
        headings: [...path],
      });
      return;
    }
    if (node.type === 'paragraph' && start && node.position?.end) {
      // CommonMark has no tables: a GFM pipe table arrives as a paragraph; read it from its source.
      const source = markdown.slice(start.offset ?? 0, node.position.end.offset ?? 0);
      const table = readPipeTable(source, (cell) => plainText(fromMarkdown(cell) as MdNode).trim());
      if (table) tables.push({ ...table, line: start.line + table.lineOffset, headings: [...path] });
      return;
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  return { blocks, tables };
}

/** The text content of a node, as a reader sees it. */
function plainText(node: MdNode): string {
  if (node.value !== undefined && node.type !== 'code') return node.value;
  return (node.children ?? []).map(plainText).join(node.type === 'root' ? ' ' : '');
}

/** True when the code node starts with a ``` or ~~~ fence (its content then starts a line later). */
function isFenced(markdown: string, offset: number | undefined): boolean {
  if (offset === undefined) return false;
  const head = markdown.slice(offset, offset + 3);
  return head === '```' || head === '~~~';
}
