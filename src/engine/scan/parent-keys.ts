import type pg from 'pg';
import { withSavepoint } from '../../db/session.js';
import { quoteIdent } from '../../db/quote.js';
import { tableSql } from './names.js';
import type { Pointer } from './relations.js';

/** Parents up to this many rows are probed as one hashed set of their keys (`= ANY`); larger ones by index (`EXISTS`). */
export const HASHED_PARENT_ROWS = 50_000;

/**
 * The keys of each small parent that implied-FK candidates point at, read once per scan from the
 * key's own unique index (an index-only scan: sequential scans off for that statement), as text,
 * by parent oid. Every statement that probes orphans binds them as one array (`= ANY ($n::type[])`,
 * hashed by PostgreSQL as a constant): the parent is not read again by each probing statement, nor
 * once per parallel process of one (api_keys at 5M rows: 6 whole reads before, 1 now). A key with
 * a collation of its own is left to the subquery (an array of text would compare by the default);
 * so is a parent whose read fails (no privilege): its probes read it as before.
 */
export async function loadParentKeys(client: pg.Client, pointers: Pointer[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  const parents = new Map(pointers.filter((p) => !p.declared && p.key.collation === null && (p.parent.estimatedRows ?? Infinity) <= HASHED_PARENT_ROWS).map((p) => [`${p.parent.oid}:${p.key.name}`, p]));
  for (const p of parents.values()) {
    try {
      await withSavepoint(client, async () => {
        await client.query(`SELECT set_config('enable_seqscan', 'off', true)`);
        const { rows } = await client.query<{ keys: string[] | null }>(`SELECT array_agg(${quoteIdent(p.key.name)})::text[] AS keys FROM ${tableSql(p.parent)}`);
        await client.query('SET LOCAL enable_seqscan TO DEFAULT');
        out.set(p.parent.oid, rows[0]?.keys ?? []);
      });
    } catch {
      // The probes read this parent themselves.
    }
  }
  return out;
}
