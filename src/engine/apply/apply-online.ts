import type pg from 'pg';
import { connect } from '../../db/session.js';
import { loadCatalog, type Catalog } from '../../db/catalog.js';
import { statementTarget } from '../../playbooks/statement-locks.js';
import { schemaDdl } from '../../db/ddl.js';
import { quoteQualified } from '../../db/quote.js';
import { ensureParser } from '../../playbooks/expression.js';
import { ensureJournal, rowsChangedByFinding, startRun } from './journal.js';
import { writeSnapshot } from './snapshot.js';
import { staleReasons } from './stale.js';
import { runStep, sleep, stepKey, lockHolders, type StepRunner } from './step-runner.js';
import { prepareAll, subsetCatalog, takeAdvisoryLock, verify, ADVISORY_KEY } from './apply.js';
import { assertLease, claimLease, newHolder, releaseLease, startHeartbeat } from './lease.js';
import { transactionPooler } from '../../db/pooler.js';
import { describe } from '../../db/connection.js';
import { ROW_SECURITY_OFF, refuseHiddenRows } from '../../db/row-security.js';
import { sqlHash } from './sql-hash.js';
import type { ApplyOptions, ApplyResult, AppliedFinding } from './apply-model.js';
import type { FindingPlan, Plan, PlanStep } from '../plan/plan-model.js';
import { PgmendError, errorMessage } from '../../util/errors.js';
import { windowState } from './maintenance-window.js';
import { checkPrivileges } from './privileges.js';
import { checkRowMatching } from '../plan/row-match.js';
import { planDrift } from './plan-integrity.js';
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
  let current = '';
  let snapshotFile: string | undefined;
  const win = windowState(opts.window);
  // Every transaction sets its own limits with SET LOCAL: through a transaction pooler the next
  // transaction may run on another backend, and a session SET would stay on this one for others.
  const settings: TxSettings = { statementTimeoutMs: Math.max(1000, win.ms), lockTimeoutMs: opts.lockTimeoutMs };
  const begin = (isolation = '') => beginOnline(client, settings, isolation);
  try {
    // An index build needs one session on one backend (it cannot run in a transaction).
    if (selected.some((f) => f.steps.some((s) => !s.transactional))) {
      const pooler = await transactionPooler(client, opts.target);
      if (pooler) {
        throw new PgmendError(
          `refused: online mode builds indexes with CREATE INDEX CONCURRENTLY, which needs one session on one backend, and ${describe(opts.target)} is a transaction pooler (${pooler})`,
          1,
          'give --db a direct or session-mode URL for online mode (window mode works through the pooler)',
        );
      }
    }
    emit({ kind: 'phase', phase: 'lock' });
    await begin();
    await takeAdvisoryLock(client, me);
    await claimLease(client, me, { hold: resumeRunId !== undefined, runId: resumeRunId ?? null, say });
    await client.query('COMMIT');
    if (resumeRunId !== undefined) heartbeat = await startHeartbeat(() => connect(opts.target, 'pgmend-lease'), me);
    await faultPoint('after-lock');

    emit({ kind: 'phase', phase: 'recheck' });
    await begin('ISOLATION LEVEL REPEATABLE READ');
    await takeAdvisoryLock(client, me);
    if (resumeRunId !== undefined) await assertLease(client, me);
    else await claimLease(client, me, { hold: false, say });
    const catalog = await loadCatalog(client);
    const prepared = prepareAll(catalog, opts, selected);
    const tables = [...new Set(prepared.flatMap((p) => p.tables))];
    await checkPrivileges(client, catalog, selected);
    checkRowMatching(catalog, selected);
    await refuseHiddenRows(client, catalog, tables);
    const done = new Set<string>();
    if (resumeRunId === undefined) {
      await client.query('SAVEPOINT pgmend_precheck');
      const stale = await staleReasons(client, catalog, opts.plan, selected, prepared, opts.playbooks);
      if (stale.length) throw new PgmendError(`refused: the plan is stale — ${stale.join('; ')}`, 1, 'run plan again and review the new counts');
      const drift = planDrift(catalog, opts.plan, selected, prepared);
      if (drift.length) throw new PgmendError(`refused: the plan's SQL is not what its findings render to — ${drift.join('; ')}`, 1, 'the plan file was edited (or made by another version); run plan again');
    } else {
      const { rows } = await client.query(`SELECT step_key FROM pgmend.steps WHERE run_id = $1 AND status = 'done'`, [resumeRunId]);
      for (const r of rows) done.add(r.step_key);
    }
    await client.query('COMMIT');

    if (resumeRunId === undefined) {
      emit({ kind: 'phase', phase: 'snapshot' });
      snapshotFile = await writeSnapshot(opts.snapshotDir, { plan: opts.plan, tables, ddl: schemaDdl(catalog, tables), catalog: subsetCatalog(catalog, tables) });
      await begin();
      await takeAdvisoryLock(client, me);
      await ensureJournal(client);
      const id = await startRun(client, { mode: 'online', window: opts.window.text, planId: opts.plan.id, fingerprint: opts.plan.fingerprint, findings: selected.map((f) => f.id), snapshotFile, plan: opts.plan });
      // The lease from here on: taken in the transaction that creates the run.
      await claimLease(client, me, { hold: true, runId: id, say });
      // Recorded up front: an interrupted run can be rolled back as well as resumed.
      for (const [ord, f] of selected.entries()) {
        await client.query(
          `INSERT INTO pgmend.findings (run_id, finding_id, playbook, ord, tables, sql_hash, rollback, outcome, review) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)`,
          [id, f.id, f.playbook, ord, prepared[ord]!.tables, sqlHash(f), f.rollback, f.finding.review ? JSON.stringify(f.finding.review) : null],
        );
      }
      await client.query('COMMIT');
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
    const beginStep = async () => {
      await begin();
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [ADVISORY_KEY]);
      await assertLease(client, me);
    };
    const rows = new Map<string, number>(selected.map((f) => [f.id, 0]));
    const faults = faultCounter();

    emit({ kind: 'phase', phase: 'steps' });
    for (const phase of ['resolution', 'fix'] as const) {
      for (const f of selected) {
        const steps = f.steps.filter((s) => s.phase === phase);
        for (let i = 0; i < steps.length; i++) {
          const step = steps[i]!;
          current = `${f.id} ${phase} step ${i + 1}/${steps.length}`;
          const batched = step.repeat || step.backupTable;
          // A batched change is journaled as done after its FIRST batch: on resume it runs again (it
          // backs up and changes only the rows still left, none when it had finished).
          if (!batched && done.has(stepKey(f.id, phase, i))) continue;
          if (batched) {
            // The backup step and the change after it, batch by batch, each batch committed. Keyed on
            // backupTable too: the change selects the rows ITS transaction backed up, so the two must
            // share one (a plan read back from JSON may not say `repeat`).
            const change = steps[i + 1]!;
            rows.set(f.id, rows.get(f.id)! + (await runBatches(runner, beginStep, f, step, change, i, steps.length, faults.stepDone)));
            i++;
          } else if (!step.transactional) {
            await beginStep();
            await client.query('COMMIT');
            await runConcurrently(client, catalog, opts, settings, runner, f, step, i, steps.length);
            await faults.stepDone(false);
          } else {
            await beginStep();
            const n = await runStep(runner, f, step, i, steps.length);
            await client.query('COMMIT');
            await faults.stepDone(false);
            if (/^\s*(DELETE|UPDATE)\b/i.test(step.sql)) rows.set(f.id, rows.get(f.id)! + n);
          }
        }
      }
    }

    emit({ kind: 'phase', phase: 'verify' });
    current = 'verification';
    await beginStep();
    await verify(client, selected, prepared);
    emit({ kind: 'phase', phase: 'journal' });
    const { rows: total } = await client.query(`SELECT coalesce(sum(rows) FILTER (WHERE sql ~* '^\\s*(DELETE|UPDATE)'), 0) AS n FROM pgmend.steps WHERE run_id = $1`, [runId]);
    const changed = await rowsChangedByFinding(client, runId!);
    await client.query(`UPDATE pgmend.findings SET outcome = 'applied' WHERE run_id = $1`, [runId]);
    await client.query(`UPDATE pgmend.runs SET status = 'committed', finished_at = clock_timestamp(), rows_changed = $2, error = NULL WHERE id = $1`, [runId, Number(total[0].n)]);
    await releaseLease(client, me);
    await faultPoint('before-commit');
    await client.query('COMMIT');
    emit({ kind: 'phase', phase: 'done' });
    return {
      runId,
      status: 'committed',
      rowsChanged: Number(total[0].n),
      findings: [...selected.map((f) => ({ id: f.id, outcome: 'applied' as const, rows: rows.get(f.id)!, ...(changed.get(f.id) ?? { deleted: 0, updated: 0 }) })), ...alreadyOut],
      ...(snapshotFile ? { snapshotFile } : {}),
    };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    const refused = e instanceof PgmendError && /^refused/.test(e.message);
    if (refused) return { runId: null, status: 'refused', rowsChanged: 0, findings: alreadyOut, error: errorMessage(e) };
    const error = `${current ? `${current}: ` : ''}${errorMessage(e)}`;
    if (runId !== null) {
      const id = runId;
      await onLiveConnection(client, opts, (c) => c.query(`UPDATE pgmend.runs SET status = 'interrupted', error = $2 WHERE id = $1`, [id, error]));
    }
    return {
      runId,
      status: 'failed',
      rowsChanged: 0,
      findings: alreadyOut,
      error: runId !== null ? `${error} — the steps before it are committed; resume with: pgmend apply --resume ${runId}` : `${error} — nothing was changed`,
      rolledBack: runId === null,
    };
  } finally {
    await heartbeat?.stop();
    // The lease goes with the run (committed above; after a failure the run is interrupted and
    // resumable at once). A killed process leaves it to expire.
    await onLiveConnection(client, opts, (c) => releaseLease(c, me));
    await client.end().catch(() => {});
  }
}

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
}

/** BEGIN with online mode's limits, all transaction-local. */
async function beginOnline(client: pg.Client, t: TxSettings, isolation: string): Promise<void> {
  await client.query(`BEGIN${isolation ? ` ${isolation}` : ''}`);
  await client.query(`SET LOCAL statement_timeout = ${Math.round(t.statementTimeoutMs)}`);
  await client.query(`SET LOCAL lock_timeout = ${Math.round(t.lockTimeoutMs)}`);
  // Online mode shares the server with live writers: its whole-table rechecks and validations
  // must not take every core (measured: parallel workers starved a writer on 2 cores).
  await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
  await client.query(ROW_SECURITY_OFF);
}

async function runBatches(r: StepRunner, beginStep: () => Promise<void>, f: FindingPlan, backup: PlanStep, change: PlanStep, index: number, total: number, stepDone: (backedUp: boolean) => Promise<void>): Promise<number> {
  let changed = 0;
  // A change that does not clear its rows would loop for ever: stop after what the plan counted, plus slack.
  for (let batch = 0; batch < 1_000_000; batch++) {
    await beginStep();
    const n = await runStep(r, f, backup, index, total);
    if (n === 0) {
      await r.client.query('COMMIT');
      return changed;
    }
    await stepDone(true);
    changed += await runStep(r, f, change, index + 1, total);
    await r.client.query('COMMIT');
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

async function runConcurrently(client: pg.Client, catalog: Catalog, opts: ApplyOptions, t: TxSettings, r: StepRunner, f: FindingPlan, step: PlanStep, index: number, total: number): Promise<void> {
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
        try {
          await client.query(step.sql);
        } finally {
          await client.query('RESET lock_timeout').catch(() => {});
          await client.query('RESET statement_timeout').catch(() => {});
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

/** `pgmend apply --resume RUN`: the plan comes from the journal; done steps are skipped. */
export async function resumeRun(opts: Omit<ApplyOptions, 'plan' | 'only' | 'mode'>, runId: number): Promise<ApplyResult> {
  const client = await connect(opts.target, 'pgmend');
  let plan: Plan;
  let findings: string[];
  try {
    const { rows } = await client.query(`SELECT status, mode, plan, findings FROM pgmend.runs WHERE id = $1`, [runId]).catch(() => ({ rows: [] as Record<string, unknown>[] }));
    const run = rows[0];
    if (!run) throw new PgmendError(`no run ${runId} in the journal`, 1, 'see pgmend journal');
    if (run.mode !== 'online' || !run.plan) throw new PgmendError(`run ${runId} is a ${String(run.mode)}-mode run: only online runs resume`, 1, 'a window-mode run either committed or changed nothing');
    if (run.status === 'committed') throw new PgmendError(`run ${runId} already completed`, 1);
    if (run.status === 'rolled-back') throw new PgmendError(`run ${runId} was rolled back`, 1);
    plan = run.plan as Plan;
    findings = run.findings as string[];
  } finally {
    await client.end().catch(() => {});
  }
  const selected = plan.findings.filter((f) => findings.includes(f.id));
  return applyOnline({ ...opts, plan, mode: 'online' }, selected, [], runId);
}
