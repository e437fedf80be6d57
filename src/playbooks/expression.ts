import { loadModule, parseSync } from 'pgsql-parser';

/**
 * Everything a finding writes as SQL text (CHECK expressions, WHERE predicates, counter subqueries,
 * index keys, raw `sql` findings) goes through the real PostgreSQL parser before it reaches a
 * template. An expression must be exactly one expression: `SELECT (<text>)` must parse to one
 * SELECT with one target and nothing else, so `1) FROM t WHERE (1=1` or `1; DROP TABLE x` fail.
 */

let loaded: Promise<void> | undefined;
export function ensureParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

export class SqlInputError extends Error {}

export interface ParsedExpression {
  /** The original text, parenthesised: safe to splice where an expression goes. */
  sql: string;
  /** Column names referenced without a table qualifier or with the target table's name. */
  columns: string[];
}

const WRITE_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

function parse(sql: string): { stmts: { stmt: Record<string, unknown> }[] } {
  try {
    return parseSync(sql) as { stmts: { stmt: Record<string, unknown> }[] };
  } catch (e) {
    // One line: the parser quotes the rest of the text, newlines and all.
    throw new SqlInputError(`does not parse: ${(e as Error).message.replace(/\s*\n\s*/g, ' ').trim()}`);
  }
}

/** Depth-first walk over a parse tree, calling fn(nodeType, node) for every typed node. */
export function walk(node: unknown, fn: (type: string, value: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, fn);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (/^[A-Z]/.test(k) && v && typeof v === 'object' && !Array.isArray(v)) fn(k, v as Record<string, unknown>);
    walk(v, fn);
  }
}

function stringsOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((f) => {
    const s = (f as { String?: { sval?: string } }).String?.sval;
    return s === undefined ? [] : [s];
  });
}

export interface ExpressionOptions {
  /** What the text is, for messages: "expression", "where", "counter expression"… */
  what: string;
  subqueries?: boolean;
  /** Name the outer table may be qualified with (for `columns`). */
  tableName?: string;
}

/** What parsing an expression's text learns, whatever the options: checked against them on each use. */
interface ParsedText {
  sql: string;
  /** Every column reference's name parts, in order. */
  refs: string[][];
  /** What the options may refuse, in tree order: a subquery, a data change, a row lock. */
  issues: ('subquery' | 'write' | 'lock')[];
}

/**
 * Parsed texts: a findings file's expressions are parsed when it loads and again when each finding
 * is prepared (plan, every re-plan of the TUI), ~1 ms of WASM parser each. Pure, so a text is
 * parsed once (a text that does not parse is not kept); bounded, for a long review session.
 */
const parsedTexts = new Map<string, ParsedText>();
const PARSED_MAX = 10_000;

export function parseExpression(text: string, opts: ExpressionOptions): ParsedExpression {
  let p = parsedTexts.get(text);
  if (p === undefined) {
    p = parseText(text, opts.what);
    if (parsedTexts.size >= PARSED_MAX) parsedTexts.clear();
    parsedTexts.set(text, p);
  }
  for (const issue of p.issues) {
    if (issue === 'subquery' && !opts.subqueries) throw new SqlInputError(`${opts.what} must not contain a subquery`);
    if (issue === 'write') throw new SqlInputError(`${opts.what} must not modify data`);
    if (issue === 'lock') throw new SqlInputError(`${opts.what} must not lock rows (FOR UPDATE / FOR SHARE)`);
  }
  const columns = new Set<string>();
  for (const parts of p.refs) {
    if (parts.length === 1) columns.add(parts[0]!);
    else if (parts.length >= 2 && opts.tableName && parts.at(-2) === opts.tableName) columns.add(parts.at(-1)!);
  }
  return { sql: p.sql, columns: [...columns] };
}

function parseText(text: string, what: string): ParsedText {
  const trimmed = text.trim();
  if (!trimmed) throw new SqlInputError(`${what} is empty`);
  const tree = parse(`SELECT (\n${trimmed}\n)`);
  const select = tree.stmts.length === 1 ? (tree.stmts[0]!.stmt.SelectStmt as Record<string, unknown> | undefined) : undefined;
  const extraClauses = select
    ? Object.keys(select).filter((k) => !['targetList', 'limitOption', 'op'].includes(k))
    : [];
  const targets = select?.targetList as unknown[] | undefined;
  if (!select || !targets || targets.length !== 1 || extraClauses.length > 0) {
    throw new SqlInputError(`${what} must be exactly one SQL expression`);
  }
  const value = (targets[0] as { ResTarget?: { val?: Record<string, unknown> } }).ResTarget?.val;
  // `a, b` parses as one implicit ROW(a, b): a list, not one expression.
  if ((value?.RowExpr as { row_format?: string } | undefined)?.row_format === 'COERCE_IMPLICIT_CAST') {
    throw new SqlInputError(`${what} must be exactly one SQL expression, not a list`);
  }
  if (!isAtomic(trimmed, value)) throw new SqlInputError(`${what} must be exactly one SQL expression`);
  const refs: string[][] = [];
  const issues: ParsedText['issues'] = [];
  walk(select, (type, node) => {
    if (type === 'SubLink') issues.push('subquery');
    if (WRITE_NODES.has(type)) issues.push('write');
    if (type === 'SelectStmt' && node.lockingClause) issues.push('lock');
    // Functions are checked against the database, by volatility (engine/checks/expression-safety.ts).
    if (type === 'ColumnRef') refs.push(stringsOf(node.fields));
  });
  // A trailing `-- comment` would swallow the closing parenthesis: end the line first.
  const sql = trimmed.includes('--') ? `(${trimmed}\n)` : `(${trimmed})`;
  return { sql, refs, issues };
}

/**
 * `1=1) OR (1=1` parses inside `SELECT (…)` too, yet spliced as `(1=1) OR (1=1)` after `x AND` it
 * escapes its parentheses. Cast the wrapped text: only when the parentheses hold the whole text is
 * the cast's operand the very tree parsed before (same offsets, so even locations match).
 */
function isAtomic(text: string, value: unknown): boolean {
  const tree = parse(`SELECT (\n${text}\n)::pgmend_atomic`);
  const select = tree.stmts.length === 1 ? (tree.stmts[0]!.stmt.SelectStmt as { targetList?: unknown[] } | undefined) : undefined;
  const target = select?.targetList?.length === 1 ? (select.targetList[0] as { ResTarget?: { val?: { TypeCast?: { arg?: unknown } } } }) : undefined;
  const arg = target?.ResTarget?.val?.TypeCast?.arg;
  return arg !== undefined && JSON.stringify(arg) === JSON.stringify(value);
}

const TRANSACTION_CONTROL = new Set(['TransactionStmt']);

/** Statements of a `sql` finding: parsed, no transaction control (pgmend owns the transaction). */
export function parseStatements(text: string, what: string): string[] {
  const trimmed = text.trim();
  if (!trimmed) throw new SqlInputError(`${what} is empty`);
  const tree = parse(trimmed) as { stmts: { stmt: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
  if (tree.stmts.length === 0) throw new SqlInputError(`${what} has no statement`);
  const bytes = Buffer.from(trimmed, 'utf8');
  const out: string[] = [];
  for (const s of tree.stmts) {
    const type = Object.keys(s.stmt)[0] ?? '';
    if (TRANSACTION_CONTROL.has(type)) {
      throw new SqlInputError(`${what} must not contain BEGIN/COMMIT/ROLLBACK: pgmend runs it inside its own transaction`);
    }
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len ? start + s.stmt_len : bytes.length;
    out.push(bytes.subarray(start, end).toString('utf8').trim());
  }
  return out;
}
