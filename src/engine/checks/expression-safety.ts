import type pg from 'pg';
import { quoteIdent, quoteQualified } from '../../db/quote.js';
import type { PreparedFinding } from '../plan/prepare.js';
import { parseSync } from 'pgsql-parser';
import { functionsRunByViews } from './view-functions.js';
import { ensureParser } from '../../playbooks/expression.js';
import { withRolledBackSavepoint, withRollback } from '../../db/session.js';

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

/** Whether a finding gives any param its playbook splices as an SQL expression (before it is prepared). */
export function mayHaveExpressions(finding: { params: Record<string, unknown> }, playbook: { params: Record<string, { type: string }> } | undefined): boolean {
  return Object.entries(playbook?.params ?? {}).some(([name, spec]) => EXPRESSION_TYPES.has(spec.type) && finding.params[name] !== undefined);
}

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
const RULE = "a finding's expressions may only call IMMUTABLE or STABLE functions (operators and casts likewise)";

type Probed = { p: PreparedFinding; param: string; what: string; sql: string; from: string };

/**
 * The VOLATILE functions a temporary view of these columns over `from` runs; the view goes with its
 * savepoint, so the next probe can take its name. `names`: the view's column names.
 */
const probeView = (client: pg.Client, columns: string, from: string, names = '') =>
  withRolledBackSavepoint(client, async () => {
    await client.query(`CREATE TEMP VIEW pgmend_expression_probe ${names}AS SELECT ${columns} FROM ${from}`);
    const { rows } = await client.query<{ oid: number }>(`SELECT 'pg_temp.pgmend_expression_probe'::regclass::oid AS oid`);
    return (await functionsRunByViews(client, [rows[0]!.oid])).filter((f) => f.volatile).map((f) => f.signature);
  });

/** How many columns `SELECT <sql>` has (a key list is several); undefined when it is not one plain SELECT list. */
function columnsOf(sql: string): number | undefined {
  try {
    const tree = parseSync(`SELECT ${sql}`) as { stmts?: { stmt?: { SelectStmt?: { targetList?: unknown[] } } }[] };
    return tree.stmts?.length === 1 ? tree.stmts[0]!.stmt?.SelectStmt?.targetList?.length : undefined;
  } catch {
    return undefined;
  }
}

/** One table's probe: its distinct expressions as the columns of one view, named by the view itself. */
interface TableProbe {
  from: string;
  items: Probed[];
  columns: string;
  names: string;
}

function tableProbes(todo: Probed[]): TableProbe[] {
  const byTable = new Map<string, Probed[]>();
  for (const t of todo) byTable.set(t.from, [...(byTable.get(t.from) ?? []), t]);
  return [...byTable].flatMap(([from, all]) => {
    const items = all.filter((t) => columnsOf(t.sql) !== undefined);
    const sqls = [...new Set(items.map((t) => t.sql))];
    if (!sqls.length) return [];
    // Key lists are several columns, and may repeat one (`user_id, status` next to `user_id`): the view names its columns itself.
    const count = sqls.reduce((n, sql) => n + columnsOf(sql)!, 0);
    return [{ from, items, columns: sqls.join(', '), names: `(${Array.from({ length: count }, (_, i) => `pgmend_e${i}`).join(', ')}) ` }];
  });
}

/**
 * Every table's view at once, in one savepoint, and the functions of all of them read together:
 * the usual answer, nothing volatile anywhere, in one pass instead of one per table. `clear` when
 * so; otherwise each table is probed alone — but not one another session holds (`held`: its
 * CREATE ran out of lock_timeout), which is not waited for twice.
 */
async function allClear(client: pg.Client, probes: TableProbe[]): Promise<{ clear: boolean; held?: string }> {
  let at = 0;
  try {
    return await withRolledBackSavepoint(client, async () => {
      for (; at < probes.length; at++) await client.query(`CREATE TEMP VIEW pgmend_expression_probe_${at} ${probes[at]!.names}AS SELECT ${probes[at]!.columns} FROM ${probes[at]!.from}`);
      const { rows } = await client.query<{ oid: number }>(`SELECT to_regclass('pg_temp.pgmend_expression_probe_' || i)::oid AS oid FROM generate_series(0, $1::int - 1) AS i`, [probes.length]);
      return { clear: (await functionsRunByViews(client, rows.map((r) => r.oid))).every((f) => !f.volatile) };
    });
  } catch (e) {
    return (e as { code?: string }).code === '55P03' && at < probes.length ? { clear: false, held: probes[at]!.from } : { clear: false };
  }
}

/**
 * One probe per table with all its expressions as columns (a view's functions are its columns'
 * together), all tables' first at once. Returns the expressions so cleared and the tables another
 * session held; an expression on a table whose view calls something volatile, or does not define,
 * is left to its own probe, which says which.
 */
async function clearedByTable(client: pg.Client, todo: Probed[]): Promise<{ cleared: Set<Probed>; held: Set<string> }> {
  const cleared = new Set<Probed>();
  const held = new Set<string>();
  await ensureParser();
  const probes = tableProbes(todo);
  const all = probes.length > 1 ? await allClear(client, probes) : { clear: false };
  if (all.clear) {
    for (const t of probes) t.items.forEach((x) => cleared.add(x));
    return { cleared, held };
  }
  if (all.held) held.add(all.held);
  for (const { from, items, columns, names } of probes) {
    if (held.has(from)) continue;
    try {
      if ((await probeView(client, columns, from, names)).length === 0) items.forEach((t) => cleared.add(t));
    } catch (e) {
      if ((e as { code?: string }).code === '55P03') held.add(from);
    }
  }
  return { cleared, held };
}

export async function refuseVolatileExpressions(client: pg.Client, prepared: PreparedFinding[], timeouts: { lockTimeoutMs: number; statementTimeoutMs: number }): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  const todo: Probed[] = prepared.filter((p) => p.target).flatMap((p) => expressionsOf(p).map((e) => ({ p, ...e, from: quoteQualified(p.target!.schema, p.target!.name) })));
  if (todo.length === 0) return refused;
  let locked = false;
  await withRollback(client, async () => {
    // The temporary view takes ACCESS SHARE on the table: never queue behind another session for it.
    await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(timeouts.lockTimeoutMs))}`);
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeouts.statementTimeoutMs))}`);
    const { cleared, held } = await clearedByTable(client, todo);
    // Then each expression in finding order, as if probed one by one: a cleared one would find
    // nothing volatile; one on a held table would wait out lock_timeout again, and fail.
    for (const t of todo) {
      const { p, param, what, sql } = t;
      if (refused.has(p.finding.id) || (cleared.has(t) && !locked)) continue;
      let volatile: string[];
      let byName = false;
      try {
        if (locked) throw new Error('a table is locked by another session');
        if (held.has(t.from)) throw Object.assign(new Error(`${t.from} is locked by another session`), { code: '55P03' });
        volatile = await probeView(client, sql, t.from);
      } catch (e) {
        // Another session holds a table locked: not waited for again, the rest are decided by name.
        if ((e as { code?: string }).code === '55P03') locked = true;
        // No temporary view here (a read-only database or role, a table locked by another session,
        // or PostgreSQL cannot resolve it in a view): decide by name instead — catalog reads only,
        // as the worst function any name could resolve to.
        volatile = await withRolledBackSavepoint(client, () => volatileByName(client, sql));
        byName = true;
      }
      if (volatile.length > 0) {
        refused.set(p.finding.id, `${p.finding.id}.params.${param}: ${what} calls ${volatile.join(', ')}, which ${volatile.length > 1 ? 'are' : 'is'} VOLATILE${byName ? ' (by name: PostgreSQL could not resolve it here)' : ''} — ${RULE}`);
      }
    }
  });
  return refused;
}

/** Every VOLATILE function a name in the expression could resolve to: functions, operators, casts, views it reads. */
async function volatileByName(client: pg.Client, sql: string): Promise<string[]> {
  const fns = new Set<string>();
  const ops = new Set<string>();
  const types = new Set<string>();
  const relations = new Set<string>();
  const last = (list: unknown) => ((Array.isArray(list) ? list.at(-1) : undefined) as { String?: { sval?: string } } | undefined)?.String?.sval;
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    const node = v as Record<string, unknown>;
    const fn = (node.FuncCall as { funcname?: unknown } | undefined)?.funcname;
    if (fn) fns.add(last(fn) ?? '');
    const op = (node.A_Expr as { name?: unknown } | undefined)?.name;
    if (op) ops.add(last(op) ?? '');
    const type = (node.TypeCast as { typeName?: { names?: unknown } } | undefined)?.typeName?.names;
    if (type) types.add(last(type) ?? '');
    if (typeof node.relname === 'string') relations.add(node.schemaname ? quoteQualified(String(node.schemaname), node.relname) : quoteIdent(node.relname));
    Object.values(node).forEach(visit);
  };
  visit(parseSync(`SELECT ${sql}`));
  const { rows } = await client.query<{ signature: string }>(
    `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
      WHERE p.provolatile = 'v' AND (p.proname = ANY($1::text[])
         OR p.oid IN (SELECT oprcode FROM pg_operator WHERE oprname = ANY($2::text[]))
         OR p.oid IN (SELECT c.castfunc FROM pg_cast c JOIN pg_type t ON t.oid = c.casttarget WHERE t.typname = ANY($3::text[])))
      ORDER BY 1`,
    [[...fns], [...ops], [...types]],
  );
  const { rows: views } = await client.query<{ oid: number }>(
    `SELECT c.oid FROM unnest($1::text[]) n JOIN pg_class c ON c.oid = to_regclass(n) WHERE c.relkind = 'v'`,
    [[...relations]],
  );
  const throughViews = (await functionsRunByViews(client, views.map((v) => v.oid))).filter((f) => f.volatile).map((f) => f.signature);
  return [...new Set([...rows.map((r) => r.signature), ...throughViews])];
}
