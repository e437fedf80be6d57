import type pg from 'pg';
import { tableByRef, triggersOf, type Catalog, type Table } from '../../db/catalog.js';
import { displayName, quoteIdent, quoteLiteral, sqlName } from '../../db/quote.js';
import type { RowMatch } from '../plan/row-match.js';
import type { RowChange } from '../plan/plan-model.js';
import { PgmendError } from '../../util/errors.js';

/**
 * Puts one backup's rows back: deleted rows re-inserted whole, changed rows set back to their
 * backed-up values, found by the match the plan decided (row-match.ts), with the table's own
 * triggers held off (they would rewrite the old values). `pgmend rollback` runs it for every
 * backup of a run; window-mode rehearsal runs it for a finding right after its fix, so what is
 * rehearsed is exactly what rollback runs.
 */

export interface BackupToRestore {
  /** The plan's `schema.name` label of the table the rows came from. */
  source_table: string;
  backup_table: string;
  change: 'delete' | 'update';
  key_columns: string[];
  /** Null for runs journaled before matches were recorded: those match by key_columns. */
  match: RowMatch | null;
  txid: string;
  rows: number;
}

/** Returns the rows restored; throws (naming `what`) when the table is gone or the count differs. */
export async function restoreBackup(client: pg.Client, catalog: Catalog, b: BackupToRestore, what: string, exec: (sql: string) => Promise<void>, say: (text: string) => void = () => {}): Promise<number> {
  // source_table is the plan's `schema.name` label (older journals: the same, which findTable also reads).
  const table = tableByRef(catalog, b.source_table);
  if (!table) throw new PgmendError(`${what}: table ${b.source_table} no longer exists`, 1, 'restore it from the snapshot first');
  const t = sqlName(table);
  const cols = table.columns.filter((c) => !c.generated).map((c) => quoteIdent(c.name));
  const triggers = triggersOf(catalog, table).filter((tg) => tg.firing === 'origin' && !tg.inherited);
  for (const tg of triggers) await exec(`ALTER TABLE ${t} DISABLE TRIGGER ${quoteIdent(tg.name)}`);
  const fromBackup = `${b.backup_table} WHERE pgmend_txid = '${b.txid}'::xid8`;
  let n: number;
  if (b.change === 'delete') {
    const hasIdentityAlways = table.columns.some((c) => c.identity === 'always');
    say(`restore ${b.rows} deleted row(s) into ${displayName(table)}`);
    const r = await client.query(`INSERT INTO ${t} (${cols.join(', ')})${hasIdentityAlways ? ' OVERRIDING SYSTEM VALUE' : ''} SELECT ${cols.join(', ')} FROM ${fromBackup}`);
    n = r.rowCount ?? 0;
  } else {
    const match: RowMatch | null = b.match ?? (b.key_columns.length ? { kind: 'primary-key', columns: b.key_columns } : null);
    if (!match) throw new PgmendError(`${what}: ${displayName(table)} has no primary key, so changed rows cannot be matched back`, 1);
    say(`restore ${b.rows} changed row(s) of ${displayName(table)}, matched by ${match.kind === 'whole-row' ? 'the whole row' : `${match.kind} (${match.columns.join(', ')})`}`);
    const r = await client.query(restoreChangedSql(table, t, fromBackup, match));
    n = r.rowCount ?? 0;
  }
  if (n !== b.rows) throw new PgmendError(`${what}: expected to restore ${b.rows} row(s) of ${displayName(table)}, restored ${n}`, 1, 'the rows changed since the run; nothing was changed');
  for (const tg of triggers) await exec(`ALTER TABLE ${t} ENABLE TRIGGER ${quoteIdent(tg.name)}`);
  return n;
}

/**
 * Sets changed rows back to their backed-up values. By a key: the row with the same key. By the
 * whole row: current rows equal to a backed-up row in every column the change left alone and
 * holding the values it set, paired one to one (row_number within equal rows), since rows equal in
 * every column are interchangeable.
 */
function restoreChangedSql(table: Table, t: string, fromBackup: string, match: RowMatch): string {
  const cols = table.columns.filter((c) => !c.generated).map((c) => c.name);
  const q = quoteIdent;
  if (match.kind !== 'whole-row') {
    const keys = new Set(match.columns);
    const setCols = cols.filter((c) => !keys.has(c)).map(q);
    const on = match.columns.map((k) => `${t}.${q(k)} = pgmend_b.${q(k)}`).join(' AND ');
    // ROW(…): with a single column, `SET (c) = (x)` is a syntax error.
    return `UPDATE ${t} SET (${setCols.join(', ')}) = ROW(${setCols.map((c) => `pgmend_b.${c}`).join(', ')}) FROM (SELECT * FROM ${fromBackup}) AS pgmend_b WHERE ${on}`;
  }
  const same = match.columns.map(q);
  const partition = same.length ? `PARTITION BY ${same.join(', ')}` : '';
  const holds = Object.entries(match.set ?? {}).map(([c, v]) => `pgmend_x.${q(c)} IS NOT DISTINCT FROM ${quoteLiteral(v)}`);
  const on = [...same.map((c) => `pgmend_c.${c} IS NOT DISTINCT FROM pgmend_b.${c}`), 'pgmend_c.pgmend_rn = pgmend_b.pgmend_rn'].join(' AND ');
  const setCols = cols.map(q);
  return `UPDATE ${t} SET (${setCols.join(', ')}) = ROW(${setCols.map((c) => `pgmend_b.${c}`).join(', ')})
    FROM (SELECT pgmend_x.tableoid AS pgmend_o, pgmend_x.ctid AS pgmend_id${same.map((c) => `, pgmend_x.${c}`).join('')}, row_number() OVER (${partition}) AS pgmend_rn
          FROM ${t} AS pgmend_x${holds.length ? ` WHERE ${holds.join(' AND ')}` : ''}) AS pgmend_c
    JOIN (SELECT *, row_number() OVER (${partition}) AS pgmend_rn FROM ${fromBackup}) AS pgmend_b ON ${on}
    WHERE ${t}.tableoid = pgmend_c.pgmend_o AND ${t}.ctid = pgmend_c.pgmend_id`;
}

/**
 * What a row change's backup journals (apply) and what the rollback rehearsal restores by: the
 * finding's table (a step's `tables` also lists what it only reads), whether the change deletes or
 * updates the rows, and how rollback matches them.
 */
export function backupRecord(finding: { table?: string }, rc: RowChange): Pick<BackupToRestore, 'source_table' | 'change' | 'key_columns' | 'match'> {
  return {
    source_table: finding.table ?? rc.backup.tables[0]!,
    change: rc.changes,
    key_columns: rc.match && rc.match.kind !== 'whole-row' ? rc.match.columns : [],
    match: rc.match ?? null,
  };
}

/** Re-adding NOT NULL has to wait until the old values are back: rollback runs such statements last. */
export const needsRowsBack = (sql: string) => /\bSET\s+NOT\s+NULL\b/i.test(sql);
