import type { Node } from 'libpg-query';
import { names, walk } from './ast.js';
import type { Candidate } from './candidate.js';
import { functionLanguage, functionName, functionOf, triggerOf, triggersCalling, triggerTable } from './functions.js';
import { parseExpression, parsePlpgsql } from './sql-parser.js';
import type { Statement } from './statements.js';

/**
 * A PL/pgSQL trigger function holding a transitions map — a JSON(B) literal
 * `'{"PENDING": ["PROCESSING"], …}'` — and reading `OLD.col`/`NEW.col`, with the trigger that
 * attaches it → `state-machine` {table, column, transitions}.
 */

export type Transitions = Record<string, string[]>;

export interface StateMachineMapping {
  candidates: Candidate[];
  consumed: Set<Statement>;
  /** Transition functions that could not be mapped, with why. */
  rejected: Map<Statement, string>;
}

export function mapStateMachines(statements: Statement[]): StateMachineMapping {
  const mapping: StateMachineMapping = { candidates: [], consumed: new Set(), rejected: new Map() };
  for (const stmt of statements) {
    const fn = functionOf(stmt);
    if (!fn || functionLanguage(fn) !== 'plpgsql') continue;
    const body = parsePlpgsql(stmt.sql);
    const maps = transitionMaps(body);
    if (maps.length === 0) continue;
    const name = functionName(fn);
    if (maps.length > 1) {
      mapping.rejected.set(stmt, `${name} holds ${maps.length} transition maps: which one applies is unclear`);
      continue;
    }
    const triggers = triggersCalling(fn, statements);
    if (triggers.length !== 1) {
      mapping.rejected.set(
        stmt,
        triggers.length === 0 ? `no trigger in the report calls ${name}` : `${name} is attached by ${triggers.length} triggers`,
      );
      continue;
    }
    const [triggerStmt] = triggers as [Statement];
    const trigger = triggerOf(triggerStmt);
    if (!trigger) continue;
    const column = transitionColumn(body, names(trigger.columns));
    if (!column) {
      mapping.rejected.set(stmt, `cannot tell which OLD/NEW column ${name} checks`);
      continue;
    }
    const table = triggerTable(trigger);
    const bare = trigger.relation?.relname ?? table;
    mapping.consumed.add(stmt).add(triggerStmt);
    mapping.candidates.push({
      playbook: 'state-machine',
      params: { table, column, transitions: maps[0] },
      statements: [stmt, triggerStmt].sort((a, b) => a.order - b.order),
      id: `SM-${bare}.${column}`,
      description: `${table}.${column} moves only along its allowed transitions`,
      match: { table, columns: [column] },
    });
  }
  return mapping;
}

/** Every JSON object literal of the shape {STATE: [NEXT…]} in the function's expressions. */
function transitionMaps(plpgsql: unknown): Transitions[] {
  const found: Transitions[] = [];
  walk(plpgsql, (kind, body) => {
    const query = kind === 'PLpgSQL_expr' ? body.query : undefined;
    if (typeof query !== 'string') return;
    const expr = parseExpression(query);
    if (!expr) return;
    for (const literal of jsonLiterals(expr)) {
      const map = asTransitions(literal);
      if (map && !found.some((m) => JSON.stringify(m) === JSON.stringify(map))) found.push(map);
    }
  });
  return found;
}

/** String constants cast to json/jsonb, and a bare string that is the whole expression. */
function jsonLiterals(expr: Node): string[] {
  const out: string[] = [];
  if ('A_Const' in expr && expr.A_Const.sval?.sval) out.push(expr.A_Const.sval.sval);
  walk(expr, (kind, body) => {
    if (kind !== 'TypeCast') return;
    const cast = body as { arg?: Node; typeName?: { names?: Node[] } };
    const type = names(cast.typeName?.names).pop()?.toLowerCase();
    if ((type === 'jsonb' || type === 'json') && cast.arg && 'A_Const' in cast.arg && cast.arg.A_Const.sval?.sval) {
      out.push(cast.arg.A_Const.sval.sval);
    }
  });
  return out;
}

function asTransitions(text: string): Transitions | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length === 0) return undefined;
  const map: Transitions = {};
  for (const [state, next] of entries) {
    if (!Array.isArray(next) || !next.every((s): s is string => typeof s === 'string')) return undefined;
    map[state] = next;
  }
  return map;
}

/**
 * The column the function compares between OLD and NEW: the one field read through both records,
 * else the trigger's single `UPDATE OF` column, else the only field read at all.
 */
function transitionColumn(plpgsql: unknown, updateOf: string[]): string | undefined {
  const datums: Record<string, unknown>[] = [];
  walk(plpgsql, (kind, body) => {
    if (kind === 'PLpgSQL_function') datums.push(...((body.datums as Record<string, unknown>[] | undefined) ?? []));
  });
  const recordName = (dno: number) => (datums[dno]?.PLpgSQL_rec as { refname?: string } | undefined)?.refname;
  const readVia = new Map<string, Set<string>>();
  for (const datum of datums) {
    const field = datum.PLpgSQL_recfield as { fieldname?: string; recparentno?: number } | undefined;
    const record = field ? recordName(field.recparentno ?? 0) : undefined;
    if (!field?.fieldname || (record !== 'old' && record !== 'new')) continue;
    const via = readVia.get(field.fieldname) ?? new Set<string>();
    readVia.set(field.fieldname, via.add(record));
  }
  const both = [...readVia].filter(([, via]) => via.size === 2).map(([f]) => f);
  if (both.length === 1) return both[0];
  if (updateOf.length === 1) return updateOf[0];
  return readVia.size === 1 ? [...readVia.keys()][0] : undefined;
}
