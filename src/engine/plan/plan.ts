import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Catalog } from '../../db/catalog.js';
import { connect, querySafely, withSavepoint } from '../../db/session.js';
import type { DbTarget } from '../../db/connection.js';
import { fingerprint } from '../../db/fingerprint.js';
import { schemaDdl } from '../../db/ddl.js';
import type { Finding } from '../../findings/model.js';
import type { PlaybookSet } from '../../playbooks/load.js';
import { ensureParser } from '../../playbooks/expression.js';
import type { CheckResult, FindingPlan, Mode, Plan, Step } from './plan-model.js';
import { isApplicable, verbChanges } from './plan-model.js';
import { flatSteps, isRowChange, mapStatements } from './steps.js';
import { prepareFinding, type PreparedFinding } from './prepare.js';
import { queryError, runPrechecks } from '../checks/prechecks.js';
import { blastRadius, cascadeReads, type CascadeCounts, type ChangedEdge } from './cascade.js';
import { backupTableName, resolutionSteps, rowChangingFixSteps, ONLINE_BATCH } from './row-changes.js';
import { withPlanSnapshot } from './plan-snapshot.js';
import { LISTED_ROWS_MAX } from './listed-rows.js';
import { declareStepLocks, applyObserved } from './step-locks.js';
import { rehearse, rehearseRowCountsInApplyOrder, type RehearsalItem, type RehearsalResult } from './rehearsal.js';
import { tablesHidingRows, hiddenRowsMessage } from '../../db/row-security.js';
import { errorMessage, PgmendError } from '../../util/errors.js';
import { frozenInDev } from '../../util/freeze.js';
import { orderFindings } from './order.js';
import { sqlHash } from '../apply/sql-hash.js';
import { journalExists } from '../apply/journal.js';
import { guardSqlFindings } from './dry-run-guard.js';
import { VolatilityProbe } from './volatility-probe.js';

/**
 * The plan: catalog → prepared findings → prechecks (one read-only snapshot) → cascade blast
 * radius → resolution steps → rehearsal (a transaction that always rolls back) → statuses.
 * The CLI, the exports and the TUI all read what this returns.
 */

export interface PlanOptions {
  target: DbTarget;
  findings: Finding[];
  playbooks: PlaybookSet;
  mode: Mode;
  rehearse: boolean;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  sampleSize: number;
  /** Reuse an id (apply --plan) so backup table names match the reviewed plan. */
  planId?: string;
  onProgress?: (e: PlanEvent) => void;
}

export type PlanEvent =
  | { kind: 'phase'; phase: 'connect' | 'catalog' | 'prechecks' | 'cascade' | 'rehearsal' | 'done'; total?: number }
  | { kind: 'finding'; id: string; phase: 'prechecks' | 'rehearsal'; finding?: FindingPlan }
  /** A finding's counts, as soon as its tables' scans end (samples and cascade follow). */
  | { kind: 'counts'; id: string; checks: CheckResult[] };

export const PLAN_DEFAULTS = { lockTimeoutMs: 1000, statementTimeoutMs: 5 * 60_000, sampleSize: 5 };

function keyCount(c: CheckResult): number {
  return c.blocking ? c.rows : 0;
}

export async function buildPlan(opts: PlanOptions): Promise<Plan> {
  const emit = opts.onProgress ?? (() => {});
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round(performance.now() - t0);
    }
  };
  await ensureParser();
  emit({ kind: 'phase', phase: 'connect' });
  const client = await time('connect', () => connect(opts.target, 'pgmend'));
  const volatility = new VolatilityProbe(opts);
  volatility.connectEarly(opts.findings, opts.playbooks);
  try {
    return await planWith(client, opts, emit, time, timings, volatility);
  } finally {
    await volatility.close();
    await client.end().catch(() => {});
  }
}

async function planWith(
  client: pg.Client,
  opts: PlanOptions,
  emit: (e: PlanEvent) => void,
  time: <T>(name: string, fn: () => Promise<T>) => Promise<T>,
  timings: Record<string, number>,
  volatility: VolatilityProbe,
): Promise<Plan> {
  const planId = opts.planId ?? randomBytes(4).toString('hex');
  const plans = new Map<string, FindingPlan>();
  /** Per finding, the rows its checks counted, listed in full where few (window rehearsal backs up those: listed-rows.ts). */
  const rowIds = new Map<string, Record<string, string[]>>();
  const prepared: PreparedFinding[] = [];
  // Prechecks read one consistent snapshot and can write nothing (see plan-snapshot.ts).
  emit({ kind: 'phase', phase: 'catalog' });
  const t0 = performance.now();
  const tablesOf = (c: Catalog) => {
    prepared.length = 0;
    plans.clear();
    for (const f of opts.findings) {
      const p = prepareFinding(c, opts.playbooks, f, opts.mode, opts.sampleSize);
      if (p.ok) prepared.push(p.value);
      else plans.set(f.id, errorPlan(f, p.error));
    }
    volatility.start(prepared);
    return prepared.flatMap((p) => p.tables);
  };
  const { catalog, held, unopened, snapshot } = await withPlanSnapshot(client, opts, tablesOf, async (read) => {
    timings.catalog = Math.round(performance.now() - t0);
    const { catalog, notGranted, held } = read;
    // A table another session holds locked fails only the findings that read it.
    for (const p of [...prepared]) {
      const locked = p.tables.find((t) => notGranted.has(t));
      if (locked === undefined) continue;
      plans.set(p.finding.id, errorPlan(p.finding, notGranted.get(locked)!, p));
      prepared.splice(prepared.indexOf(p), 1);
    }
    await refuseVolatile(volatility, prepared, plans);
    await hideNoRows(client, catalog, prepared, plans);
    emit({ kind: 'phase', phase: 'prechecks', total: prepared.length });
    // The cascade's counts per FK are taken by the prechecks' scan of each child table where it fuses.
    const cascadeCounts: CascadeCounts = new Map();
    const reads = [...new Map(prepared.filter((p) => p.checks.some((c) => c.spec.extra === 'cascade')).flatMap((p) => readsOf(catalog, p)).map((r) => [r.key, r])).values()];
    const outcomes = await time('prechecks', () =>
      runPrechecks(client, prepared, { sampleSize: opts.sampleSize, catalog, heldTables: held, lockTimeoutMs: opts.lockTimeoutMs, onFinding: (id) => emit({ kind: 'finding', id, phase: 'prechecks' }),
        onCounted: (id, checks) => emit({ kind: 'counts', id, checks }),
        groupedReads: reads,
        listRowsUpTo: opts.rehearse && opts.mode === 'window' ? LISTED_ROWS_MAX : 0,
        onGroupedRead: (i, row) => cascadeCounts.set(reads[i]!.key, row as { max_per_parent: unknown; total: unknown }),
      }),
    );

    emit({ kind: 'phase', phase: 'cascade' });
    await time('cascade', async () => {
      for (const p of prepared) {
        const outcome = outcomes.get(p.finding.id)!;
        if (!outcome.ok) {
          plans.set(p.finding.id, errorPlan(p.finding, outcome.error, p));
          continue;
        }
        const checks = outcome.checks;
        if (outcome.rowIds) rowIds.set(p.finding.id, outcome.rowIds);
        if (p.checks.some((c) => c.spec.extra === 'cascade')) {
          try {
            checks.push(await withSavepoint(client, () => cascadeCheck(client, catalog, p, cascadeCounts)));
          } catch (e) {
            plans.set(p.finding.id, errorPlan(p.finding, `cascade: ${queryError(e, { heldTables: held, lockTimeoutMs: opts.lockTimeoutMs })}`, p));
            continue;
          }
        }
        plans.set(p.finding.id, findingPlan(catalog, p, checks, planId, opts.mode === 'online' ? ONLINE_BATCH : undefined));
      }
    });
    // Without a rehearsal, "already applied" still shows: verification already passes (read-only
    // queries), or a repair has nothing to repair.
    if (!opts.rehearse) await markAppliedReadOnly(client, plans, prepared);
    return read;
  });
  const server = catalog.server.version;

  if (opts.rehearse) {
    const items: RehearsalItem[] = prepared
      .map((p) => plans.get(p.finding.id)!)
      .filter((fp) => isApplicable(fp))
      .map((fp) => {
        const p = prepared.find((x) => x.finding.id === fp.id)!;
        return {
          id: fp.id,
          tables: p.tables,
          steps: fp.steps,
          verify: fp.status === 'ready' && !checksFoundRows(p, fp) ? fp.verify : [],
          detectApplied: fp.playbook !== 'sql',
          ...(fp.table ? { table: fp.table } : {}),
          rollback: fp.rollback,
          checkRows: Object.fromEntries(fp.checks.map((c) => [c.id, c.rows])),
          ...(rowIds.has(fp.id) ? { rowIds: rowIds.get(fp.id)! } : {}),
          checks: fp.checks.map((c) => ({ id: c.id, rows: c.rows, ...(c.answeredBy ? { answeredBy: c.answeredBy } : {}) })),
        };
      });
    // A dry run never executes what acts outside its transaction, nor unvetted opaque code.
    const guards = await guardSqlFindings(client, catalog, items.flatMap((item) => {
      const p = prepared.find((x) => x.finding.id === item.id)!;
      if (p.playbook.name !== 'sql') return [];
      const flat = flatSteps(item.steps);
      return [{ finding: p.finding, statements: [...flat.map((s) => s.sql), ...p.rollback], tables: [...new Set([...p.tables, ...flat.flatMap((s) => s.tables)])] }];
    }));
    for (const item of items) item.guard = guards.get(item.id);
    emit({ kind: 'phase', phase: 'rehearsal', total: items.length });
    const results = await time('rehearsal', () =>
      rehearse(client, catalog, items, {
        mode: opts.mode,
        lockTimeoutMs: opts.lockTimeoutMs,
        statementTimeoutMs: opts.statementTimeoutMs,
        unopened,
        countedIn: snapshot,
        onFinding: (id, r) => emit({ kind: 'finding', id, phase: 'rehearsal', finding: frozenInDev(rehearsed(plans.get(id)!, r)) }),
      }),
    );
    for (const [id, r] of results) plans.set(id, rehearsed(plans.get(id)!, r));
  } else {
    for (const fp of plans.values()) if (isApplicable(fp)) plans.set(fp.id, { ...fp, rehearsal: { ok: true, ms: 0, rowCounts: [], skipped: '--no-rehearse' } });
  }

  await time('journal', () => markJournaled(client, plans));
  let ordered = orderFindings(opts.findings.map((f) => plans.get(f.id)!));
  if (opts.rehearse) {
    ordered = await time('rehearsal-apply-order', () =>
      rehearseRowCountsInApplyOrder(client, catalog, ordered, { mode: opts.mode, lockTimeoutMs: opts.lockTimeoutMs, statementTimeoutMs: opts.statementTimeoutMs }),
    );
  }
  const tables = [...new Set(prepared.flatMap((p) => p.tables))];
  emit({ kind: 'phase', phase: 'done' });
  // Emitted: from here on an immutable value (frozen in development and tests).
  return frozenInDev({
    version: 1,
    id: planId,
    createdAt: new Date().toISOString(),
    mode: opts.mode,
    database: { host: opts.target.host, port: opts.target.port, name: opts.target.database, user: opts.target.user, server, searchPath: catalog.searchPath },
    fingerprint: fingerprint(catalog, tables),
    tables,
    ddl: schemaDdl(catalog, tables),
    findings: ordered,
    timings,
  });
}

/**
 * Expressions calling VOLATILE functions never reach the prechecks (expression-safety.ts): the
 * probe started when the findings were prepared says which, for those still planned.
 */
async function refuseVolatile(volatility: VolatilityProbe, prepared: PreparedFinding[], plans: Map<string, FindingPlan>): Promise<void> {
  for (const [id, why] of await volatility.refused(prepared)) {
    const i = prepared.findIndex((p) => p.finding.id === id);
    plans.set(id, errorPlan(prepared[i]!.finding, why, prepared[i]));
    prepared.splice(i, 1);
  }
}

/** The foreign key a finding's ON DELETE change makes, as the cascade walks it. */
function changedEdge(catalog: Catalog, p: PreparedFinding): ChangedEdge {
  const params = p.finding.params as { columns: string[]; references: { columns: string[] }; onDelete: string };
  const refTable = p.view.tableNames.references![0]!;
  const parent = catalog.tables.find((t) => t.qualified === refTable)!;
  const child = p.target!;
  const resolveName = (t: typeof child, n: string) => t.columns.find((c) => c.name === n || c.name === n.replace(/^"(.*)"$/s, '$1'))?.name ?? n;
  return {
    childOid: child.oid,
    childColumns: params.columns.map((c) => resolveName(child, c)),
    parentOid: parent.oid,
    parentColumns: params.references.columns.map((c) => resolveName(parent, c)),
    action: params.onDelete as never,
  };
}

/** A finding's cascade counts as grouped reads; none when its edge cannot be resolved (the cascade stage then says why). */
function readsOf(catalog: Catalog, p: PreparedFinding) {
  try {
    return cascadeReads(catalog, changedEdge(catalog, p));
  } catch {
    return [];
  }
}

async function cascadeCheck(client: pg.Client, catalog: Catalog, p: PreparedFinding, counts: CascadeCounts): Promise<CheckResult> {
  const cascade = await blastRadius(client, catalog, changedEdge(catalog, p), counts);
  // Rows a parent delete would delete or change, transitively (RESTRICT / NO ACTION rows block it instead).
  const reached = (nodes: typeof cascade): number =>
    nodes.reduce((a, n) => a + (n.action === 'restrict' || n.action === 'no-action' ? 0 : n.total + reached(n.children)), 0);
  const total = reached(cascade);
  return { id: 'cascade', rows: total, blocking: false, sample: [], cascade };
}

/** What a finding's plan repeats of the finding itself, whatever its status. */
function findingHeader(f: Finding, p?: PreparedFinding) {
  return {
    id: f.id,
    title: f.title,
    severity: f.severity,
    ...(f.source ? { source: f.source } : {}),
    ...(f.evidence ? { evidence: f.evidence } : {}),
    playbook: f.playbook,
    ...(p?.target ? { table: p.target.qualified } : {}),
  };
}

function errorPlan(f: Finding, error: string, p?: PreparedFinding): FindingPlan {
  return {
    ...findingHeader(f, p),
    status: 'error',
    error,
    checks: [],
    ...(f.resolution ? { resolution: f.resolution } : {}),
    steps: [],
    rollback: [],
    verify: [],
    diff: '',
    finding: f,
  };
}

export function findingPlan(catalog: Catalog, p: PreparedFinding, checks: readonly CheckResult[], planId: string, batch?: number): FindingPlan {
  const f = p.finding;
  const blocking = checks.filter((c) => keyCount(c) > 0);
  const backup = backupTableName(planId, f.id);
  let steps: Step[] = [];
  let status: FindingPlan['status'] = 'ready';
  try {
    const fix = p.fixSteps.flatMap((s) => (s.rowsOf ? rowChangingFixSteps(catalog, p, s, backup, batch) : [s]));
    if (blocking.length > 0) {
      if (f.resolution) {
        status = 'resolved';
        steps = [...resolutionSteps(catalog, p, f.resolution, backup, blocking.map((c) => c.id), batch), ...fix];
      } else {
        status = 'blocked';
        steps = fix;
      }
    } else {
      steps = fix;
    }
    steps = mapStatements(steps, (s) => declareStepLocks(catalog, s));
  } catch (e) {
    return errorPlan(f, errorMessage(e), p);
  }
  return {
    ...findingHeader(f, p),
    status,
    checks,
    ...(f.resolution ? { resolution: f.resolution } : {}),
    steps,
    rollback: p.rollback,
    verify: p.verify,
    diff: '',
    finding: f,
  };
}

/** The finding's plan with its rehearsal: counts, diff, each statement's observed locks, "already applied" — a new value. */
function rehearsed(fp: FindingPlan, r: RehearsalResult): FindingPlan {
  return {
    ...fp,
    rehearsal: r.rehearsal,
    diff: r.diff,
    steps: mapStatements(fp.steps, (s, i) => applyObserved(s, r.rehearsal.observed?.[i], r.rehearsal.heldMs?.[i])),
    ...(r.applied ? { status: 'applied' as const, appliedReason: r.applied } : {}),
  };
}

/** Hand-written SQL is "applied" when the journal records the same SQL applied by a run still in force. */
async function markJournaled(client: pg.Client, plans: Map<string, FindingPlan>): Promise<void> {
  const sqlFindings = [...plans.values()].filter((f) => f.playbook === 'sql' && isApplicable(f));
  if (sqlFindings.length === 0 || !(await journalExists(client).catch(() => false))) return;
  // A journal this role cannot read leaves hand-written SQL ready (apply re-checks), not the plan failed.
  const { rows } = await client.query(
    `SELECT f.finding_id, f.sql_hash, max(r.id) AS run FROM pgmend.findings f JOIN pgmend.runs r ON r.id = f.run_id
     WHERE r.status = 'committed' AND f.outcome = 'applied' GROUP BY 1, 2`,
  ).catch(() => ({ rows: [] as { finding_id: string; sql_hash: string; run: number }[] }));
  for (const f of sqlFindings) {
    const hit = rows.find((r) => r.finding_id === f.id && r.sql_hash === sqlHash(f));
    if (hit) plans.set(f.id, { ...f, status: 'applied', appliedReason: `the journal records this SQL as applied by run ${hit.run}` });
  }
}

/**
 * A counted check (not an engine-computed extra such as the cascade) found rows: there is something
 * to fix, so the verification cannot pass yet. Not running it saves a query that, for a counter,
 * evaluates its correlated subquery over the whole table.
 */
function checksFoundRows(p: PreparedFinding, fp: FindingPlan): boolean {
  const counted = new Set(p.checks.filter((c) => !c.spec.extra).map((c) => c.spec.id));
  return fp.checks.some((c) => counted.has(c.id) && c.rows > 0);
}

async function markAppliedReadOnly(client: pg.Client, plans: Map<string, FindingPlan>, prepared: PreparedFinding[]): Promise<void> {
  for (const fp of plans.values()) {
    if (fp.status !== 'ready') continue;
    const repairsOnly = fp.steps.length > 0 && fp.steps.every((s) => s.phase === 'fix' && (isRowChange(s) || s.rowsOf !== undefined || verbChanges(s.sql) === 'update'));
    if (repairsOnly && fp.checks.every((c) => c.rows === 0)) {
      plans.set(fp.id, { ...fp, status: 'applied', appliedReason: 'nothing to repair' });
      continue;
    }
    const p = prepared.find((x) => x.finding.id === fp.id);
    if (fp.verify.length === 0 || (p && checksFoundRows(p, fp))) continue;
    try {
      let ok = true;
      for (const v of fp.verify) ok &&= (await querySafely(client, v.sql)).rows[0]?.ok === true;
      if (ok) plans.set(fp.id, { ...fp, status: 'applied', appliedReason: fp.verify.map((v) => v.says).join('; ') });
    } catch {
      // not applied as far as it can tell
    }
  }
}

/**
 * A finding whose tables a row-level-security policy filters for this role is an error, not a
 * count of the visible rows; it leaves `prepared` so nothing else reads its tables.
 */
async function hideNoRows(client: pg.Client, catalog: Catalog, prepared: PreparedFinding[], plans: Map<string, FindingPlan>): Promise<void> {
  const oidOf = (q: string) => catalog.tables.find((t) => t.qualified === q)?.oid;
  const oids = [...new Set(prepared.flatMap((p) => p.tables.map(oidOf)).filter((o): o is number => o !== undefined))];
  const hidden = await tablesHidingRows(client, oids);
  if (hidden.length === 0) return;
  for (const p of [...prepared]) {
    const t = hidden.find((h) => p.tables.some((q) => oidOf(q) === h.oid));
    if (!t) continue;
    plans.set(p.finding.id, errorPlan(p.finding, hiddenRowsMessage(t), p));
    prepared.splice(prepared.indexOf(p), 1);
  }
}
