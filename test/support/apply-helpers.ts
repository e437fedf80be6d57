import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { expect } from 'vitest';
import { adminUrl, urlFor } from './db.js';
import { runCli, type CliResult } from './cli.js';
import { buildPlan, PLAN_DEFAULTS } from '../../src/engine/plan/plan.js';
import { applyPlan } from '../../src/engine/apply/apply.js';
import { resumeRun } from '../../src/engine/apply/apply.js';
import { parseWindow } from '../../src/engine/apply/maintenance-window.js';
import { resolveTarget } from '../../src/db/connection.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { parseFindingsText } from '../../src/findings/load.js';
import type { ApplyOptions, ApplyResult } from '../../src/engine/apply/apply-model.js';
import type { FindingPlan, Mode, Plan } from '../../src/engine/plan/plan-model.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/** Shared pieces of the apply / online / rollback integration tests. */

/** A template database loaded from SQL once per test file; `createTestDb(name)` clones it. */
export async function makeTemplate(sql: string): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `tpl_apply_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const c = new pg.Client({ connectionString: urlFor(name) });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
  return {
    name,
    drop: async () => {
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

export async function workDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-apply-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeFindings(dir: string, findings: unknown[], name = 'findings.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, YAML.stringify({ findings }));
  return file;
}

/** An ISO-8601 window around now (an `HH:MM-HH:MM` one would close at midnight). */
export function openWindow(): string {
  return `${new Date(Date.now() - 3_600_000).toISOString()}/${new Date(Date.now() + 3_600_000).toISOString()}`;
}

/** A window that opens in two hours. */
export function closedWindow(): string {
  return `${new Date(Date.now() + 2 * 3_600_000).toISOString()}/${new Date(Date.now() + 3 * 3_600_000).toISOString()}`;
}

/** `plan --format json` through the CLI, written to dir/plan-<mode>.json; returns the file and the parsed plan. */
export async function cliPlan(url: string, findingsFile: string, mode: Mode, dir: string, extra: string[] = []): Promise<{ file: string; plan: Plan }> {
  const file = path.join(dir, `plan-${mode}-${randomBytes(3).toString('hex')}.json`);
  const r = await runCli(['plan', '--db', url, '--findings', findingsFile, '--format', 'json', '--mode', mode, '--out', file, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return { file, plan: JSON.parse(await readFile(file, 'utf8')) as Plan };
}

export interface JournalRun {
  id: number;
  status: string;
  mode: string;
  findings: string[];
  rowsChanged: number;
  error: string | null;
  snapshot: string | null;
  rolledBackAt: string | null;
  [k: string]: unknown;
}

export async function cliJournal(url: string): Promise<JournalRun[]> {
  const r = await runCli(['journal', '--db', url, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { runs: JournalRun[] }).runs;
}

/** Rows the plan says the finding's row-changing steps (DELETE / UPDATE) change: its rehearsal counts. */
export function previewedRows(fp: FindingPlan, together = false): number {
  expect(fp.rehearsal?.ok, `${fp.id} rehearsal: ${fp.rehearsal?.error}`).toBe(true);
  // together: the counts the plan previews for applying every finding at once, in apply order.
  const counts = together ? fp.rehearsal!.rowCountsTogether ?? fp.rehearsal!.rowCounts : fp.rehearsal!.rowCounts;
  return flatSteps(fp.steps).reduce((sum, s, i) => sum + (/^\s*(DELETE|UPDATE)\b/i.test(s.sql) ? (counts[i] ?? 0) : 0), 0);
}

/** An error reaches the user as one line on stderr (the last), never a stack trace. */
export function expectOneLineError(r: CliResult, code: number, pattern: RegExp): string {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(code);
  const lines = r.stderr.trimEnd().split('\n');
  const last = lines[lines.length - 1]!;
  expect(last).toMatch(/^pgmend: /);
  expect(last).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  return last;
}

/** Objects an interrupted online run could leave half-done: invalid indexes, unvalidated constraints. */
export async function halfDone(url: string): Promise<{ invalidIndexes: string[]; unvalidated: string[] }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows: ix } = await c.query(
      `SELECT i.indexrelid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgmend') ORDER BY 1`,
    );
    const { rows: co } = await c.query(
      `SELECT conrelid::regclass::text || '.' || conname AS name FROM pg_constraint co JOIN pg_namespace n ON n.oid = co.connamespace
       WHERE NOT co.convalidated AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgmend') ORDER BY 1`,
    );
    return { invalidIndexes: ix.map((r) => r.name), unvalidated: co.map((r) => r.name) };
  } finally {
    await c.end();
  }
}

/** Runs fn with a connection of its own (a concurrent session). */
export async function withSession<T>(url: string, fn: (c: pg.Client) => Promise<T>, applicationName = 'pgmend-test'): Promise<T> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  c.on('error', () => {});
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => {});
  }
}

/** Waits until a pgmend session runs a query matching `pattern`; returns its pid. */
export async function waitForQuery(url: string, pattern: RegExp, timeoutMs = 30_000): Promise<number> {
  return withSession(url, async (c) => {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const { rows } = await c.query(`SELECT pid, query, wait_event_type, wait_event FROM pg_stat_activity WHERE application_name = 'pgmend' AND state = 'active' AND datname = current_database()`);
      const hit = rows.find((r) => pattern.test(String(r.query)));
      if (hit) return Number(hit.pid);
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no pgmend session ran a query matching ${pattern} within ${timeoutMs} ms`);
  });
}

export async function terminate(url: string, pid: number): Promise<void> {
  await withSession(url, async (c) => {
    const { rows } = await c.query('SELECT pg_terminate_backend($1) AS ok', [pid]);
    expect(rows[0]!.ok).toBe(true);
  });
}

// ---- the engine API, for loops where a CLI process per run would be too slow ----

export async function planFor(url: string, findings: unknown[], mode: Mode, rehearse = true): Promise<Plan> {
  const playbooks = await loadPlaybooks();
  return buildPlan({
    target: resolveTarget(url),
    findings: parseFindingsText(YAML.stringify({ findings }), 'findings.yaml', playbooks),
    playbooks,
    mode,
    rehearse,
    ...PLAN_DEFAULTS,
  });
}

export async function applyApi(url: string, plan: Plan, snapshotDir: string, over: Partial<ApplyOptions> = {}): Promise<ApplyResult> {
  return applyPlan({
    target: resolveTarget(url),
    plan,
    playbooks: await loadPlaybooks(),
    mode: plan.mode,
    window: parseWindow(openWindow()),
    lockTimeoutMs: 1000,
    lockRetries: 3,
    snapshotDir,
    ...over,
  });
}

export async function resumeApi(url: string, runId: number, snapshotDir: string): Promise<ApplyResult> {
  return resumeRun({ target: resolveTarget(url), playbooks: await loadPlaybooks(), window: parseWindow(openWindow()), lockTimeoutMs: 1000, lockRetries: 3, snapshotDir }, runId);
}

/** Rows of pgmend.steps / pgmend.backups for a run. */
export async function runSteps(url: string, runId: number): Promise<{ steps: { step_key: string; finding_id: string; rows: number; status: string; sql: string }[]; backups: { finding_id: string; source_table: string; change: string; rows: number }[] }> {
  return withSession(url, async (c) => {
    const { rows: steps } = await c.query(`SELECT step_key, finding_id, rows::int AS rows, status, sql FROM pgmend.steps WHERE run_id = $1 ORDER BY seq`, [runId]);
    const { rows: backups } = await c.query(`SELECT finding_id, source_table, change, rows::int AS rows FROM pgmend.backups WHERE run_id = $1 ORDER BY finding_id`, [runId]);
    return { steps, backups } as never;
  });
}
