import type pg from 'pg';
import type { CatalogFacts, FunctionFact } from '../../playbooks/statement-safety.js';
import { functionsRunByViews } from './view-functions.js';

/**
 * What the catalog says about the functions a `sql` finding calls by name, for the dry-run
 * classification (playbooks/statement-safety.ts). Conservative over overloads: a name is as
 * dangerous as the worst function of that name.
 *  - `outside`: a VOLATILE built-in (pg_catalog) or extension function not known to be harmless —
 *    server functions act outside the transaction more often than not (signals, files, WAL…), and
 *    an extension's (dblink, adminpack, lo…) likewise.
 *  - `user-volatile`: a VOLATILE function the database itself defines: opaque code.
 *  - `harmless`: IMMUTABLE or STABLE, or a volatile built-in whose effects stay in the session's
 *    transaction (random values, clocks, sleeping, reading sizes and sequences).
 */

/** Volatile built-ins and common extension functions that have no effect outside the transaction. */
export const HARMLESS_VOLATILE = new Set([
  'pg_sleep', 'pg_sleep_for', 'pg_sleep_until', 'random', 'random_normal', 'gen_random_uuid', 'uuidv4', 'uuidv7', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4',
  'gen_random_bytes', 'gen_salt', 'clock_timestamp', 'timeofday', 'txid_current', 'txid_current_if_assigned',
  'pg_current_xact_id', 'pg_current_xact_id_if_assigned', 'currval', 'lastval', 'pg_relation_size', 'pg_total_relation_size',
  'pg_table_size', 'pg_indexes_size', 'pg_database_size', 'pg_tablespace_size',
]);

const FACT_RANK: Record<FunctionFact, number> = { harmless: 0, 'user-volatile': 1, outside: 2 };
const worse = (a: FunctionFact | undefined, b: FunctionFact) => (!a || FACT_RANK[b] > FACT_RANK[a] ? b : a);

const factOf = (r: { name: string; builtin: boolean; extension: boolean; volatile: boolean }): FunctionFact =>
  !r.volatile || HARMLESS_VOLATILE.has(r.name) ? 'harmless' : r.builtin || r.extension ? 'outside' : 'user-volatile';

const FUNCTION_ROW = `p.proname AS name, n.nspname = 'pg_catalog' AS builtin,
  EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e') AS extension,
  p.provolatile = 'v' AS volatile`;

/** What the catalog says about the functions called by name and the views read by the statements. */
export async function catalogFacts(client: pg.Client, functionNames: string[], relationNames: string[]): Promise<CatalogFacts> {
  const fns = new Map<string, FunctionFact>();
  if (functionNames.length > 0) {
    const { rows } = await client.query<{ name: string; builtin: boolean; extension: boolean; volatile: boolean }>(
      `SELECT ${FUNCTION_ROW} FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = ANY($1::text[])`,
      [functionNames],
    );
    for (const r of rows) fns.set(r.name, worse(fns.get(r.name), factOf(r)));
  }
  const views = new Map<string, { fact: FunctionFact; calls: string[] }>();
  if (relationNames.length > 0) {
    const { rows: named } = await client.query<{ name: string; oid: number }>(
      `SELECT n AS name, c.oid FROM unnest($1::text[]) n JOIN pg_class c ON c.oid = to_regclass(n) WHERE c.relkind = 'v'`,
      [relationNames],
    );
    for (const v of named) {
      const bad = (await functionsRunByViews(client, [v.oid])).map((f) => ({ f, fact: factOf(f) })).filter((x) => x.fact !== 'harmless');
      if (bad.length > 0) views.set(v.name, { fact: bad.reduce<FunctionFact | undefined>((a, x) => worse(a, x.fact), undefined)!, calls: bad.map((x) => x.f.name) });
    }
  }
  return { fn: (name) => fns.get(name), view: (name) => views.get(name) };
}
