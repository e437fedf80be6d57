import type pg from 'pg';
import { randomBytes } from 'node:crypto';
import { ROW_SECURITY_OFF } from '../../db/row-security.js';
import { withRolledBackSavepoint, withRollback } from '../../db/session.js';
import { createTwoFilesPatch } from 'diff';
import { tableByLabel, type Catalog } from '../../db/catalog.js';
import { statementTarget } from '../../playbooks/statement-locks.js';
import { loadCatalogAroundLocks } from '../../db/catalog-around-locks.js';
import { sqlName } from '../../db/quote.js';
import { schemaDdl } from '../../db/ddl.js';
import { isApplicable, verbChanges, type FindingPlan, type Mode, type PlanStep, type Rehearsal, type Step } from './plan-model.js';
import { isRowChange, statements, type Statement } from './steps.js';
import { errorMessage } from '../../util/errors.js';
import { findingsToReplay } from './apply-order-interactions.js';
import { heldLocks, takenBetween } from './observed-locks.js';
import type { TableLocks } from '../../playbooks/lock-modes.js';
import type { DryRunGuard } from './dry-run-guard.js';
import { installSandbox, runSandboxed } from './sandbox.js';
import { rehearseRollback, rollbackProbe, stateBeforeFix, type RollbackItem, type RollbackRun } from './rollback-rehearsal.js';
import type { StateProbe } from './rollback-state.js';
import { addLock } from '../../playbooks/lock-modes.js';
import { asApplied, rehearseAnswered, whyNotAnswerable, type CountedCheck } from './answered-validation.js';
import type { AnsweringFk } from './catalog-answered-fk.js';
import { writesNoRow, type RollbackProof } from './rollback-answered.js';
import type { AnsweredValidation, ValidatedInFull } from './plan-model.js';
import { rehearseListedRows } from './listed-rows.js';

/**
 * Rehearsal: run a finding's steps for real inside a transaction that always rolls back, with a
 * short lock_timeout so it never queues behind (or in front of) production traffic. Reads the
 * DDL of the tables involved before and after, inside that transaction, for the schema diff.
 */

export interface RehearsalItem {
  id: string;
  tables: string[];
  /** Infer "already applied" from a rehearsal that changes nothing (not for hand-written SQL, whose effects may lie outside the tables). */
  detectApplied: boolean;
  steps: readonly Step[];
  verify: readonly { sql: string; says: string }[];
  /** Rows each of the finding's checks counted (by check id), from the prechecks. */
  checkRows: Record<string, number>;
  /** `sql` findings: held back, or run in a sandbox role (dry-run-guard.ts). */
  guard?: DryRunGuard;
  /** The finding's table (its backups copy its rows) and rollback SQL: window mode rehearses the rollback after the fix. */
  table?: string;
  rollback: readonly string[];
  /** The finding's checks as the prechecks answered them (window mode: a zero count answers a validation, answered-validation.ts). */
  checks?: CountedCheck[];
  /** Per check, every row it counted where the prechecks listed them all (window mode: a row change backs up those, listed-rows.ts). */
  rowIds?: Record<string, string[]>;
}

export interface RehearsalResult {
  rehearsal: Rehearsal;
  diff: string;
  /** Why the fix is already in place, when it is. */
  applied?: string;
}

export interface RehearsalOptions {
  mode: Mode;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** Tables other sessions hold (their definitions are not read): catalog reads skip them without waiting; grows as more are found. */
  unopened?: number[];
  onFinding?: (id: string, result: RehearsalResult) => void;
  /** pg_current_snapshot() of the prechecks' transaction: where the counts come from. */
  countedIn?: string;
}

/** Steps too heavy to rehearse online (they scan or build); prechecks already counted their blockers. */
const isHeavyOnline = (s: PlanStep) => !s.transactional || /\bVALIDATE\s+CONSTRAINT\b/i.test(s.sql);

/**
 * Online mode: a batched repair (the backup step and the change after it) whose rows are exactly
 * the rows one of the finding's checks counted — a counter's drift. Running it would read the whole
 * child table it counts (seconds at millions of rows) to learn a number the prechecks already
 * have, in the same plan; so it is planned instead (EXPLAIN: names, types, privileges), and that
 * count is its row count. Window mode runs it.
 */
function countedRows(item: RehearsalItem, s: Statement): number | undefined {
  const rowsOf = s.of?.repeat && s.role !== 'prepare' ? s.of.change.rowsOf : undefined;
  return rowsOf !== undefined ? item.checkRows[rowsOf] : undefined;
}

/** CONCURRENTLY cannot run in a transaction block; the rehearsal builds the plain equivalent. */
const transactionalForm = (sql: string) => sql.replace(/\b(INDEX)\s+CONCURRENTLY\b/i, '$1');

/** DDL lines with object names blanked: an equivalent object under another name compares equal. */
function normalizedLines(ddl: string): Set<string> {
  return new Set(
    ddl
      .split('\n')
      .map((l) =>
        l
          .trim()
          .replace(/,$/, '')
          .replace(/^CONSTRAINT \S+ /, 'CONSTRAINT _ ')
          .replace(/^CREATE (UNIQUE )?INDEX \S+ ON /, 'CREATE $1INDEX _ ON ')
          .replace(/^CREATE (CONSTRAINT )?TRIGGER \S+ /, 'CREATE $1TRIGGER _ '),
      )
      .filter(Boolean),
  );
}

/**
 * Same schema, names aside. Index definitions of every index (also those backing a UNIQUE or
 * PRIMARY KEY constraint) join the comparison, so a new unique index equivalent to an existing
 * unique constraint counts as already there.
 */
function sameSchema(before: string, after: string, catalogBefore: Catalog, catalogAfter: Catalog, tables: string[]): boolean {
  const indexLines = (c: Catalog) => c.indexes.filter((i) => tables.includes(i.table)).map((i) => `${i.definition};${i.valid ? '' : ' -- INVALID'}`).join('\n');
  const a = normalizedLines(before + '\n' + indexLines(catalogBefore));
  const b = normalizedLines(after + '\n' + indexLines(catalogAfter));
  return a.size === b.size && [...a].every((l) => b.has(l));
}

function lockMessage(e: unknown, lockTimeoutMs: number): string {
  const err = e as { code?: string };
  if (err.code === '55P03') return `could not get a lock within lock_timeout ${lockTimeoutMs} ms (another session holds it); not waited for`;
  if (err.code === '57014') return `statement timed out: ${errorMessage(e)}`;
  return errorMessage(e);
}

/**
 * The settings of a rehearsal transaction. Deferred FKs (Django makes every FK DEFERRABLE
 * INITIALLY DEFERRED) would leave pending trigger events that make a later ALTER TABLE in this
 * transaction fail: constraints are checked per statement.
 */
async function setUpRehearsal(client: pg.Client, opts: RehearsalOptions): Promise<void> {
  await client.query('SET CONSTRAINTS ALL IMMEDIATE');
  await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(opts.lockTimeoutMs))}`);
  await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(opts.statementTimeoutMs))}`);
  await client.query(ROW_SECURITY_OFF); // resolutions and repairs change every row, or raise
}

/**
 * What lives for one call of rehearse() and no longer: the prefix of its prepared statements (the
 * scoped catalog read, see loadCatalog's CatalogScope, and the rollback's state reads,
 * rollback-state.ts) — unique, so that behind a transaction pooler they meet no other client's, and
 * deallocated when the rehearsal ends — and the states before a fix it has read (see
 * stateBeforeFixOnce). Made per call, not kept per options object: a second rehearsal sees
 * another transaction's state.
 */
interface RehearsalRun {
  readonly prefix: string;
  /** Whether a statement name under the prefix was handed out: only then can there be anything to deallocate. */
  named: boolean;
  readonly statesBefore: Map<string, RollbackRun>;
}

const newRun = (): RehearsalRun => ({ prefix: `pgmend_${randomBytes(6).toString('hex')}`, named: false, statesBefore: new Map() });
const ownStatement = (run: RehearsalRun, what: string): string => {
  run.named = true;
  return `${run.prefix}_${what}`;
};

/** A prepared statement outlives the transaction: leave none of this rehearsal's on the server (a pooler's backend serves others next). */
async function deallocateOwn(client: pg.Client, run: RehearsalRun): Promise<void> {
  if (!run.named) return;
  const { rows } = await client.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE starts_with(name, $1)`, [run.prefix]);
  // Names of our own making (prefix and a fixed suffix): one round trip for all of them.
  if (rows.length) await client.query(rows.map(({ name }) => `DEALLOCATE ${name}`).join('; '));
}

export async function rehearse(client: pg.Client, catalogBefore: Catalog, items: RehearsalItem[], opts: RehearsalOptions): Promise<Map<string, RehearsalResult>> {
  const results = new Map<string, RehearsalResult>();
  const run = newRun();
  await withRollback(client, async () => {
    await setUpRehearsal(client, opts);
    for (const item of items) {
      const result = await rehearseOne(client, catalogBefore, item, opts, run);
      results.set(item.id, result);
      opts.onFinding?.(item.id, result);
    }
    await deallocateOwn(client, run);
  });
  return results;
}

/**
 * Whether the rollback can be rehearsed after the fix, and what it is compared on. Window mode runs
 * every step in the transaction; online mode compares only where every step ran and no rows change
 * (it reads no whole table), and says which step it did not run.
 */
function rollbackPlan(catalog: Catalog, item: RehearsalItem, mode: Mode): { probe: StateProbe } | { skipped: string } {
  const all = statements(item.steps);
  const outside = all.findIndex(({ step: s }) => !s.transactional && transactionalForm(s.sql) === s.sql);
  if (outside >= 0) return { skipped: `step ${outside + 1} cannot run inside a transaction, so the fix and its rollback cannot be rehearsed whole` };
  const probe = rollbackProbe(catalog, rollbackItem(item));
  if (mode === 'window') return { probe };
  const notRun = all.findIndex((s) => countedRows(item, s) !== undefined || isHeavyOnline(s.step));
  if (notRun >= 0) {
    const why = countedRows(item, all[notRun]!) !== undefined ? 'a batched repair, planned from the precheck count' : 'VALIDATE / CONCURRENTLY scan or build the table';
    return { skipped: `online mode does not run step ${notRun + 1} in rehearsal (${why}), so the state after it cannot be rolled back and compared; plan --mode window rehearses the rollback` };
  }
  if (probe.rowTables.length) return { skipped: `online mode does not read whole tables to compare their rows (${probe.rowTables.map((t) => t.qualified).join(', ')}); plan --mode window rehearses the rollback` };
  return { probe };
}

/**
 * What the rollback may take as proven (rollback-answered.ts): one key answered the fix's step, and
 * no step writes a row — every one an ALTER TABLE of constraints and nullability only (so no row
 * change, no DML, no table the probe checksums either).
 */
function rollbackProof(catalog: Catalog, item: RehearsalItem, probe: StateProbe, fks: AnsweringFk[]): RollbackProof | undefined {
  const fk = fks.length === 1 ? fks[0]! : undefined;
  const table = fk && catalog.tables.find((t) => t.oid === fk.table);
  if (!fk || !table || !item.detectApplied || probe.rowTables.length || item.steps.some((s) => isRowChange(s) || !writesNoRow(s.sql))) return undefined;
  return { fk, table, versionNum: catalog.server.versionNum };
}

/**
 * The state before a fix, per probe, for one rehearsal: every finding starts from the same state
 * (each one's savepoint is rolled back), so findings on the same tables read it once. Not for a
 * sandboxed finding: its sandbox, installed first, is part of what it reads.
 */
async function stateBeforeFixOnce(client: pg.Client, probe: StateProbe, run: RehearsalRun, sandboxed: boolean): Promise<RollbackRun | { failed: string }> {
  if (sandboxed) return stateBeforeFix(client, probe);
  const key = JSON.stringify([probe.schemaTables.map((t) => t.oid), probe.rowTables.map((t) => t.oid)]);
  const known = run.statesBefore.get(key);
  if (known) return { probe, before: known.before };
  const read = await stateBeforeFix(client, probe);
  if ('before' in read) run.statesBefore.set(key, read);
  return read;
}

const rollbackItem = (item: RehearsalItem): RollbackItem => ({ ...(item.table ? { table: item.table } : {}), tables: item.tables, steps: item.steps, rollback: item.rollback, handWritten: !item.detectApplied });

async function rehearseOne(client: pg.Client, catalogBefore: Catalog, item: RehearsalItem, opts: RehearsalOptions, run: RehearsalRun): Promise<RehearsalResult> {
  if (item.guard && 'held' in item.guard) {
    const rollback = { skipped: 'the dry run holds this finding back (see above): neither its SQL nor its rollback is run' };
    return { rehearsal: { ok: true, ms: 0, rowCounts: [], skipped: item.guard.held, held: item.guard.held, rollback }, diff: '' };
  }
  const sandbox = item.guard && 'sandboxRole' in item.guard ? item.guard.sandboxRole : undefined;
  const planned = rollbackPlan(catalogBefore, item, opts.mode);
  const rollbackWay = 'probe' in planned ? { probe: { ...planned.probe, statement: ownStatement(run, 'rollback_state') } } : planned;
  const before = schemaDdl(catalogBefore, item.tables);
  const rowCounts: number[] = [];
  const stepMs: number[] = [];
  const started = performance.now();
  let skipped = 0;
  /** Steps run in the transaction (in their rehearsal form or as written): else the schema is as before. */
  let ran = 0;
  let equivalentProbes = 0;
  const counted: number[] = [];
  // pg_locks of this session around each step run in the transaction: what PostgreSQL took (observed-locks.ts).
  const all = statements(item.steps);
  const observed: (TableLocks | null)[] = all.map(() => null);
  const stepStart: (number | null)[] = all.map(() => null);
  let outside = 0;
  // Window mode: validations a zero count answered, the ones run in full anyway, and the row-changing locks taken so far.
  const answered: AnsweredValidation[] = [];
  const inFull: ValidatedInFull[] = [];
  const changed: TableLocks = {};
  // The keys that answered a step (read under its lock): what the rollback re-adds is proven by them.
  const answeringFks: AnsweringFk[] = [];
  const heldUntilNow = () => stepStart.map((t0) => (t0 === null ? null : Math.round(performance.now() - t0)));
  // Each finding in a savepoint rolled back after it, success or not: the next starts from the same state.
  return withRolledBackSavepoint(client, async () => {
    try {
      if (sandbox) await installSandbox(client, sandbox);
      // Verification passing before anything runs: the fix is already in place.
      if (item.verify.length > 0) {
        let allOk = true;
        for (const v of item.verify) {
          const { rows } = await client.query(v.sql);
          if (rows[0]?.ok !== true) allOk = false;
        }
        if (allOk) {
          return { rehearsal: { ok: true, ms: 0, rowCounts: [], skipped: 'fix already in place' }, diff: '', applied: item.verify.map((v) => v.says).join('; ') };
        }
      }
      // The state the rollback must give back: one read, before the first step.
      const rollbackRun = 'probe' in rollbackWay ? await stateBeforeFixOnce(client, rollbackWay.probe, run, sandbox !== undefined) : undefined;
      // The locks held after a step, while no other statement has run since: what the next step starts from.
      let heldNow: Awaited<ReturnType<typeof heldLocks>> | undefined;
      for (const s of all) {
        const { step, index: i } = s;
        const precounted = opts.mode === 'online' ? countedRows(item, s) : undefined;
        if (precounted !== undefined || (opts.mode === 'online' && isHeavyOnline(step))) heldNow = undefined; // EXPLAIN and the index probe run statements
        if (precounted !== undefined) {
          const t0 = performance.now();
          await client.query(`EXPLAIN ${step.sql}`);
          stepMs.push(Math.round((performance.now() - t0) * 10) / 10);
          rowCounts.push(precounted);
          counted.push(i);
          continue;
        }
        if (opts.mode === 'online' && isHeavyOnline(step)) {
          rowCounts.push(0);
          stepMs.push(0);
          // An index build is skipped, but whether an equivalent index exists is cheap to know.
          if (!(await equivalentIndexExists(client, catalogBefore, step))) skipped++;
          else equivalentProbes++;
          continue;
        }
        if (!step.transactional && transactionalForm(step.sql) === step.sql) {
          // VACUUM, REINDEX … CONCURRENTLY: no transactional form to rehearse; the lock comes from the rules.
          rowCounts.push(0);
          stepMs.push(0);
          outside++;
          continue;
        }
        const before = step.transactional ? (heldNow ?? (await heldLocks(client, catalogBefore))) : undefined;
        heldNow = undefined;
        ran++;
        const t0 = performance.now();
        const exec = async (sql: string) => (sandbox ? await runSandboxed(client, sql) : ((await client.query(sql)).rowCount ?? 0));
        let rows: number | undefined;
        if (opts.mode === 'window' && s.role === 'backup' && s.of && !sandbox) {
          const listed = await rehearseListedRows(client, s.of, i, item.rowIds, opts.countedIn, changed);
          if (listed && 'answered' in listed) {
            answered.push(listed.answered);
            rows = listed.rows;
          } else if (listed) inFull.push({ step: i, why: listed.inFull, rows: true });
        }
        if (opts.mode === 'window' && step.rehearse) {
          const why = whyNotAnswerable(step, item.checks ?? [], opts.countedIn, changed);
          const check = step.rehearse.check;
          const answeredBy = item.checks?.find((c) => c.id === check)?.answeredBy;
          const answer = why !== undefined ? { inFull: why } : await rehearseAnswered(client, catalogBefore, step, i, opts.countedIn, exec, answeredBy);
          if ('answered' in answer) {
            answered.push(answer.answered);
            if (answer.fk) answeringFks.push(answer.fk);
            rows = 0;
          } else inFull.push({ step: i, why: answer.inFull });
        }
        rows ??= await exec(transactionalForm(step.sql));
        stepMs.push(Math.round((performance.now() - t0) * 10) / 10);
        rowCounts.push(rows);
        if (before) {
          heldNow = await heldLocks(client, catalogBefore);
          observed[i] = takenBetween(before, heldNow);
          stepStart[i] = t0;
        }
        for (const [t, m] of Object.entries(observed[i] ?? step.locks ?? {})) addLock(changed, t, m);
      }
      // Only the finding's tables (also those its steps created): the diff, "already applied" and asApplied read nothing else.
      // No statement of the fix ran (online: builds, validations and batched repairs are not run, an
      // EXPLAIN changes nothing): the schema is the one the plan read, not read again.
      let catalogRead = catalogBefore;
      if (ran > 0 || sandbox) {
        const read = await loadCatalogAroundLocks(client, opts.unopened, { tables: item.tables, statement: ownStatement(run, 'scoped_catalog') });
        opts.unopened = read.unopened;
        catalogRead = read.catalog;
      }
      // The rehearsal forms' traces (NOT VALID, WHERE false) read as the steps themselves leave them.
      const catalogAfter = asApplied(catalogBefore, catalogRead, all.map((x) => x.step), answered);
      const after = schemaDdl(catalogAfter, item.tables);
      const diff = before === after ? '' : createTwoFilesPatch('before', 'after', before, after, undefined, undefined, { context: 3 });
      const rehearsal: Rehearsal = { ok: true, ms: Math.round(performance.now() - started), rowCounts, stepMs, ...(counted.length ? { counted } : {}), observed, heldMs: heldUntilNow(), ...(answered.length ? { answered } : {}), ...(inFull.length ? { inFull } : {}) };
      if (outside > 0) rehearsal.skipped = `${outside} step(s) cannot run inside a transaction (VACUUM, CONCURRENTLY…): not rehearsed, their locks come from the rules`;
      if (sandbox) rehearsal.sandbox = sandbox;
      if (skipped > 0) rehearsal.skipped = `${skipped} step(s) not rehearsed online (VALIDATE / CONCURRENTLY scan or build the table; prechecks counted their blocking rows)`;
      const changedRows = rowCounts.reduce((a, b) => a + b, 0);
      const result: RehearsalResult = { rehearsal, diff };
      if (item.detectApplied && item.steps.length > 0 && changedRows === 0 && skipped === 0 && outside === 0 && sameSchema(before, after, catalogBefore, catalogAfter, item.tables)) {
        result.applied = equivalentProbes > 0 ? 'an equivalent valid index already exists' : diff ? 'an equivalent object already exists' : 'rehearsal changes nothing';
      } else {
        const run = async (sql: string) => void (sandbox ? await runSandboxed(client, sql) : await client.query(sql));
        rehearsal.rollback =
          rollbackRun && 'before' in rollbackRun
            ? await rehearseRollback(client, catalogBefore, rollbackItem(item), rollbackRun, run, rollbackProof(catalogBefore, item, rollbackRun.probe, answeringFks))
            : { skipped: rollbackRun ? rollbackRun.failed : 'skipped' in rollbackWay ? rollbackWay.skipped : 'not rehearsed' };
      }
      return result;
    } catch (e) {
      return {
        rehearsal: { ok: false, ms: Math.round(performance.now() - started), rowCounts, stepMs, observed, heldMs: heldUntilNow(), ...(answered.length ? { answered } : {}), ...(inFull.length ? { inFull } : {}), error: `step ${rowCounts.length + 1}: ${lockMessage(e, opts.lockTimeoutMs)}${sandbox ? ` (opaque code, rehearsed as role ${sandbox}, which cannot reach outside the database)` : ''}`, ...(sandbox ? { sandbox } : {}) },
        diff: '',
      };
    }
  });
}

/** Steps whose row counts depend on what ran before them: row changes (backup storage, backup, change); hand-written DML and table creation. */
export const changesRows = (s: Step) => isRowChange(s) || verbChanges(s.sql) !== undefined || /^CREATE (SCHEMA|TABLE) IF NOT EXISTS\b/.test(s.sql);

/**
 * Each finding is rehearsed alone, but apply runs them together: resolutions of every finding
 * first, then the fixes, in plan order — so a resolution can already have fixed rows another
 * finding counted (two findings on the same bad status), or a counter repair can see rows a
 * resolution changed. One more rolled-back pass replays the row-changing steps of the findings
 * that interact so (apply-order-interactions.ts) in apply order and records the counts apply will
 * see when it applies the whole plan (`rowCountsTogether`); for the others those are the counts
 * alone. `rowCounts` stay what the finding changes applied alone (`apply --only`). Returns the findings,
 * those replayed as new values with `rowCountsTogether`.
 */
export async function rehearseRowCountsInApplyOrder(client: pg.Client, catalog: Catalog, findings: readonly FindingPlan[], opts: RehearsalOptions & { replayAll?: boolean }): Promise<FindingPlan[]> {
  // Held-back and sandboxed findings are not replayed: the replay runs as the session's own role.
  const runnable = findings.filter((f) => isApplicable(f) && f.rehearsal?.ok && !f.rehearsal.held && !f.rehearsal.sandbox && f.steps.some(changesRows));
  if (runnable.length === 0) return [...findings];
  const replay = opts.replayAll ? new Set(runnable) : findingsToReplay(runnable, catalog, changesRows);
  const counts = new Map<FindingPlan, number[]>();
  if (replay.size > 0) {
    const replayed = runnable.filter((f) => replay.has(f));
    try {
      await withRollback(client, async () => {
        await setUpRehearsal(client, opts);
        for (const phase of ['resolution', 'fix'] as const) {
          for (const f of replayed) {
            const c = counts.get(f) ?? [...f.rehearsal!.rowCounts];
            for (const s of statements(f.steps)) {
              if (s.step.phase !== phase || !changesRows(s.of ?? s.step)) continue;
              c[s.index] = (await client.query(s.step.sql)).rowCount ?? 0;
            }
            counts.set(f, c);
          }
        }
      });
    } catch {
      // Together unknown: the per-finding counts stand; the per-finding rehearsals already report any failure.
      return [...findings];
    }
  }
  const together = new Set(runnable);
  return findings.map((f) => (together.has(f) ? { ...f, rehearsal: { ...f.rehearsal!, rowCountsTogether: counts.get(f) ?? [...f.rehearsal!.rowCounts] } } : f));
}

/**
 * Online mode does not build indexes in rehearsal, yet a reviewer must know when an equivalent one
 * exists under another name (or backs a UNIQUE constraint). Build the same index on an empty
 * temporary copy of the table — catalog time, whatever the table's size — and compare
 * PostgreSQL's own definition text with the existing valid indexes', names aside.
 */
async function equivalentIndexExists(client: pg.Client, catalog: Catalog, step: PlanStep): Promise<boolean> {
  // Identifiers as PostgreSQL prints them: "quoted" (spaces, dots, "" inside) or bare.
  const ident = String.raw`(?:"(?:[^"]|"")+"|[^\s".]+)`;
  const m = new RegExp(String.raw`^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?(${ident})\s+ON\s+(?:ONLY\s+)?(${ident}(?:\.${ident})?)\s`, 'i').exec(step.sql);
  const label = statementTarget(step.sql, catalog) ?? step.tables[0]; // `tables` may list read-only tables first
  const table = label ? tableByLabel(catalog, label) : undefined;
  if (!m || !table) return false;
  const onRef = sqlName(table);
  const definition = new RegExp(String.raw`^CREATE (UNIQUE )?INDEX ${ident} ON (ONLY )?${ident}(?:\.${ident})? `);
  const normalize = (def: string) => def.replace(definition, 'CREATE $1INDEX _ ON _ ');
  try {
    return await withRolledBackSavepoint(client, async () => {
      await client.query(`CREATE TEMP TABLE pgmend_probe (LIKE ${onRef})`);
      const probeSql = step.sql.slice(0, m.index) + step.sql.slice(m.index).replace(m[0], `CREATE ${m[1] ?? ''}INDEX pgmend_probe_idx ON pg_temp.pgmend_probe `);
      await client.query(probeSql);
      const { rows } = await client.query(`SELECT pg_get_indexdef('pg_temp.pgmend_probe_idx'::regclass) AS def`);
      const probe = normalize(String(rows[0].def));
      return catalog.indexes.some((i) => i.tableOid === table.oid && i.valid && normalize(i.definition) === probe);
    });
  } catch {
    return false;
  }
}
