import { parseName } from '../../db/names.js';
import { deparseSync, loadModule, parseSync } from 'pgsql-parser';
import { loadModule as loadPlpgsqlModule, parsePlPgSQLSync } from 'libpg-query';
import type { Node, RawStmt } from 'libpg-query';
import { quoteIdent } from '../../db/quote.js';

/**
 * The real PostgreSQL parser (libpg_query compiled to wasm), loaded once. pgsql-parser gives
 * parse/deparse; PL/pgSQL bodies (trigger functions, DO blocks) need libpg-query's own
 * parsePlPgSQLSync, which pgsql-parser does not re-export.
 */

let loading: Promise<void> | undefined;

export function loadSqlParser(): Promise<void> {
  // Both entry points are initialised: under some loaders they resolve to separate module copies.
  loading ??= Promise.all([loadModule(), loadPlpgsqlModule()]).then(() => undefined);
  return loading;
}

export type ParseOutcome = { ok: true; stmts: RawStmt[] } | { ok: false; message: string; offset: number };

/** Parses SQL text; on a syntax error returns the message and the byte offset where it happened. */
export function parseSql(sql: string): ParseOutcome {
  try {
    return { ok: true, stmts: parseSync(sql).stmts ?? [] };
  } catch (e) {
    const details = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, message, offset: Math.max(0, details?.cursorPosition ?? 0) };
  }
}

/** Parses exactly one SQL expression (wrapped as `SELECT expr`), or returns undefined. */
export function parseExpression(expr: string): Node | undefined {
  const parsed = parseSql(`SELECT ${expr}`);
  if (!parsed.ok || parsed.stmts.length !== 1) return undefined;
  const stmt = parsed.stmts[0]?.stmt;
  if (!stmt || !('SelectStmt' in stmt)) return undefined;
  const target = stmt.SelectStmt.targetList;
  if (target?.length !== 1) return undefined;
  const first = target[0];
  return first && 'ResTarget' in first ? first.ResTarget.val : undefined;
}

/** The PL/pgSQL AST of a CREATE FUNCTION statement, or undefined when it is not PL/pgSQL. */
export function parsePlpgsql(createFunctionSql: string): unknown {
  try {
    return parsePlPgSQLSync(createFunctionSql);
  } catch {
    return undefined;
  }
}

/** One line of SQL for an AST node (expressions, statements, index elements). */
export function deparse(node: Node): string {
  return deparseSync(node, { pretty: false }).trim();
}

/** A possibly qualified name (`schema.table` as the findings format writes it), quoted where needed. */
export function quoteName(name: string): string {
  let parts: string[];
  try {
    parts = parseName(name, 'object', 3).map((p) => p.text);
  } catch {
    parts = [name];
  }
  return parts.map((p) => quoteIdent(p)).join('.');
}
