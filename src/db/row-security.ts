import type pg from 'pg';
import { quoteQualified } from './quote.js';
import { Refusal } from '../util/errors.js';

/**
 * Row-level security must never hide rows from pgmend: a policy that filters what the role sees
 * turns "300 duplicate rows" into "0" and a resolution into a change of only the visible rows.
 * Every transaction that counts, samples or changes rows sets `row_security = off` (local to the
 * transaction, so nothing is left on a pooled backend): PostgreSQL then raises instead of
 * filtering. Before that, the tables a finding reads are checked here, so the finding says which
 * role cannot see which table and what to do.
 */

export const ROW_SECURITY_OFF = 'SET LOCAL row_security = off';

export interface HiddenTable {
  oid: number;
  schema: string;
  name: string;
  role: string;
}

/** The tables (by oid) whose rows a policy would filter for the current role. */
export async function tablesHidingRows(client: pg.Client, oids: number[]): Promise<HiddenTable[]> {
  if (oids.length === 0) return [];
  // Superusers and BYPASSRLS roles see everything; the owner too, unless the table is FORCEd.
  const { rows } = await client.query<{ oid: number; schema: string; name: string; role: string }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, current_user AS role
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = ANY($1::oid[]) AND c.relrowsecurity
       AND NOT (SELECT r.rolsuper OR r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user)
       AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))
     ORDER BY n.nspname, c.relname`,
    [oids],
  );
  return rows;
}

export function hiddenRowsMessage(t: HiddenTable): string {
  return `role ${t.role} cannot see every row of ${quoteQualified(t.schema, t.name)} (row-level security): use the table owner without FORCE, a role with BYPASSRLS, or a superuser`;
}

/** Apply and rollback, before any change: refused when a policy would hide rows of these tables (qualified names). */
export async function refuseHiddenRows(client: pg.Client, catalog: { tables: { oid: number; qualified: string }[] }, tables: string[]): Promise<void> {
  const oids = catalog.tables.filter((t) => tables.includes(t.qualified)).map((t) => t.oid);
  const hidden = await tablesHidingRows(client, oids);
  if (hidden.length) throw new Refusal(`${hidden.map(hiddenRowsMessage).join('; ')}`, 'nothing was changed');
}
