import type pg from 'pg';
import { ROW_SECURITY_OFF } from '../../db/row-security.js';
import { connect, withTransaction } from '../../db/session.js';
import { loadCatalog } from '../../db/catalog.js';
import { needsRowsBack, restoreBackup, type BackupToRestore } from './restore-backup.js';
import { journalExists, osUser, runSearchPath } from '../apply/journal.js';
import { pinSearchPath } from '../../db/search-path.js';
import { takeAdvisoryLock } from '../apply/guard.js';
import { claimLease, newHolder } from '../apply/lease.js';
import type { DbTarget } from '../../db/connection.js';
import { PgmendError, errorMessage, Refusal } from '../../util/errors.js';

/**
 * Undo a run in ONE transaction: drop what it added (in reverse order), put back every row it
 * backed up (deleted rows re-inserted with the same keys and values, changed rows set back), then
 * restore what needs the old rows in place first (a NOT NULL that SET NULL had dropped).
 */

export interface RollbackResult {
  runId: number;
  statements: number;
  rowsRestored: number;
}

interface FindingRow {
  finding_id: string;
  tables: string[];
  rollback: string[];
}

interface BackupRow extends BackupToRestore {
  finding_id: string;
}

export async function rollbackRun(target: DbTarget, runId: number, opts: { force?: boolean; onStep?: (text: string) => void; onNote?: (text: string) => void } = {}): Promise<RollbackResult> {
  const client = await connect(target, 'pgmend');
  try {
    try {
      return await withTransaction(client, async () => {
        // Deferred FKs (Django makes every FK DEFERRABLE INITIALLY DEFERRED) would leave pending trigger
        // events that make a later ALTER TABLE in this transaction fail: check constraints per statement.
        await client.query('SET CONSTRAINTS ALL IMMEDIATE');
        await client.query(ROW_SECURITY_OFF); // rows go back in full, or it raises
        return rollbackIn(client, runId, opts);
      });
    } catch (e) {
      if (e instanceof PgmendError) throw e;
      throw new PgmendError(`rollback of run ${runId} failed: ${errorMessage(e)} — nothing was changed`);
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function rollbackIn(client: pg.Client, runId: number, opts: { force?: boolean; onStep?: (text: string) => void; onNote?: (text: string) => void }): Promise<RollbackResult> {
  const say = opts.onStep ?? (() => {});
  await takeAdvisoryLock(client);
  // An online apply between two of its transactions holds no lock, only its lease.
  await claimLease(client, newHolder(), { hold: false, say: opts.onNote ?? (() => {}) });
  if (!(await journalExists(client))) throw new PgmendError(`no run ${runId}: this database has no pgmend journal`, 1, 'see pgmend journal');
  const { rows: runs } = await client.query(`SELECT id, status FROM pgmend.runs WHERE id = $1 FOR UPDATE`, [runId]);
  const run = runs[0];
  if (!run) throw new PgmendError(`no run ${runId} in the journal`, 1, 'see pgmend journal for run ids');
  if (run.status === 'rolled-back') throw new PgmendError(`run ${runId} is already rolled back`, 1);
  if (run.status === 'failed') throw new PgmendError(`run ${runId} failed and changed nothing: there is nothing to roll back`, 1);
  // Its rollback SQL means what it meant when the run applied, whoever rolls back now.
  const searchPath = await runSearchPath(client, runId);
  if (searchPath !== null) await pinSearchPath(client, searchPath);

  const { rows: findings } = await client.query<FindingRow>(`SELECT finding_id, tables, rollback FROM pgmend.findings WHERE run_id = $1 ORDER BY ord DESC`, [runId]);
  const touched = [...new Set(findings.flatMap((f) => f.tables))];
  const { rows: later } = await client.query(
    `SELECT DISTINCT r.id FROM pgmend.runs r JOIN pgmend.findings f ON f.run_id = r.id
     WHERE r.id > $1 AND r.status IN ('committed', 'interrupted', 'running') AND f.tables && $2::text[] ORDER BY r.id`,
    [runId, touched],
  );
  if (later.length && !opts.force) {
    throw new Refusal(
      `later run(s) ${later.map((r) => r.id).join(', ')} touched the same tables as run ${runId}`,
      'roll those back first, or pass --force to roll back anyway',
    );
  }

  let statements = 0;
  const exec = async (sql: string) => {
    say(sql);
    await client.query(sql);
    statements++;
  };
  // 1. Drop what the run added, last finding first.
  for (const f of findings) for (const sql of f.rollback) if (!needsRowsBack(sql)) await exec(sql);

  // 2. Rows back, newest backup first, with the tables' own triggers held off (they'd rewrite the old values).
  const { rows: backups } = await client.query<BackupRow>(
    `SELECT b.finding_id, b.source_table, b.backup_table, b.change, b.key_columns, b.match, b.txid::text AS txid, b.rows
     FROM pgmend.backups b LEFT JOIN pgmend.findings f ON f.run_id = b.run_id AND f.finding_id = b.finding_id
     WHERE b.run_id = $1 ORDER BY f.ord DESC NULLS LAST, b.txid DESC`,
    [runId],
  );
  const catalog = await loadCatalog(client);
  let rowsRestored = 0;
  for (const b of backups) {
    if (b.rows === 0) continue;
    rowsRestored += await restoreBackup(client, catalog, b, `rollback of run ${runId}`, exec, say);
    statements++;
  }

  // 3. What needed the old rows back first.
  for (const f of findings) for (const sql of f.rollback) if (needsRowsBack(sql)) await exec(sql);

  await client.query(`UPDATE pgmend.runs SET status = 'rolled-back', rolled_back_at = clock_timestamp(), rolled_back_by = $2 WHERE id = $1`, [runId, `${osUser()} as ${(await client.query('SELECT current_user AS u')).rows[0].u}`]);
  return { runId, statements, rowsRestored };
}
