import { sqlHash } from './sql-hash.js';
import { ROW_SECURITY_OFF, refuseHiddenRows } from '../../db/row-security.js';
import type pg from 'pg';
import { connect } from '../../db/session.js';
import { loadCatalog, type Catalog } from '../../db/catalog.js';
import { schemaDdl } from '../../db/ddl.js';
import { fingerprint } from '../../db/fingerprint.js';
import { ensureParser } from '../../playbooks/expression.js';
import { prepareFinding, type PreparedFinding } from '../plan/prepare.js';
import { runPrechecks } from '../checks/prechecks.js';
import { ensureJournal, rowsChangedByFinding, startRun } from './journal.js';
import { windowState, outsideText } from './maintenance-window.js';
import { writeSnapshot } from './snapshot.js';
import { staleReasons } from './stale.js';
import { runStep, lockTablesUpFront, type StepRunner } from './step-runner.js';
import type { ApplyOptions, ApplyResult, AppliedFinding } from './apply-model.js';
import type { FindingPlan, PlanStep } from '../plan/plan-model.js';
import { PgmendError, errorMessage } from '../../util/errors.js';
import { applyOnline } from './apply-online.js';
import { claimLease, liveLeaseHolder, newHolder, type LeaseHolder } from './lease.js';
import { checkPrivileges } from './privileges.js';
import { checkRowMatching } from '../plan/row-match.js';
import { planDrift } from './plan-integrity.js';
import { faultPoint, faultCounter } from './fault-seam.js';

/**
 * Window mode: everything selected in ONE transaction. Advisory lock first, then the table locks
 * the steps need; blocking checks re-run inside the transaction and the schema fingerprint
 * compared, so a plan that went stale is refused with what changed; a schema snapshot is written
 * before anything changes; then resolutions (each row backed up), fixes, verification, journal,
 * COMMIT. Any failure: ROLLBACK — nothing changed.
 */

export const ADVISORY_KEY = 'pgmend.apply';

export function selectFindings(plan: ApplyOptions['plan'], only?: string[]): { selected: FindingPlan[]; already: FindingPlan[] } {
  if (only) {
    const unknown = only.filter((id) => !plan.findings.some((f) => f.id === id));
    if (unknown.length) {
      throw new PgmendError(`--only: no finding ${unknown.map((u) => `"${u}"`).join(', ')} in the plan`, 2, `findings: ${plan.findings.map((f) => f.id).join(', ')}`);
    }
  }
  // A reviewer's skip sign-off keeps a finding out unless --only names it (an explicit override).
  const chosen = plan.findings.filter((f) => (only ? only.includes(f.id) : f.finding.review?.status !== 'skipped'));
  const refused = chosen.filter((f) => f.status === 'blocked' || f.status === 'error');
  if (refused.length) {
    const list = refused
      .map((f) => (f.status === 'error' ? `${f.id} (error: ${f.error})` : `${f.id} (${f.checks.filter((c) => c.blocking && c.rows > 0).map((c) => `${c.rows} ${c.id}`).join(', ')})`))
      .join('; ');
    const rest = chosen.filter((f) => !refused.includes(f) && f.status !== 'applied').map((f) => f.id);
    const fix = refused.some((f) => f.status === 'blocked') ? (refused.some((f) => f.status === 'error') ? 'add a resolution to each blocked finding and fix the findings in error' : 'add a resolution to each blocked finding') : 'fix the findings in error';
    throw new PgmendError(`refused: ${refused.length} finding(s) cannot be applied: ${list}`, 1, `${fix}, or leave them out${rest.length ? ` with --only ${rest.join(',')}` : ' with --only'}`);
  }
  return { selected: chosen.filter((f) => f.status === 'ready' || f.status === 'resolved'), already: chosen.filter((f) => f.status === 'applied') };
}

export async function applyPlan(opts: ApplyOptions): Promise<ApplyResult> {
  const { selected, already } = selectFindings(opts.plan, opts.only);
  const alreadyOut: AppliedFinding[] = already.map((f) => ({ id: f.id, outcome: 'already-applied', rows: 0, reason: f.appliedReason ?? 'already in place' }));
  const win = windowState(opts.window);
  if (!win.inside) {
    return {
      runId: null,
      status: 'refused',
      rowsChanged: 0,
      findings: alreadyOut,
      error: `refused: outside the maintenance window ${opts.window.text} — ${outsideText(win)}`,
    };
  }
  if (selected.length === 0) {
    return { runId: null, status: 'nothing-to-do', rowsChanged: 0, findings: alreadyOut };
  }
  if (opts.mode === 'online') return applyOnline(opts, selected, alreadyOut);
  await ensureParser();
  const emit = opts.onProgress ?? (() => {});
  emit({ kind: 'phase', phase: 'connect' });
  const client = await connect(opts.target, 'pgmend');
  try {
    return await applyInTransaction(client, opts, selected, alreadyOut);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Takes pgmend's advisory lock for this transaction (never for the session: through a transaction
 * pooler a session lock stays on a backend other clients then use), or says who holds it: the live
 * lease's pgmend process when there is one; else the backend, and an idle backend holding it is an
 * orphaned pooled connection (a session lock left by an older pgmend or taken by hand).
 */
export async function takeAdvisoryLock(client: pg.Client, me?: LeaseHolder): Promise<void> {
  const { rows } = await client.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok`, [ADVISORY_KEY]);
  if (rows[0].ok === true) return;
  const lease = await liveLeaseHolder(client, me).catch(() => undefined);
  if (lease) throw new PgmendError(`refused: another pgmend apply is running: ${lease}`, 1, 'wait for it to finish; two applies never run at once');
  const { rows: holders } = await client.query(
    `SELECT a.pid, a.application_name, a.state, round(extract(epoch FROM now() - coalesce(a.xact_start, a.state_change)))::int AS secs
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objid = (hashtext($1)::bigint & 4294967295)::oid AND a.pid <> pg_backend_pid()
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`, // advisory keys are per database
    [ADVISORY_KEY],
  );
  const h = holders[0];
  if (h?.state === 'idle') {
    throw new PgmendError(
      `refused: pgmend's lock is held by backend pid ${h.pid}, idle for ${h.secs} s — an orphaned pooled connection (a session-level lock left by an older pgmend or taken by hand; application_name "${h.application_name}" is only whoever used that backend last)`,
      1,
      `no pgmend is running there; clear it with: SELECT pg_terminate_backend(${h.pid});`,
    );
  }
  throw new PgmendError(
    `refused: another pgmend apply is running${h ? ` (pid ${h.pid}, application_name "${h.application_name}")` : ''}`,
    1,
    'wait for it to finish; two applies never run at once',
  );
}

async function applyInTransaction(client: pg.Client, opts: ApplyOptions, selected: FindingPlan[], alreadyOut: AppliedFinding[]): Promise<ApplyResult> {
  const emit = opts.onProgress ?? (() => {});
  const plan = opts.plan;
  let runId: number | null = null;
  let snapshotFile: string | undefined;
  let current = '';
  try {
    await client.query('BEGIN');
    // Deferred FKs (Django makes every FK DEFERRABLE INITIALLY DEFERRED) would leave pending trigger
    // events that make a later ALTER TABLE in this transaction fail: check constraints per statement.
    await client.query('SET CONSTRAINTS ALL IMMEDIATE');
    const win = windowState(opts.window);
    // No statement may run past the window's end.
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1000, win.ms)}`);
    await client.query(`SET LOCAL lock_timeout = ${Math.round(opts.lockTimeoutMs)}`);
    await client.query(ROW_SECURITY_OFF); // a policy raises instead of hiding rows from a change
    emit({ kind: 'phase', phase: 'lock' });
    await takeAdvisoryLock(client);
    await faultPoint('after-lock');

    emit({ kind: 'phase', phase: 'recheck' });
    const catalog = await loadCatalog(client);
    const prepared = prepareAll(catalog, opts, selected);
    const tables = [...new Set(prepared.flatMap((p) => p.tables))];
    // Privileges first: the lease lives in the pgmend schema, which this role may not be able to read.
    await checkPrivileges(client, catalog, selected);
    // An online apply between two of its transactions holds no lock, only its lease.
    await claimLease(client, newHolder(), { hold: false, say: (text) => emit({ kind: 'note', text }) });
    checkRowMatching(catalog, selected);
    await refuseHiddenRows(client, catalog, tables);
    current = 'locking the tables';
    await lockTablesUpFront(client, catalog, selected.flatMap((f) => f.steps), opts.lockTimeoutMs, opts.lockRetries);
    current = '';
    await client.query('SAVEPOINT pgmend_precheck');
    const stale = await staleReasons(client, catalog, plan, selected, prepared, opts.playbooks);
    if (stale.length) throw new PgmendError(`refused: the plan is stale — ${stale.join('; ')}`, 1, 'run plan again and review the new counts');
    const drift = planDrift(catalog, plan, selected, prepared);
    if (drift.length) throw new PgmendError(`refused: the plan's SQL is not what its findings render to — ${drift.join('; ')}`, 1, 'the plan file was edited (or made by another version); run plan again');

    emit({ kind: 'phase', phase: 'snapshot' });
    snapshotFile = await writeSnapshot(opts.snapshotDir, { plan, tables, ddl: schemaDdl(catalog, tables), catalog: subsetCatalog(catalog, tables) });
    await ensureJournal(client);
    runId = await startRun(client, { mode: 'window', window: opts.window.text, planId: plan.id, fingerprint: plan.fingerprint, findings: selected.map((f) => f.id), snapshotFile });
    await faultPoint('after-snapshot');

    emit({ kind: 'phase', phase: 'steps' });
    const runner: StepRunner = { client, runId, lockTimeoutMs: opts.lockTimeoutMs, lockRetries: opts.lockRetries, emit, seq: 0 };
    const rows = new Map<string, number>(selected.map((f) => [f.id, 0]));
    const faults = faultCounter();
    // Resolutions for every finding first, then the fixes, each in plan order.
    for (const phase of ['resolution', 'fix'] as const) {
      for (const f of selected) {
        const steps = f.steps.filter((s) => s.phase === phase);
        for (const [i, step] of steps.entries()) {
          current = `${f.id} ${phase} step ${i + 1}/${steps.length}`;
          const n = await runStep(runner, f, step, i, steps.length);
          await faults.stepDone(Boolean(step.backupTable));
          if (changesRows(step)) rows.set(f.id, rows.get(f.id)! + n);
        }
      }
    }

    emit({ kind: 'phase', phase: 'verify' });
    current = 'verification';
    await verify(client, selected, prepared);

    emit({ kind: 'phase', phase: 'journal' });
    const rowsChanged = [...rows.values()].reduce((a, b) => a + b, 0);
    const changed = await rowsChangedByFinding(client, runId);
    for (const [ord, f] of selected.entries()) {
      await client.query(
        `INSERT INTO pgmend.findings (run_id, finding_id, playbook, ord, tables, sql_hash, rollback, outcome, review) VALUES ($1, $2, $3, $4, $5, $6, $7, 'applied', $8)`,
        [runId, f.id, f.playbook, ord, prepared[ord]!.tables, sqlHash(f), f.rollback, f.finding.review ? JSON.stringify(f.finding.review) : null],
      );
    }
    await client.query(`UPDATE pgmend.runs SET status = 'committed', finished_at = clock_timestamp(), rows_changed = $2 WHERE id = $1`, [runId, rowsChanged]);
    emit({ kind: 'phase', phase: 'commit' });
    await faultPoint('before-commit');
    await client.query('COMMIT');
    emit({ kind: 'phase', phase: 'done' });
    return {
      runId,
      status: 'committed',
      rowsChanged,
      findings: [...selected.map((f) => ({ id: f.id, outcome: 'applied' as const, rows: rows.get(f.id)!, ...(changed.get(f.id) ?? { deleted: 0, updated: 0 }) })), ...alreadyOut],
      ...(snapshotFile ? { snapshotFile } : {}),
    };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    const refused = e instanceof PgmendError && /^refused/.test(e.message);
    const error = refused ? errorMessage(e) : `${current ? `${current}: ` : ''}${errorMessage(e)} — nothing was changed (rolled back)`;
    if (!refused) await recordFailure(client, opts, selected, error, snapshotFile);
    return { runId: null, status: refused ? 'refused' : 'failed', rowsChanged: 0, findings: alreadyOut, error, rolledBack: true, ...(snapshotFile ? { snapshotFile } : {}) };
  }
}

function changesRows(step: PlanStep): boolean {
  return /^\s*(DELETE|UPDATE)\b/i.test(step.sql);
}

export function prepareAll(catalog: Catalog, opts: ApplyOptions, selected: FindingPlan[]): PreparedFinding[] {
  return selected.map((f) => {
    const p = prepareFinding(catalog, opts.playbooks, f.finding, opts.plan.mode, 0);
    if (!p.ok) throw new PgmendError(`refused: ${f.id} no longer renders against the database: ${p.error}`, 1, 'run plan again');
    return p.value;
  });
}

/** After the fixes: every verification query passes and no blocking row is left. */
export async function verify(client: pg.Client, selected: FindingPlan[], prepared: PreparedFinding[]): Promise<void> {
  for (const f of selected) {
    for (const v of f.verify) {
      const { rows } = await client.query(v.sql);
      if (rows[0]?.ok !== true) throw new PgmendError(`${f.id}: verification failed: ${v.says} is not true`);
    }
  }
  const outcomes = await runPrechecks(client, prepared, { sampleSize: 0 });
  for (const p of prepared) {
    const o = outcomes.get(p.finding.id)!;
    if (!o.ok) throw new PgmendError(`${p.finding.id}: verification failed: ${o.error}`);
    const left = o.checks.filter((c) => c.blocking && c.rows > 0);
    if (left.length) throw new PgmendError(`${p.finding.id}: verification failed: ${left.map((c) => `${c.rows} ${c.id}`).join(', ')} left`);
  }
}

async function recordFailure(client: pg.Client, opts: ApplyOptions, selected: FindingPlan[], error: string, snapshotFile?: string): Promise<void> {
  // Best effort: the server may be the thing that failed.
  try {
    await client.query('BEGIN');
    await ensureJournal(client);
    await startRun(client, { mode: opts.mode, window: opts.window.text, planId: opts.plan.id, fingerprint: opts.plan.fingerprint, findings: selected.map((f) => f.id), status: 'failed', error, ...(snapshotFile ? { snapshotFile } : {}) });
    await client.query('COMMIT');
  } catch {
    await client.query('ROLLBACK').catch(() => {});
  }
}

export function subsetCatalog(catalog: Catalog, tables: string[]): Partial<Catalog> {
  const set = new Set(tables);
  const oids = new Set(catalog.tables.filter((t) => set.has(t.qualified)).map((t) => t.oid));
  return {
    server: catalog.server,
    tables: catalog.tables.filter((t) => oids.has(t.oid)),
    constraints: catalog.constraints.filter((c) => oids.has(c.tableOid)),
    indexes: catalog.indexes.filter((i) => oids.has(i.tableOid)),
    triggers: catalog.triggers.filter((t) => oids.has(t.tableOid)),
  };
}
