import type pg from 'pg';
import { withSavepoint } from '../../db/session.js';
import { lockRank, type TableLocks } from '../../playbooks/lock-modes.js';
import { committedSince } from './answered-validation.js';
import type { AnsweredValidation, RowChange } from './plan-model.js';

/**
 * Window rehearsal of a row change whose rows one of the finding's checks counted and listed
 * (a counter's drift: the prechecks' fused statement lists the ids of up to LISTED_ROWS_MAX of
 * them, beside its sample). The backup statement as planned finds its rows again — for a counter
 * by grouping the whole child table it counts, seconds at millions of rows — only to arrive at the
 * rows the prechecks listed. Rehearsed instead over that list: the same INSERT … SELECT … FOR
 * UPDATE of the same rows into the same backup table, after EXPLAIN of the planned statement (its
 * parse, privileges and locks on every table it reads); the change then runs as planned over them
 * (its triggers, privileges, constraints on the new values: what only execution shows). Sound
 * only where the list is those rows now:
 * - it is complete: as many ids as the count, from the plan's snapshot;
 * - no earlier step of this rehearsal took a row-changing lock on any table (the rows' query may
 *   read other tables than the one it changes: a counter reads its child);
 * - no transaction committed on the server since the count's snapshot (checked once the rows are
 *   locked), so the rehearsal reads what the count read, and a row's ctid is still that row;
 * - the backup copied exactly as many rows.
 * Otherwise the statement runs as planned, and the plan says why. Apply always runs the statement itself.
 */

/** The most row ids the prechecks list for one check. */
export const LISTED_ROWS_MAX = 1000;

export type ListedRows = { answered: AnsweredValidation; rows: number } | { inFull: string };

/** The planned backup statement reading its rows from `$1::oid[]`/`$2::tid[]` instead of their query; undefined if it is not in the shape row-changes.ts writes. */
export function backupOfListedRows(rc: RowChange): string | undefined {
  const head = 'WITH pgmend_rows AS MATERIALIZED (SELECT * FROM (';
  const tail = `) AS r) INSERT INTO ${rc.backupTable} SELECT `;
  const sql = rc.backup.sql;
  const at = sql.lastIndexOf(tail);
  if (!sql.startsWith(head) || at < 0) return undefined;
  return `WITH pgmend_rows AS MATERIALIZED (SELECT row_table, row_id FROM unnest($1::oid[], $2::tid[]) AS r(row_table, row_id)${sql.slice(at + ') AS r'.length)}`;
}

class InFull extends Error {}

/**
 * The backup statement of `rc` over the rows its check listed, kept in its savepoint when sound;
 * undefined when the row change has no counted check (a resolution: its statement runs as planned).
 */
export async function rehearseListedRows(
  client: pg.Client,
  rc: RowChange,
  index: number,
  rowIds: Record<string, string[]> | undefined,
  countedIn: string | undefined,
  changed: TableLocks,
): Promise<ListedRows | undefined> {
  const check = rc.change.rowsOf;
  if (!check) return undefined;
  const ids = rowIds?.[check];
  if (!ids) return { inFull: `the prechecks did not list every ${check} row (more than ${LISTED_ROWS_MAX}, or counted by a query of their own)` };
  if (!countedIn) return { inFull: "the count's snapshot is not known" };
  const touched = Object.keys(changed).filter((t) => lockRank(changed[t]!) >= lockRank('ROW EXCLUSIVE'));
  if (touched.length) return { inFull: `an earlier step may have changed rows of ${touched.join(', ')} since the count` };
  const sql = backupOfListedRows(rc);
  if (!sql) return { inFull: 'the backup statement is not in the form pgmend writes' };
  try {
    const rows = await withSavepoint(client, async () => {
      // The planned statement planned (not run): parsed, its privileges checked, and every table it
      // reads locked as it would lock them — the list's form alone would not read the counted child.
      await client.query(`EXPLAIN ${rc.backup.sql}`);
      const split = ids.map((id) => [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)] as const);
      const n = (await client.query(sql, [split.map(([t]) => t), split.map(([, c]) => c)])).rowCount ?? 0;
      if (n !== ids.length) throw new InFull(`${n} of the ${ids.length} listed ${check} rows are there now`);
      let since: string | undefined;
      try {
        since = await committedSince(client, countedIn);
      } catch (e) {
        throw new InFull(`could not tell whether the list is still the rows (${(e as Error).message})`);
      }
      if (since) throw new InFull(since);
      return n;
    });
    return { answered: { step: index, check, rows, form: 'listed-rows' }, rows };
  } catch (e) {
    if (e instanceof InFull) return { inFull: e.message };
    throw e;
  }
}
