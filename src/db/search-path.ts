import type pg from 'pg';
import { quoteIdent } from './quote.js';

/**
 * What unqualified names meant when pgmend ran something: the session's effective search_path (as
 * current_schemas resolves it, `$user` expanded), each schema quoted, ready for set_config. A
 * rollback or a resumed run is often another process, another role ("$user" differs), or another
 * pooled backend; SQL written bare (a hand-written fix's rollback) must find the same tables there.
 */
export const EFFECTIVE_SEARCH_PATH = `(SELECT coalesce(string_agg(quote_ident(s), ', ' ORDER BY o), '') FROM unnest(current_schemas(false)) WITH ORDINALITY AS p(s, o))`;

export async function effectiveSearchPath(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ path: string }>(`SELECT ${EFFECTIVE_SEARCH_PATH} AS path`);
  return rows[0]!.path;
}

/** A schema list as search_path text: each quoted, in order; none is the empty path. */
export const searchPathText = (schemas: readonly string[]): string => (schemas.length ? schemas.map(quoteIdent).join(', ') : "''");

/** For the current transaction only (set_config's is_local), so nothing stays on a pooled backend. */
export async function pinSearchPath(client: pg.Client, path: string): Promise<void> {
  await client.query(`SELECT set_config('search_path', $1, true)`, [path]);
}
