import type pg from 'pg';
import { quoteQualified } from '../db/quote.js';
import type { PreparedFinding } from './prepare.js';
import { errorMessage } from '../util/errors.js';
import { functionsRunByViews } from './view-functions.js';

/**
 * Findings' expressions (check, counter, unique/index keys and WHERE predicates…) run in the
 * prechecks and the rehearsal, so they may only call what cannot act: functions PostgreSQL
 * resolves to IMMUTABLE or STABLE — operators and casts by the function behind them, and
 * functions inside any view the expression reads, transitively. An allow-list by volatility, not
 * a deny-list of names: a VOLATILE function is refused with its name, whatever it is called.
 *
 * PostgreSQL itself resolves: each expression becomes a temporary view in a transaction that
 * rolls back (defining a view runs nothing), and the functions its stored rule calls are read
 * (view-functions.ts).
 */

/** Params whose values are SQL expressions the playbook splices into its queries. */
const EXPRESSION_TYPES = new Set(['expression', 'predicate', 'keys']);

/** The expressions of a prepared finding by param, as rendered (already parenthesised and quoted). */
export function expressionsOf(p: PreparedFinding): { param: string; what: string; sql: string }[] {
  const out: { param: string; what: string; sql: string }[] = [];
  for (const [name, spec] of Object.entries(p.playbook.params)) {
    if (!EXPRESSION_TYPES.has(spec.type) || p.finding.params[name] === undefined) continue;
    const sql = (p.view as Record<string, unknown>)[name];
    const what = spec.type === 'predicate' ? 'WHERE predicate' : spec.type === 'keys' ? 'key expression' : 'expression';
    if (typeof sql === 'string' && sql.trim()) out.push({ param: name, what, sql });
  }
  return out;
}

/** For each finding an expression of which calls a volatile function: the message saying which. */
export async function refuseVolatileExpressions(client: pg.Client, prepared: PreparedFinding[]): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  const todo = prepared.filter((p) => p.target).flatMap((p) => expressionsOf(p).map((e) => ({ p, ...e })));
  if (todo.length === 0) return refused;
  await client.query('BEGIN');
  try {
    for (const { p, param, what, sql } of todo) {
      if (refused.has(p.finding.id)) continue;
      const at = `${p.finding.id}.params.${param}`;
      await client.query('SAVEPOINT pgmend_expression_probe');
      try {
        await client.query(`CREATE TEMP VIEW pgmend_expression_probe AS SELECT ${sql} FROM ${quoteQualified(p.target!.schema, p.target!.name)}`);
        const called = await functionsRunByViews(client, [Number((await client.query(`SELECT 'pg_temp.pgmend_expression_probe'::regclass::oid AS oid`)).rows[0].oid)]);
        const volatile = called.filter((f) => f.volatile).map((f) => f.signature);
        if (volatile.length > 0) {
          refused.set(p.finding.id, `${at}: ${what} calls ${volatile.join(', ')}, which is VOLATILE: a finding's expressions may only call IMMUTABLE or STABLE functions (operators and casts likewise)`);
        }
      } catch (e) {
        // Not run unchecked: what cannot be resolved here is not run in the prechecks either.
        refused.set(p.finding.id, `${at}: ${what} could not be checked for volatile functions: ${errorMessage(e)}`);
      } finally {
        await client.query('ROLLBACK TO SAVEPOINT pgmend_expression_probe');
      }
    }
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
  return refused;
}
