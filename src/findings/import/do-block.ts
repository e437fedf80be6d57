import type { DoStmt, Node } from 'libpg-query';
import { walk } from './ast.js';
import { parsePlpgsql, parseSql } from './sql-parser.js';

/**
 * The plain SQL statements inside a DO block: its body parsed as PL/pgSQL (wrapped in a
 * throwaway function), then each embedded statement parsed as SQL.
 */
export type DoBlockStatements = { ok: true; nodes: Node[] } | { ok: false; reason: string };

export function doBlockStatements(doStmt: DoStmt): DoBlockStatements {
  const body = doBody(doStmt);
  if (body === undefined) return { ok: false, reason: 'a DO block in a language other than PL/pgSQL' };
  let tag = 'pgmend';
  while (body.includes(`$${tag}$`)) tag += '_';
  const plpgsql = parsePlpgsql(`CREATE FUNCTION pgmend_do() RETURNS void AS $${tag}$${body}$${tag}$ LANGUAGE plpgsql`);
  if (!plpgsql) return { ok: false, reason: 'the DO block does not parse as PL/pgSQL' };
  const nodes: Node[] = [];
  let problem: string | undefined;
  walk(plpgsql, (kind, stmt) => {
    if (kind === 'PLpgSQL_stmt_execsql') {
      const query = (stmt.sqlstmt as { PLpgSQL_expr?: { query?: string } } | undefined)?.PLpgSQL_expr?.query;
      const parsed = query ? parseSql(query) : undefined;
      if (parsed?.ok) nodes.push(...parsed.stmts.flatMap((s) => (s.stmt ? [s.stmt] : [])));
      else problem ??= 'a statement in the DO block does not parse';
    } else if (kind === 'PLpgSQL_stmt_dynexecute' || kind === 'PLpgSQL_stmt_perform') {
      problem ??= 'the DO block runs dynamic SQL or calls functions';
    }
  });
  return problem ? { ok: false, reason: problem } : { ok: true, nodes };
}

/** The body of a DO block, when its language is PL/pgSQL (the default). */
function doBody(doStmt: DoStmt): string | undefined {
  let body: string | undefined;
  let language = 'plpgsql';
  for (const arg of doStmt.args ?? []) {
    if (!('DefElem' in arg)) continue;
    const value = arg.DefElem.arg && 'String' in arg.DefElem.arg ? arg.DefElem.arg.String.sval : undefined;
    if (arg.DefElem.defname === 'as') body = value;
    if (arg.DefElem.defname === 'language' && value) language = value.toLowerCase();
  }
  return language === 'plpgsql' ? body : undefined;
}
