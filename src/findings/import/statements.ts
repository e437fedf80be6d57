import type { Node } from 'libpg-query';
import { kindOf } from './ast.js';
import type { CodeBlock } from './markdown.js';
import { parseSql } from './sql-parser.js';

/**
 * Splits a code block into statements with the parser's own locations (`stmt_location`,
 * `stmt_len`, byte offsets), keeping each statement's original text, the `--` comment just above
 * it and its line in the report.
 */

export interface Statement {
  node: Node;
  /** Node kind: `AlterTableStmt`, `CreateFunctionStmt`, … */
  kind: string;
  /** Original text, without leading comments and the closing semicolon. */
  sql: string;
  /** The `--` comment lines directly above the statement, joined. */
  comment?: string;
  /** Report line of the statement's first token. */
  line: number;
  block: CodeBlock;
  /** Position in the whole report, for stable ordering. */
  order: number;
}

export type SplitOutcome = { ok: true; statements: Statement[] } | { ok: false; message: string; line: number };

export function splitStatements(block: CodeBlock, firstOrder: number): SplitOutcome {
  const parsed = parseSql(block.text);
  const bytes = Buffer.from(block.text, 'utf8');
  const lineAt = (offset: number) => block.line + countNewlines(bytes.subarray(0, offset));
  if (!parsed.ok) return { ok: false, message: parsed.message, line: lineAt(parsed.offset) };

  const statements: Statement[] = [];
  let previousEnd = 0;
  for (const raw of parsed.stmts) {
    if (!raw.stmt) continue;
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length; // stmt_len 0: to the end
    const text = bytes.subarray(start, end).toString('utf8');
    // The location is the first token; older parsers included the comments before it.
    const lead = leadingComments(text);
    const before = bytes.subarray(previousEnd, start).toString('utf8') + lead;
    const comment = commentAbove(before, previousEnd === 0);
    previousEnd = end;
    statements.push({
      node: raw.stmt,
      kind: kindOf(raw.stmt),
      sql: text.slice(lead.length).trim().replace(/;\s*$/, '').trimEnd(),
      ...(comment ? { comment } : {}),
      line: lineAt(start + Buffer.byteLength(lead, 'utf8')),
      block,
      order: firstOrder + statements.length,
    });
  }
  return { ok: true, statements };
}

function countNewlines(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) if (b === 0x0a) n++;
  return n;
}

/**
 * The whitespace and comments before a statement's first token. The parser guarantees nothing
 * else precedes it, so no string or identifier can be misread here.
 */
function leadingComments(text: string): string {
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (text.startsWith('--', i)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (text.startsWith('/*', i)) {
      let depth = 0;
      do {
        if (text.startsWith('/*', i)) (depth++, (i += 2));
        else if (text.startsWith('*/', i)) (depth--, (i += 2));
        else i++;
      } while (depth > 0 && i < text.length);
    } else {
      break;
    }
  }
  // Back up to the start of the statement's own line so its indentation is not counted as lead.
  while (i > 0 && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  return text.slice(0, i);
}

/**
 * The run of `--` lines directly above a statement, in the text between the previous statement's
 * end and this one's first token. The rest of the previous statement's own line is not "above".
 */
function commentAbove(before: string, atBlockStart: boolean): string | undefined {
  const lines = before.split('\n');
  if (lines.length < 2) return undefined; // on the same line as the previous statement
  const own = lines.pop() ?? '';
  if (own.trim().length > 0) return undefined; // something (a /* */ comment) precedes it on its line
  if (!atBlockStart) lines.shift();
  const run: string[] = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').trim();
    if (!line.startsWith('--')) break;
    run.unshift(line.replace(/^--+\s*/, '').trim());
  }
  const text = run.filter((l) => l.length > 0).join(' ');
  return text.length > 0 ? text : undefined;
}
