import type pg from 'pg';

/**
 * The functions a view runs — directly, through operators and casts, and through every view it
 * reads, transitively — read from the stored rewrite rules (pg_rewrite.ev_action). pg_depend does
 * not do: it records no dependency on built-in (pinned) objects such as random() or
 * pg_terminate_backend().
 */

export interface CalledFunction {
  /** `name(argtypes)` as regprocedure prints it. */
  signature: string;
  name: string;
  builtin: boolean;
  extension: boolean;
  volatile: boolean;
}

const FUNCTION_FIELDS = /:(?:funcid|aggfnoid|winfnoid|opfuncid) (\d+)/g;
const OPERATOR_FIELDS = /:opno (\d+)/g;
const OPERATOR_LISTS = /:opnos \(o([\d ]+)\)/g;
const RELATION_FIELDS = /:relid (\d+)/g;

const numbers = (text: string, re: RegExp): number[] => [...text.matchAll(re)].flatMap((m) => m[1]!.trim().split(/\s+/).map(Number)).filter((n) => n > 0);

export async function functionsRunByViews(client: pg.Client, viewOids: number[]): Promise<CalledFunction[]> {
  const seen = new Set<number>();
  const functions = new Set<number>();
  const operators = new Set<number>();
  let todo = [...new Set(viewOids)];
  while (todo.length > 0) {
    todo.forEach((o) => seen.add(o));
    const { rows } = await client.query<{ action: string }>('SELECT ev_action::text AS action FROM pg_rewrite WHERE ev_class = ANY($1::oid[])', [todo]);
    const relations = new Set<number>();
    for (const r of rows) {
      numbers(r.action, FUNCTION_FIELDS).forEach((n) => functions.add(n));
      numbers(r.action, OPERATOR_FIELDS).forEach((n) => operators.add(n));
      numbers(r.action, OPERATOR_LISTS).forEach((n) => operators.add(n));
      numbers(r.action, RELATION_FIELDS).forEach((n) => relations.add(n));
    }
    const { rows: views } = await client.query<{ oid: number }>(`SELECT oid FROM pg_class WHERE oid = ANY($1::oid[]) AND relkind = 'v'`, [[...relations]]);
    todo = views.map((v) => v.oid).filter((o) => !seen.has(o));
  }
  const { rows } = await client.query<CalledFunction>(
    `SELECT p.oid::regprocedure::text AS signature, p.proname AS name, n.nspname = 'pg_catalog' AS builtin,
            EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e') AS extension,
            p.provolatile = 'v' AS volatile
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE p.oid = ANY($1::oid[]) OR p.oid IN (SELECT oprcode FROM pg_operator WHERE oid = ANY($2::oid[]))
      ORDER BY 1`,
    [[...functions], [...operators]],
  );
  return rows;
}
