import type pg from 'pg';
import { connect, withTransaction } from '../../db/session.js';
import { loadCatalog, type Catalog } from '../../db/catalog.js';
import { statementTarget } from '../../playbooks/statement-locks.js';
import { quoteQualified } from '../../db/quote.js';
import { ensureParser } from '../../playbooks/expression.js';
import { ensureJournal, recordFindings, runSearchPath, startRun } from './journal.js';
import { effectiveSearchPath } from '../../db/search-path.js';
import { snapshotBeforeChange } from './snapshot.js';
import { runStep, sleep, stepKey, lockHolders, type StepRunner } from './step-runner.js';
import { checkTargets, prepareAll, refuseOtherSearchPath, refuseStaleOrEdited, takeAdvisoryLock, waitForAdvisoryLock } from './guard.js';
import { assertLease, claimLease, newHolder, releaseLease, startHeartbeat } from './lease.js';
import { transactionPooler } from '../../db/pooler.js';
import { describe } from '../../db/connection.js';
import type { ApplyOptions, ApplyResult, AppliedFinding } from './apply-model.js';
import type { FindingPlan } from '../plan/plan-model.js';
import { flatPlan, flatSteps, type Statement } from '../plan/steps.js';
import { PgmendError, Refusal, errorMessage } from '../../util/errors.js';
import { windowState } from './maintenance-window.js';
import { runFindings, finishRun, committed, notApplied, changedBy, type RunPosition } from './run-flow.js';
import { verify } from './verify.js';
import { faultPoint, faultCounter } from './fault-seam.js';

/**
 * Online mode, for servers that cannot stop: every step in its own short transaction (strong locks
 * held for catalog time only), CREATE INDEX CONCURRENTLY outside any transaction (an invalid
 * leftover is dropped), row changes in bounded batches. Each step is journaled as it commits, so
 * an interrupted run resumes where it stopped: `pgmend apply --resume RUN`.
 */
export async function applyOnline(opts: ApplyOptions, selected: FindingPlan[], alreadyOut: AppliedFinding[], resumeRunId?: number): Promise<ApplyResult> {
  await ensureParser();
  const emit = opts.onProgress ?? (() => {});
  const say = (text: string) => emit({ kind: 'note', text });
  emit({ kind: 'phase', phase: 'connect' });
  const client = await connect(opts.target, 'pgmend');
  const me = newHolder();
  let heartbeat: { stop: () => Promise<void> } | undefined;
  let runId: number | null = resumeRunId ?? null;
  const at: RunPosition = { current: '' };
  const win = windowState(opts.window);
  // Every transaction sets its own limits with SET LOCAL: through a transaction pooler the next
  // transaction may run on another backend, and a session SET would stay on this one for others.
  const settings: TxSettings = { statementTimeoutMs: Math.max(1000, win.ms), lockTimeoutMs: opts.lockTimeoutMs };
  const inTransaction = <T>(fn: () => Promise<T>, isolation = '') =>
    withTransaction(
      client,
      async () => {
        await onlineLimits(client, settings);
        return fn();
      },
      isolation,
    );
  try {
    // An index build needs one session on one backend (it cannot run in a transaction).
    if (selected.some((f) => flatSteps(f.steps).some((s) => !s.transactional))) {
      const pooler = await transactionPooler(client, opts.target);
      if (pooler) {
        throw new Refusal(
          `online mode builds indexes with CREATE INDEX CONCURRENTLY, which needs one session on one backend, and ${describe(opts.target)} is a transaction pooler (${pooler})`,
          'give --db a direct or session-mode URL for online mode (window mode works through the pooler)',
        );
      }
    }
    emit({ kind: 'phase', phase: 'lock' });
    // One search_path for every transaction of the run, the one its SQL was planned with (a resume
    // reads the run's; through a pooler each transaction may be another backend).
    settings.searchPath = await inTransaction(async () => {
      await takeAdvisoryLock(client, me);
      await claimLease(client, me, { hold: resumeRunId !== undefined, runId: resumeRunId ?? null, say });
      return (resumeRunId !== undefined ? await runSearchPath(client, resumeRunId) : null) ?? (await effectiveSearchPath(client));
    });
    if (resumeRunId !== undefined) heartbeat = await startHeartbeat(() => connect(opts.target, 'pgmend-lease'), me);
    await faultPoint('after-lock');

    emit({ kind: 'phase', phase: 'recheck' });
    const { catalog, prepared, tables, done } = await inTransaction(async () => {
      await takeAdvisoryLock(client, me);
      if (resumeRunId !== undefined) await assertLease(client, me);
      else await claimLease(client, me, { hold: false, say });
      const catalog = await loadCatalog(client);
      if (resumeRunId === undefined) refuseOtherSearchPath(catalog, opts.plan);
      const prepared = prepareAll(catalog, opts, selected);
      const tables = [...new Set(prepared.flatMap((p) => p.tables))];
      await checkTargets(client, catalog, selected, tables);
      const done = new Set<string>();
      if (resumeRunId === undefined) {
        await refuseStaleOrEdited(client, catalog, opts, selected, prepared);
      } else {
        const { rows } = await client.query(`SELECT step_key FROM pgmend.steps WHERE run_id = $1 AND status = 'done'`, [resumeRunId]);
        for (const r of rows) done.add(r.step_key);
      }
      return { catalog, prepared, tables, done };
    }, 'ISOLATION LEVEL REPEATABLE READ');

    if (resumeRunId === undefined) {
      emit({ kind: 'phase', phase: 'snapshot' });
      at.snapshotFile = await snapshotBeforeChange(opts, catalog, tables);
      const id = await inTransaction(async () => {
        await takeAdvisoryLock(client, me);
        await ensureJournal(client);
        const id = await startRun(client, { mode: 'online', window: opts.window.text, planId: opts.plan.id, fingerprint: opts.plan.fingerprint, findings: selected.map((f) => f.id), snapshotFile: at.snapshotFile!, plan: flatPlan(opts.plan) });
        // The lease from here on: taken in the transaction that creates the run.
        await claimLease(client, me, { hold: true, runId: id, say });
        // Recorded up front: an interrupted run can be rolled back as well as resumed.
        await recordFindings(client, id, selected, prepared, 'pending');
        return id;
      });
      // Only now does the run exist: a failure before this must not offer to resume it.
      runId = id;
      heartbeat = await startHeartbeat(() => connect(opts.target, 'pgmend-lease'), me);
      await faultPoint('after-snapshot');
    } else {
      await client.query(`UPDATE pgmend.runs SET status = 'running', error = NULL WHERE id = $1`, [resumeRunId]);
    }
    const { rows: seqRows } = await client.query(`SELECT coalesce(max(seq), 0) AS seq FROM pgmend.steps WHERE run_id = $1`, [runId]);
    const runner: StepRunner = { client, runId: runId!, lockTimeoutMs: opts.lockTimeoutMs, lockRetries: opts.lockRetries, emit, seq: Number(seqRows[0].seq) };
    // Each step's transaction: its own limits, pgmend's lock for the transaction, the lease still ours.
    const inStep: InStep = (fn) =>
      inTransaction(async () => {
        await waitForAdvisoryLock(client);
        await assertLease(client, me);
        return fn();
      });
    const faults = faultCounter();

    emit({ kind: 'phase', phase: 'steps' });
    const rows = await runFindings(selected, at, {
      statement: async (f, s, total) => {
        if (done.has(stepKey(f.id, s.step.phase, s.index))) return 0;
        if (!s.step.transactional) {
          await inStep(async () => {});
          await runConcurrently(client, catalog, opts, settings, runner, f, s, total);
          await faults.stepDone(false);
          return 0;
        }
        const n = await inStep(() => runStep(runner, f, s, total));
        await faults.stepDone(false);
        return changedBy(s, n);
      },
      // The backup and the change, batch by batch, each batch committed: the change selects the
      // rows ITS transaction backed up. Journaled as done after its FIRST batch: on resume it runs
      // again (it backs up and changes only the rows still left, none when it had finished).
      rowChange: (f, rc, backup, total) => runBatches(runner, inStep, f, backup, { step: rc.change, index: backup.index + 1, of: rc, role: 'change' }, total, faults.stepDone),
    });

    emit({ kind: 'phase', phase: 'verify' });
    at.current = 'verification';
    const changed = await inStep(async () => {
      await verify(client, selected, prepared);
      emit({ kind: 'phase', phase: 'journal' });
      const changed = await finishRun(client, runId!);
      await client.query(`UPDATE pgmend.findings SET outcome = 'applied' WHERE run_id = $1`, [runId]);
      await releaseLease(client, me);
      await faultPoint('before-commit');
      return changed;
    });
    emit({ kind: 'phase', phase: 'done' });
    return committed(runId!, selected, rows, changed, alreadyOut, at.snapshotFile);
  } catch (e) {
    if (e instanceof Refusal) return notApplied('refused', errorMessage(e), alreadyOut);
    const error = `${at.current ? `${at.current}: ` : ''}${errorMessage(e)}`;
    if (runId !== null) {
      const id = runId;
      await onLiveConnection(client, opts, (c) => c.query(`UPDATE pgmend.runs SET status = 'interrupted', error = $2 WHERE id = $1`, [id, error]));
    }
    return notApplied(
      'failed',
      runId !== null ? `${error} — the steps before it are committed; resume with: pgmend apply --resume ${runId}` : `${error} — nothing was changed`,
      alreadyOut,
      { runId, rolledBack: runId === null },
    );
  } finally {
    await heartbeat?.stop();
    // The lease goes with the run (committed above; after a failure the run is interrupted and
    // resumable at once). A killed process leaves it to expire.
    await onLiveConnection(client, opts, (c) => releaseLease(c, me));
    await client.end().catch(() => {});
  }
}

/** Runs fn in one step's transaction (limits, pgmend's lock, the lease checked), committed when fn resolves. */
type InStep = <T>(fn: () => Promise<T>) => Promise<T>;

/** On the run's connection, or — when that one died (its backend terminated) — on a new one; best effort. */
async function onLiveConnection(client: pg.Client, opts: ApplyOptions, fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  try {
    await fn(client);
    return;
  } catch {
    // the server may be the thing that failed
  }
  const fresh = await connect(opts.target, 'pgmend').catch(() => undefined);
  if (!fresh) return;
  await fn(fresh).catch(() => {});
  await fresh.end().catch(() => {});
}

interface TxSettings {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  searchPath?: string;
}

/**
 * Online mode's limits, all transaction-local (set_config's is_local), in one round trip: every
 * step's transaction, and every batch of a row change, begins with them. Row security off (see
 * db/row-security.ts); no parallel workers: online mode shares the server with live writers, and
 * its whole-table rechecks and validations must not take every core (measured: parallel workers
 * starved a writer on 2 cores); the run's search_path.
 */
async function onlineLimits(client: pg.Client, t: TxSettings): Promise<void> {
  const settings: [string, string][] = [
    ['statement_timeout', String(Math.round(t.statementTimeoutMs))],
    ['lock_timeout', String(Math.round(t.lockTimeoutMs))],
    ['max_parallel_workers_per_gather', '0'],
    ['row_security', 'off'],
    ...(t.searchPath !== undefined ? [['search_path', t.searchPath] as [string, string]] : []),
  ];
  await client.query(`SELECT ${settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`, settings.flat());
}

async function runBatches(r: StepRunner, inStep: InStep, f: FindingPlan, backup: Statement, change: Statement, total: number, stepDone: (backedUp: boolean) => Promise<void>): Promise<number> {
  let changed = 0;
  // A change that does not clear its rows would loop for ever: stop after what the plan counted, plus slack.
  for (let batch = 0; batch < 1_000_000; batch++) {
    const finished = await inStep(async () => {
      if ((await runStep(r, f, backup, total)) === 0) return true;
      await stepDone(true);
      changed += await runStep(r, f, change, total);
      return false;
    });
    if (finished) return changed;
    await stepDone(false);
  }
  throw new PgmendError(`${f.id}: row changes did not converge`);
}

/** `CREATE [UNIQUE] INDEX CONCURRENTLY name ON …` → the index's name as stored (unquoted), to clean up an invalid leftover. */
function concurrentIndexName(sql: string): string | undefined {
  const m = /INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[^\s(".]+)\s+ON\s/i.exec(sql);
  if (!m) return undefined;
  return m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replaceAll('""', '"') : m[1]!;
}

/** An invalid index of that name in the schema of the table labelled `table` (an index lives in its table's schema) is dropped. */
async function dropInvalidIndex(client: pg.Client, name: string, table: string): Promise<boolean> {
  const { rows } = await client.query(
    `SELECT i.indisvalid, n.nspname AS schema FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = tc.relnamespace
     WHERE ic.relname = $1 AND ic.relnamespace = tc.relnamespace AND n.nspname || '.' || tc.relname = $2`,
    [name, table],
  );
  if (rows.length && rows[0].indisvalid === false) {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteQualified(rows[0].schema, name)}`);
        return true;
      } catch (e) {
        // "must be first action in transaction": a ddl_command_start event trigger that writes (or
        // calls nextval, which takes an xid every 32 values) ran first. Usually gone on a retry.
        if ((e as { code?: string }).code !== '0A000' || attempt >= 3) throw e;
      }
    }
  }
  return false;
}

async function runConcurrently(client: pg.Client, catalog: Catalog, opts: ApplyOptions, t: TxSettings, r: StepRunner, f: FindingPlan, s: Statement, total: number): Promise<void> {
  const { step, index } = s;
  const name = concurrentIndexName(step.sql);
  // The index's table: `tables` may also list tables the step only reads.
  const table = statementTarget(step.sql, catalog) ?? step.tables[0];
  const description = step.description ?? step.sql.slice(0, 80);
  r.emit({ kind: 'step', findingId: f.id, index, total, description, status: 'running' });
  if (name && table) await dropInvalidIndex(client, name, table); // a leftover from an earlier interrupted build
  const poll = step.progress === 'create-index' ? await progressPoller(opts, client, r, f, index) : undefined;
  const t0 = performance.now();
  let attempt = 0;
  try {
    for (;;) {
      attempt++;
      try {
        // Outside a transaction, so SET LOCAL cannot apply: set for this statement and reset at
        // once (online mode refuses a transaction pooler when it has such steps; see transactionPooler).
        await client.query(`SET lock_timeout = ${Math.round(t.lockTimeoutMs)}`);
        await client.query(`SET statement_timeout = ${Math.round(t.statementTimeoutMs)}`);
        if (t.searchPath !== undefined) await client.query(`SELECT set_config('search_path', $1, false)`, [t.searchPath]);
        try {
          await client.query(step.sql);
        } finally {
          await client.query('RESET lock_timeout').catch(() => {});
          await client.query('RESET statement_timeout').catch(() => {});
          if (t.searchPath !== undefined) await client.query('RESET search_path').catch(() => {});
        }
        break;
      } catch (e) {
        if (name && table) await dropInvalidIndex(client, name, table).catch(() => {});
        if ((e as { code?: string }).code === '55P03' && attempt < opts.lockRetries) {
          await sleep(opts.lockTimeoutMs * 2 ** (attempt - 1));
          continue;
        }
        r.emit({ kind: 'step', findingId: f.id, index, total, description, status: 'failed' });
        const holders = (e as { code?: string }).code === '55P03' ? await lockHolders(client, step.tables).catch(() => '') : '';
        throw new PgmendError(`${f.id} step ${index + 1} (${description}): ${errorMessage(e)}${holders ? `; held by ${holders}` : ''}`);
      }
    }
  } finally {
    await poll?.stop();
  }
  const ms = Math.round(performance.now() - t0);
  r.seq++;
  await client.query(
    `INSERT INTO pgmend.steps (run_id, seq, step_key, finding_id, phase, description, sql, lock_mode, tables, rows, ms, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, 'done')`,
    [r.runId, r.seq, stepKey(f.id, step.phase, index), f.id, step.phase, step.description ?? null, step.sql, step.lock, step.tables, ms],
  );
  r.emit({ kind: 'step', findingId: f.id, index, total, description, status: 'done', rows: 0, ms });
}

/** Index build progress from a second connection, every half second. */
async function progressPoller(opts: ApplyOptions, client: pg.Client, r: StepRunner, f: FindingPlan, index: number) {
  const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
  const pid = rows[0].pid;
  const watcher = await connect(opts.target, 'pgmend-progress').catch(() => undefined);
  if (!watcher) return undefined;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows: p } = await watcher
        .query(`SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total FROM pg_stat_progress_create_index WHERE pid = $1`, [pid])
        .catch(() => ({ rows: [] as Record<string, unknown>[] }));
      const row = p[0];
      if (row) {
        const total = Number(row.blocks_total) || Number(row.tuples_total) || 0;
        const done = Number(row.blocks_total) ? Number(row.blocks_done) : Number(row.tuples_done);
        r.emit({ kind: 'progress', findingId: f.id, index, done, total, phase: String(row.phase) });
      }
      await sleep(500);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop.catch(() => {});
      await watcher.end().catch(() => {});
    },
  };
}
