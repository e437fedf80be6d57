import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { adminUrl } from '../support/db.js';
import { dbState, type DbState } from '../support/checksum.js';
import { loadExample, EXAMPLES_DIR } from '../../src/demo/examples.js';
import { buildPlan, PLAN_DEFAULTS } from '../../src/engine/plan/plan.js';
import { applyPlan } from '../../src/engine/apply/apply.js';
import { rollbackRun } from '../../src/engine/rollback/rollback.js';
import { parseWindow } from '../../src/engine/apply/maintenance-window.js';
import { resolveTarget } from '../../src/db/connection.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { loadFindingsFile } from '../../src/findings/load.js';
import type { Finding } from '../../src/findings/model.js';
import type { ApplyResult } from '../../src/engine/apply/apply-model.js';
import type { FindingPlan, Mode, Plan } from '../../src/engine/plan/plan-model.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * One example system remediated end to end, as the issue asks: (1) plan and assert every count
 * against the injected truth (expected.json, re-counted here with plain SQL); (2) apply every
 * finding with its resolution in window mode, in one run; (3) verify: zero violations, every
 * constraint present and validated, the triggers behave; (4) roll the run back and compare schema
 * and rows with the original (checksums); (5) apply and verify again in online mode.
 */

export interface ExpectedCheck {
  rows: number;
  groups?: number;
  values?: Record<string, number>;
}

export interface ExpectedFinding {
  playbook: string;
  status: FindingPlan['status'];
  checks: Record<string, ExpectedCheck>;
  resolvedStatus?: FindingPlan['status'];
  /** Rows the resolution changes, the finding on its own. */
  resolvedRows?: number;
  /** Rows the finding changes when the whole resolved file runs at once, where that differs. */
  appliedRows?: number;
}

export interface Expected {
  tables?: Record<string, number>;
  findings: Record<string, ExpectedFinding>;
}

/** What a behaviour check can use: a connection inside a transaction that is rolled back after. */
export interface BehaviourContext {
  client: pg.Client;
  findings: Map<string, Finding>;
  /** Plain-SQL drift of a counter finding (rows whose value differs from its expression). */
  drift(findingId: string): Promise<number>;
  /** Runs sql and expects it to fail with the SQLSTATE code (or one of the codes) and a message matching pattern. */
  expectError(sql: string, code: string | string[], pattern?: RegExp): Promise<void>;
  /** First row of a query. */
  one<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R>;
}

export type Behaviour = (ctx: BehaviourContext) => Promise<void>;

export interface SystemSpec {
  /** examples/<name> */
  name: string;
  /** Trigger, policy and constraint behaviour after apply, by name; each runs in a rolled-back transaction. */
  behaviours: Record<string, Behaviour>;
  /** Rows a finding changes in the one-run apply, where neither expected.json field says it. */
  applyRows?: Record<string, number>;
}

const q = (id: string) => `"${id.replaceAll('"', '""')}"`;
const lit = (v: unknown) => `'${String(v).replaceAll("'", "''")}'`;
/** A key is a column when it is a plain name, else an expression written in the finding. */
const key = (k: string) => (/^[a-z_][a-z0-9_]*$/.test(k) ? q(k) : `(${k})`);

export function expectedOf(name: string): Expected {
  return JSON.parse(readFileSync(path.join(EXAMPLES_DIR, name, 'expected.json'), 'utf8')) as Expected;
}

type P = Record<string, unknown>;

/** The blocking (and drift) counts of a finding, with plain SQL written here, not by the playbooks. */
export async function plainCounts(c: pg.Client, f: Finding): Promise<Record<string, ExpectedCheck>> {
  const p = f.params as P;
  const t = q(String(p.table ?? ''));
  const count = async (sql: string) => Number((await c.query(sql)).rows[0].n);
  switch (f.playbook) {
    case 'foreign-key': {
      const cols = p.columns as string[];
      const ref = p.references as { table: string; columns: string[] };
      const match = cols.map((col, i) => `r.${q(ref.columns[i]!)} = ${t}.${q(col)}`).join(' AND ');
      return { orphans: { rows: await count(`SELECT count(*) AS n FROM ${t} WHERE ${cols.map((x) => `${q(x)} IS NOT NULL`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM ${q(ref.table)} r WHERE ${match})`) } };
    }
    case 'unique': {
      const keys = (p.columns as string[]).map(key);
      const where = [...keys.map((k) => `${k} IS NOT NULL`), ...(p.where ? [`(${String(p.where)})`] : [])].join(' AND ');
      const { rows } = await c.query(`SELECT coalesce(sum(n), 0)::int AS rows, count(*)::int AS groups FROM (SELECT count(*) AS n FROM ${t} WHERE ${where} GROUP BY ${keys.join(', ')} HAVING count(*) > 1) g`);
      return { duplicates: { rows: rows[0].rows, groups: rows[0].groups } };
    }
    case 'check':
      return { violations: { rows: await count(`SELECT count(*) AS n FROM ${t} WHERE (${String(p.expression)}) IS FALSE`) } };
    case 'not-null':
      return { nulls: { rows: await count(`SELECT count(*) AS n FROM ${t} WHERE ${q(String(p.column))} IS NULL`) } };
    case 'counter':
      return { drift: { rows: await count(`SELECT count(*) AS n FROM ${t} WHERE ${q(String(p.column))} IS DISTINCT FROM (${String(p.expression)})`) } };
    case 'allowed-values':
    case 'state-machine': {
      const states =
        f.playbook === 'allowed-values'
          ? (p.values as unknown[])
          : [...new Set(Object.entries(p.transitions as Record<string, string[]>).flatMap(([s, next]) => [s, ...next]))];
      const col = q(String(p.column));
      const { rows } = await c.query(`SELECT ${col}::text AS v, count(*)::int AS n FROM ${t} WHERE (${col}::text IN (${states.map(lit).join(', ')})) IS FALSE GROUP BY 1`);
      const rowsTotal = rows.reduce((a, r) => a + r.n, 0);
      const check: ExpectedCheck = { rows: rowsTotal };
      if (rows.length) check.values = Object.fromEntries(rows.map((r) => [r.v, r.n]));
      return { [f.playbook === 'allowed-values' ? 'violations' : 'invalid-states']: check };
    }
    default:
      return {};
  }
}

/** Everything rollback must restore that dbState leaves out: policies, RLS switches, role settings. */
async function extraState(url: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`
      SELECT (SELECT coalesce(string_agg(format('%s.%s %s %s %s %s', schemaname, tablename, policyname, cmd, qual, with_check), E'\\n' ORDER BY schemaname, tablename, policyname), '') FROM pg_policies) AS policies,
             (SELECT coalesce(string_agg(relname, ',' ORDER BY relname), '') FROM pg_class WHERE relrowsecurity AND relnamespace = 'public'::regnamespace) AS rls,
             (SELECT coalesce(string_agg(r.rolname || '=' || array_to_string(s.setconfig, ','), ';' ORDER BY r.rolname), '')
                FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
               WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())) AS role_settings`);
    return rows[0];
  } finally {
    await c.end();
  }
}

interface FullState {
  db: DbState;
  extra: Record<string, string>;
}

async function fullState(url: string): Promise<FullState> {
  return { db: await dbState(url, { includePgmend: false }), extra: await extraState(url) };
}

function expectSameState(after: FullState, before: FullState): void {
  expect(after.db.rows).toEqual(before.db.rows);
  if (after.db.schema !== before.db.schema) {
    const a = new Set(after.db.schema.split('\n'));
    const b = new Set(before.db.schema.split('\n'));
    expect({ added: [...a].filter((l) => !b.has(l)), removed: [...b].filter((l) => !a.has(l)) }).toEqual({ added: [], removed: [] });
  }
  expect(after.extra).toEqual(before.extra);
}

const ON_DELETE_CODE: Record<string, string> = { cascade: 'c', 'set-null': 'n', 'set-default': 'd', restrict: 'r', 'no-action': 'a' };
const norm = (s: string) => s.toLowerCase().replace(/::(text|character varying|varchar)\b/g, '').replace(/[\s()"]/g, '');

/** The object a finding asks for is in the catalog, valid and validated (plain catalog queries). */
async function expectInCatalog(c: pg.Client, f: Finding, wasApplied: boolean): Promise<void> {
  const p = f.params as P;
  const table = String(p.table ?? '');
  const label = `${f.id} (${f.playbook})`;
  switch (f.playbook) {
    case 'foreign-key': {
      const ref = p.references as { table: string; columns: string[] };
      const { rows } = await c.query(
        `SELECT co.convalidated, co.confdeltype,
                (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(co.conkey) WITH ORDINALITY k(n, ord) JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.n) AS cols
         FROM pg_constraint co WHERE co.conrelid = $1::regclass AND co.contype = 'f' AND co.confrelid = $2::regclass`,
        [q(table), q(ref.table)],
      );
      const fk = rows.find((r) => JSON.stringify(r.cols) === JSON.stringify(p.columns));
      expect(fk, `${label}: a foreign key on ${table}(${(p.columns as string[]).join(', ')})`).toBeDefined();
      expect({ validated: fk.convalidated, onDelete: fk.confdeltype }, label).toEqual({ validated: true, onDelete: ON_DELETE_CODE[String(p.onDelete)] });
      return;
    }
    case 'unique':
    case 'index': {
      const { rows } = await c.query(
        `SELECT ci.relname, i.indisunique, i.indisvalid, i.indpred IS NOT NULL AS partial,
                ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) AS k) AS keys
         FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid WHERE i.indrelid = $1::regclass`,
        [q(table)],
      );
      const unique = f.playbook === 'unique';
      const named = p.name ? rows.find((r) => r.relname === p.name) : undefined;
      // An equivalent index under another name counts when the plan said so (status applied), or
      // when the finding names none (then it is found by its keys).
      const wanted = (p.columns as string[]).map(norm).join(',');
      const equivalent = rows.find((r) => (r.keys as string[]).map(norm).join(',') === wanted && r.partial === Boolean(p.where) && (!unique || r.indisunique));
      const found = named ?? (wasApplied || !p.name ? equivalent : undefined);
      expect(found, `${label}: ${p.name ? `index ${String(p.name)}` : `an index on ${wanted}`}`).toBeDefined();
      expect({ valid: found.indisvalid, unique: unique ? found.indisunique : true }, label).toEqual({ valid: true, unique: true });
      return;
    }
    case 'check':
    case 'allowed-values': {
      const name = String(p.name ?? `${table}_${String(p.column)}_check`);
      const { rows } = await c.query(`SELECT convalidated FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2 AND contype = 'c'`, [q(table), name]);
      expect(rows, `${label}: CHECK ${name} present and validated`).toEqual([{ convalidated: true }]);
      return;
    }
    case 'not-null': {
      const { rows } = await c.query(`SELECT attnotnull FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`, [q(table), String(p.column)]);
      expect(rows, `${label}: ${table}.${String(p.column)} NOT NULL`).toEqual([{ attnotnull: true }]);
      return;
    }
    case 'state-machine': {
      const name = String(p.name ?? `pgmend_sm_${table}_${String(p.column)}`);
      const { rows } = await c.query(`SELECT tgenabled FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = $2`, [q(table), name]);
      expect(rows, `${label}: trigger ${name} present and enabled`).toEqual([{ tgenabled: 'O' }]);
      return;
    }
    default:
      // counter: zero drift is checked with the other counts; sql: by the system's behaviours.
      return;
  }
}

/** Registers the five steps for one example system. */
export function describeSystem(spec: SystemSpec): void {
  const expected = expectedOf(spec.name);
  const dir = path.join(EXAMPLES_DIR, spec.name);
  const ids = Object.keys(expected.findings);

  describe(`system ${spec.name}: plan, apply, verify, roll back (window and online)`, () => {
    let dbName: string;
    let url: string;
    let snapshots: string;
    let original: FullState;
    let findings: Finding[];
    let resolvedFindings: Finding[];
    let byId: Map<string, Finding>;
    const runs: Partial<Record<Mode, ApplyResult>> = {};

    const target = () => resolveTarget(url);
    const plan = async (file: 'findings.yaml' | 'findings-resolved.yaml', mode: Mode): Promise<Plan> =>
      buildPlan({ target: target(), findings: file === 'findings.yaml' ? findings : resolvedFindings, playbooks: await loadPlaybooks(), mode, rehearse: true, ...PLAN_DEFAULTS });
    const withClient = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return await fn(c);
      } finally {
        await c.end();
      }
    };
    const applyRowsOf = (id: string): number => {
      const e = expected.findings[id]!;
      if (spec.applyRows?.[id] !== undefined) return spec.applyRows[id]!;
      if (e.appliedRows !== undefined) return e.appliedRows;
      if (e.resolvedStatus === 'resolved') return e.resolvedRows!;
      if (e.playbook === 'counter' && e.status === 'ready') return e.checks.drift!.rows;
      return 0;
    };

    beforeAll(async () => {
      const playbooks = await loadPlaybooks();
      findings = await loadFindingsFile(path.join(dir, 'findings.yaml'), playbooks);
      resolvedFindings = await loadFindingsFile(path.join(dir, 'findings-resolved.yaml'), playbooks);
      byId = new Map(findings.map((f) => [f.id, f]));
      snapshots = await mkdtemp(path.join(os.tmpdir(), `pgmend-system-${spec.name}-`));
      // The demo's own loader: schema.sql + data.sql, or the fixture source.json names.
      dbName = `e2e_${spec.name}_${randomBytes(4).toString('hex')}`;
      url = await loadExample(adminUrl(), dbName, spec.name);
      original = await fullState(url);
    }, 120_000);

    afterAll(async () => {
      if (snapshots) await rm(snapshots, { recursive: true, force: true });
      if (!dbName) return;
      const admin = new pg.Client({ connectionString: adminUrl() });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${q(dbName)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    });

    it('loads with the rows expected.json lists', async () => {
      if (!expected.tables) return;
      const counts = await withClient(async (c) => {
        const out: Record<string, number> = {};
        for (const t of Object.keys(expected.tables!)) out[t] = Number((await c.query(`SELECT count(*) AS n FROM ${q(t)}`)).rows[0].n);
        return out;
      });
      expect(counts).toEqual(expected.tables);
    });

    it('1. plan: every status and count equals expected.json, and plain SQL counts the same', async () => {
      expect(findings.map((f) => f.id).sort()).toEqual([...ids].sort());
      const p = await plan('findings.yaml', 'window');
      for (const id of ids) {
        const want = expected.findings[id]!;
        const got = p.findings.find((f) => f.id === id)!;
        expect(got.error, id).toBeUndefined();
        expect({ id, playbook: got.playbook, status: got.status }).toEqual({ id, playbook: want.playbook, status: want.status });
        const checks: Record<string, ExpectedCheck> = {};
        for (const c of got.checks.filter((x) => x.id !== 'cascade')) {
          checks[c.id] = { rows: c.rows, ...(c.groups !== undefined ? { groups: c.groups } : {}), ...(c.values?.length ? { values: Object.fromEntries(c.values.map((v) => [String(v.value), v.rows])) } : {}) };
        }
        expect({ id, checks }).toEqual({ id, checks: want.checks });
      }
      // The truth itself, re-counted without the engine.
      await withClient(async (c) => {
        for (const f of findings) {
          const plain = await plainCounts(c, f);
          const want = Object.fromEntries(Object.entries(expected.findings[f.id]!.checks).filter(([k]) => k in plain));
          expect({ id: f.id, checks: plain }).toEqual({ id: f.id, checks: want });
        }
      });
      // With the resolutions: every blocked finding is resolved and rehearses, changing the rows it says.
      const r = await plan('findings-resolved.yaml', 'window');
      for (const id of ids) {
        const want = expected.findings[id]!;
        const got = r.findings.find((f) => f.id === id)!;
        expect({ id, status: got.status }).toEqual({ id, status: want.resolvedStatus ?? want.status });
        if (got.status === 'ready' || got.status === 'resolved') expect(got.rehearsal?.ok, `${id} rehearsal: ${got.rehearsal?.error}`).toBe(true);
        if (got.status === 'resolved') {
          const counts = got.rehearsal!.rowCounts;
          const rows = flatSteps(got.steps).reduce((s, st, i) => s + (st.phase === 'resolution' && /^\s*(DELETE|UPDATE)\b/i.test(st.sql) ? (counts[i] ?? 0) : 0), 0);
          expect({ id, resolvedRows: rows }).toEqual({ id, resolvedRows: want.resolvedRows });
        }
      }
      // A dry run changes nothing.
      expectSameState(await fullState(url), original);
    });

    const applyStep = (mode: Mode) => async () => {
      const p = await plan('findings-resolved.yaml', mode);
      const bad = p.findings.filter((f) => f.status === 'blocked' || f.status === 'error' || (f.rehearsal && !f.rehearsal.ok));
      expect(bad.map((f) => `${f.id} ${f.status} ${f.error ?? f.rehearsal?.error ?? ''}`)).toEqual([]);
      const now = Date.now();
      const window = parseWindow(`${new Date(now - 3_600_000).toISOString()}/${new Date(now + 3_600_000).toISOString()}`);
      const result = await applyPlan({ target: target(), plan: p, playbooks: await loadPlaybooks(), mode, window, lockTimeoutMs: 2000, lockRetries: 3, snapshotDir: snapshots });
      runs[mode] = result;
      expect(result.error).toBeUndefined();
      expect(result.status).toBe('committed');
      // Every finding in that one run: applied, or already in place.
      const outcomes = Object.fromEntries(result.findings.map((f) => [f.id, f.outcome]));
      const wantOutcomes = Object.fromEntries(p.findings.map((f) => [f.id, f.status === 'applied' ? 'already-applied' : 'applied']));
      expect(outcomes).toEqual(wantOutcomes);
      const rows = Object.fromEntries(result.findings.map((f) => [f.id, f.rows]));
      expect(rows).toEqual(Object.fromEntries(ids.map((id) => [id, applyRowsOf(id)])));
      expect(result.rowsChanged).toBe(ids.reduce((a, id) => a + applyRowsOf(id), 0));
      const { rows: journal } = await withClient((c) => c.query(`SELECT id, status, mode FROM pgmend.runs WHERE status = 'committed' ORDER BY id`));
      expect(journal).toEqual([{ id: result.runId, status: 'committed', mode }]);
    };

    const verifyStep = (mode: Mode) => async () => {
      expect(runs[mode]?.status, `${mode} apply must have committed`).toBe('committed');
      // Zero violations: every blocking count and every drift is 0, by plain SQL…
      await withClient(async (c) => {
        for (const f of findings) {
          const plain = await plainCounts(c, f);
          for (const [check, v] of Object.entries(plain)) expect({ id: f.id, check, rows: v.rows }).toEqual({ id: f.id, check, rows: 0 });
        }
        // …every constraint, index and trigger present, valid and validated…
        for (const f of findings) await expectInCatalog(c, f, expected.findings[f.id]!.status === 'applied');
      });
      // …and the engine agrees: a new plan finds every finding applied.
      const again = await plan('findings.yaml', 'window');
      expect(again.findings.filter((f) => f.status !== 'applied').map((f) => `${f.id} ${f.status} ${f.error ?? ''}`)).toEqual([]);
    };

    const behaviourStep = (mode: Mode) => async () => {
      expect(runs[mode]?.status, `${mode} apply must have committed`).toBe('committed');
      const before = await fullState(url);
      for (const [name, check] of Object.entries(spec.behaviours)) {
        await withClient(async (client) => {
          await client.query('BEGIN');
          try {
            const ctx: BehaviourContext = {
              client,
              findings: byId,
              drift: async (id) => (await plainCounts(client, byId.get(id)!)).drift!.rows,
              expectError: async (sql, code, pattern) => {
                await client.query('SAVEPOINT pgmend_expect_error');
                let err: { code?: string; message?: string } | undefined;
                try {
                  await client.query(sql);
                } catch (e) {
                  err = e as { code?: string; message?: string };
                }
                await client.query('ROLLBACK TO SAVEPOINT pgmend_expect_error');
                expect(err, `${name}: expected ${sql} to fail`).toBeDefined();
                const codes = Array.isArray(code) ? code : [code];
                expect({ name, code: codes.includes(err!.code ?? '') ? codes : err!.code }).toEqual({ name, code: codes });
                if (pattern) expect(err!.message).toMatch(pattern);
              },
              one: async (sql, params) => (await client.query(sql, params)).rows[0],
            };
            await check(ctx);
          } catch (e) {
            throw new Error(`behaviour "${name}": ${(e as Error).message}`, { cause: e });
          } finally {
            await client.query('ROLLBACK');
          }
        });
      }
      // The checks left nothing behind.
      expectSameState(await fullState(url), before);
    };

    const rollbackStep = (mode: Mode) => async () => {
      const run = runs[mode];
      expect(run?.runId, `${mode} apply must have committed`).toBeTypeOf('number');
      const r = await rollbackRun(target(), run!.runId!);
      expect(r.rowsRestored).toBe(run!.rowsChanged);
      expectSameState(await fullState(url), original);
    };

    it('2. window: applies every finding with its resolution, in one run', applyStep('window'));
    it('3. window: zero violations; every constraint, index and trigger present and validated', verifyStep('window'));
    it('3. window: the triggers and policies behave', behaviourStep('window'));
    it('4. window: rollback restores schema and rows exactly (checksums)', rollbackStep('window'));
    it('5. online: applies every finding with its resolution, in one run', applyStep('online'));
    it('5. online: zero violations; every constraint, index and trigger present and validated', verifyStep('online'));
    it('5. online: the triggers and policies behave', behaviourStep('online'));
    it('5. online: rollback restores schema and rows exactly (checksums)', rollbackStep('online'));
  });
}
