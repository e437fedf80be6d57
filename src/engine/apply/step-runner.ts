import type pg from 'pg';
import type { ApplyEvent } from './apply-model.js';
import type { FindingPlan, PlanStep, RowChange } from '../plan/plan-model.js';
import type { Statement } from '../plan/steps.js';
import { withSavepoint } from '../../db/session.js';
import type { Catalog } from '../../db/catalog.js';
import { tableLockModes } from '../plan/step-locks.js';
import { quoteQualified } from '../../db/quote.js';
import { PgmendError, errorMessage } from '../../util/errors.js';
import { backupRecord } from '../rollback/restore-backup.js';

/**
 * Runs one step inside the apply transaction: in a savepoint, with lock_timeout retried with
 * backoff, journaled, and with the rows it backed up recorded. A lock that cannot be had names
 * the session holding it.
 */
export interface StepRunner {
  client: pg.Client;
  runId: number;
  lockTimeoutMs: number;
  lockRetries: number;
  emit: (e: ApplyEvent) => void;
  seq: number;
}

/** Identifies a step of a plan across runs, for --resume. */
export const stepKey = (findingId: string, phase: string, index: number) => `${findingId}:${phase}:${index}`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Who holds locks on these tables (labelled `schema.name`, as plans do; looked up by schema and name, not parsed). */
export async function lockHolders(client: pg.Client, tables: readonly string[]): Promise<string> {
  if (tables.length === 0) return '';
  const { rows } = await client.query(
    `SELECT DISTINCT a.pid, a.application_name, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80) AS query,
            round(extract(epoch FROM now() - coalesce(a.xact_start, a.query_start)))::int AS secs
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.granted AND l.relation IN (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname || '.' || c.relname = ANY ($1::text[])) AND a.pid <> pg_backend_pid()
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`, // relation oids are per database
    [tables],
  );
  return rows.map((r) => `pid ${r.pid} (${r.application_name || 'no application_name'}, running ${r.secs} s: ${r.query})`).join('; ');
}

export async function runStep(r: StepRunner, f: FindingPlan, s: Statement, total: number): Promise<number> {
  const { step, index } = s;
  const seq = ++r.seq;
  const description = step.description ?? step.sql.split('\n')[0]!.slice(0, 80);
  r.emit({ kind: 'step', findingId: f.id, index, total, description, status: 'running' });
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      let ms = 0;
      // In a savepoint of its own: a lock timeout undoes only this statement, and it is retried.
      const res = await withSavepoint(r.client, async (c) => {
        const t0 = performance.now();
        const out = await c.query(step.sql);
        ms = Math.round((performance.now() - t0) * 10) / 10;
        return out;
      });
      const rows = res.rowCount ?? 0;
      await r.client.query(
        `INSERT INTO pgmend.steps (run_id, seq, step_key, finding_id, phase, description, sql, lock_mode, tables, rows, ms, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'done')`,
        [r.runId, seq, stepKey(f.id, step.phase, index), f.id, step.phase, step.description ?? null, step.sql, step.lock, step.tables, rows, ms],
      );
      if (s.role === 'backup') await recordBackup(r, f, s.of!);
      r.emit({ kind: 'step', findingId: f.id, index, total, description, status: 'done', rows, ms });
      return rows;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === '55P03' && attempt < r.lockRetries) {
        await sleep(r.lockTimeoutMs * 2 ** (attempt - 1));
        continue;
      }
      r.emit({ kind: 'step', findingId: f.id, index, total, description, status: 'failed' });
      if (code === '55P03') {
        const holders = await lockHolders(r.client, step.tables).catch(() => '');
        throw new PgmendError(
          `${f.id} step ${index + 1}: could not get ${step.lock} lock on ${step.tables.join(', ')} after ${attempt} tries of ${r.lockTimeoutMs} ms${holders ? `; held by ${holders}` : ''}`,
        );
      }
      throw new PgmendError(`${f.id} step ${index + 1} (${description}): ${errorMessage(e)}`);
    }
  }
}

/** A row change's backup just copied rows: note which table, how the rows will change, and how rollback matches them back. */
async function recordBackup(r: StepRunner, f: FindingPlan, rc: RowChange): Promise<void> {
  // The same record the rollback rehearsal restores by (restore-backup.ts).
  const b = backupRecord(f, rc);
  await r.client.query(
    `INSERT INTO pgmend.backups (run_id, finding_id, source_table, backup_table, change, key_columns, match, txid, rows)
     SELECT $1, $2, $3, $4, $5, $6, $7, pg_current_xact_id(), (SELECT count(*) FROM ${rc.backupTable} WHERE pgmend_txid = pg_current_xact_id())
     WHERE NOT EXISTS (SELECT 1 FROM pgmend.backups WHERE run_id = $1 AND backup_table = $4 AND txid = pg_current_xact_id())`,
    [r.runId, f.id, b.source_table, rc.backupTable, b.change, b.key_columns, b.match ? JSON.stringify(b.match) : null],
  );
  // A second backup step into the same table in this transaction (several blocking checks) updates
  // its count — only this transaction's: online batches each have their own row.
  await r.client.query(
    `UPDATE pgmend.backups SET rows = (SELECT count(*) FROM ${rc.backupTable} WHERE pgmend_txid = pg_current_xact_id()) WHERE run_id = $1 AND backup_table = $2 AND txid = pg_current_xact_id()`,
    [r.runId, rc.backupTable],
  );
}

/**
 * Window mode, before anything changes: on every table, the strongest lock any step will take on
 * it (lock_timeout, retried with backoff). Taken only later, at the DDL, the lock could be held by
 * a session that waits for a row a resolution already locked — waiting on a waiter, which no
 * retry resolves. Held from the start, sessions wait for the commit instead.
 */
export async function lockTablesUpFront(client: pg.Client, catalog: Catalog, steps: readonly PlanStep[], lockTimeoutMs: number, lockRetries: number): Promise<void> {
  // Per table, the strongest mode any step declares on it (plan JSON `locks`; observed locks included).
  const wanted = [...tableLockModes(steps)].flatMap(([table, modes]) => {
    const mode = modes[modes.length - 1]!;
    const t = catalog.tables.find((x) => x.qualified === table) ?? catalog.views?.find((v) => v.qualified === table);
    return t ? [{ table, mode, sql: `LOCK TABLE ${quoteQualified(t.schema, t.name)} IN ${mode} MODE` }] : []; // else created by a step
  });
  for (let attempt = 1; ; attempt++) {
    let waitingFor = wanted[0];
    try {
      // All or nothing: the locks this attempt did get are released (the savepoint rolled back)
      // before the backoff, so no session queues behind pgmend for longer than one lock_timeout.
      await withSavepoint(client, async () => {
        for (const w of wanted) {
          waitingFor = w;
          await client.query(w.sql);
        }
      });
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== '55P03' || !waitingFor) throw e;
      if (attempt < lockRetries) {
        await sleep(lockTimeoutMs * 2 ** (attempt - 1));
        continue;
      }
      const holders = await lockHolders(client, [waitingFor.table]).catch(() => '');
      throw new PgmendError(`could not get ${waitingFor.mode} lock on ${waitingFor.table} after ${attempt} tries of ${lockTimeoutMs} ms${holders ? `; held by ${holders}` : ''}`);
    }
  }
}

