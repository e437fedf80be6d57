import { expect } from 'vitest';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { dbState, type DbState } from '../../support/checksum.js';
import { runCli } from '../../support/cli.js';
import { SHOP_FINDINGS } from '../../support/apply-shop.js';
import { workDir, writeFindings, openWindow, expectOneLineError, applyApi, halfDone } from '../../support/apply-helpers.js';
import { applyWithFault, backupTables, journalStatuses, noPgmendSessions, type Fault } from './fault-run.js';
import { parsePlanJson } from '../../../src/export/index.js';
import type { Mode, Plan } from '../../../src/engine/plan/plan-model.js';
import { flatSteps } from '../../../src/engine/plan/steps.js';

/**
 * Faults at every point of an apply run, one fresh database per (point, fault): the seam's named
 * points and every step. Window mode must end exactly where it began (schema and row checksums),
 * with the journal showing a failed run or none, and a new apply must then succeed. Online mode
 * must leave a run that `--resume` completes to the uninterrupted end state, with no invalid index
 * or unvalidated constraint left — or, stopped before the run was journaled, nothing changed.
 */

/** Three findings: a delete resolution + FK, an update resolution + CHECK, an index (CONCURRENTLY online). */
export const FAULT_FINDINGS = SHOP_FINDINGS.filter((f) => ['SHOP-FK', 'SHOP-CHK', 'SHOP-IDX'].includes(f.id));

export interface Db {
  url: string;
  drop(): Promise<void>;
}

export interface Matrix {
  mode: Mode;
  planFile: string;
  plan: Plan;
  pristine: DbState;
  applied: DbState;
  points: string[];
  /** What has just happened at each point. */
  labels: Map<string, string>;
  snapshots: string;
  remove(): Promise<void>;
}

/**
 * Points the seam passes in a run of this plan, each with what has just happened: the named ones,
 * and one per step done (online: per step committed; a batched row change twice, after its backup
 * and after its commit).
 */
function pointsOf(plan: Plan): Map<string, string> {
  const points = new Map<string, string>([
    ['after-lock', 'pgmend\'s advisory lock taken'],
    ['after-snapshot', 'schema snapshot written, run journaled'],
    ['after-backup', 'the first blocking rows copied to a backup table'],
  ]);
  let n = 0;
  const step = (what: string) => points.set(`after-step:${++n}`, what);
  for (const phase of ['resolution', 'fix'] as const) {
    for (const f of plan.findings) {
      if (f.status !== 'ready' && f.status !== 'resolved') continue;
      const steps = flatSteps(f.steps).filter((s) => s.phase === phase);
      for (let i = 0; i < steps.length; i++) {
        const s = steps[i]!;
        const what = `${f.id} ${phase} ${i + 1}/${steps.length}: ${s.description ?? s.sql.slice(0, 60)}`;
        if (plan.mode === 'online' && s.backupTable) {
          // One batch (these tables are small): after its backup, after its change is committed.
          step(`${what} (batch 1, uncommitted)`);
          step(`${f.id} ${phase} ${i + 2}/${steps.length}: ${steps[i + 1]!.description ?? ''} (batch 1 committed)`);
          i++;
        } else step(what);
      }
    }
  }
  points.set('before-commit', plan.mode === 'online' ? 'every step committed and verified; the run\'s final journal update not yet committed' : 'everything done and verified, journal written; COMMIT not yet sent');
  return points;
}

export async function prepareMatrix(mode: Mode, createDb: () => Promise<Db>): Promise<Matrix> {
  const work = await workDir();
  const file = await writeFindings(work.dir, FAULT_FINDINGS);
  const db = await createDb();
  try {
    const planFile = path.join(work.dir, `plan-${mode}.json`);
    const r = await runCli(['plan', '--db', db.url, '--findings', file, '--format', 'json', '--mode', mode, '--out', planFile]);
    expect(r.code, r.stderr).toBe(0);
    const plan = parsePlanJson(await readFile(planFile, 'utf8'), planFile);
    expect(plan.findings.map((f) => f.status).sort()).toEqual(['ready', 'resolved', 'resolved']);
    const pristine = await dbState(db.url);
    const snapshots = path.join(work.dir, 'snapshots');
    // The reference: an uninterrupted run of the same plan file.
    const clean = await runCli(['apply', '--db', db.url, '--plan', planFile, '--window', openWindow(), '--yes', '--snapshots', snapshots]);
    expect(clean.code, clean.stderr).toBe(0);
    const applied = await dbState(db.url);
    expect(applied).not.toEqual(pristine);
    const labels = pointsOf(plan);
    return { mode, planFile, plan, pristine, applied, points: [...labels.keys()], labels, snapshots, remove: work.remove };
  } finally {
    await db.drop();
  }
}

/** The seam passes exactly the points listed: one step more is never reached by a whole run. */
export async function expectPointsComplete(m: Matrix, db: Db): Promise<void> {
  const steps = m.points.filter((p) => p.startsWith('after-step:')).length;
  const r = await applyWithFault({ args: applyArgs(m, db.url), point: `after-step:${steps + 1}`, fault: 'sigkill', url: db.url });
  expect(r.reached, `after-step:${steps + 1} should not exist`).toBe(false);
  expect(r.code, r.stderr).toBe(0);
}

const KILLED_LEASE_MS = 1500;

const applyArgs = (m: Matrix, url: string) => ['apply', '--db', url, '--plan', m.planFile, '--window', openWindow(), '--yes', '--snapshots', m.snapshots];

export interface Outcome {
  point: string;
  fault: Fault;
  /** Online: the run was journaled and resumed (else it stopped before it existed). */
  resumed: boolean;
}

/** One fault at one point, on a fresh database, and every check that it left the data intact. */
export async function injectOne(m: Matrix, db: Db, point: string, fault: Fault, restart?: () => Promise<void>): Promise<Outcome> {
  const at = `${m.mode} ${fault} at ${point}`;
  // A killed online run keeps its apply lease until it expires: a short lease (heartbeats every
  // 500 ms) lets the resume below take it over instead of waiting the default 30 s.
  const lease = fault === 'sigkill' ? { PGMEND_LEASE_MS: String(KILLED_LEASE_MS) } : {};
  const r = await applyWithFault({ args: applyArgs(m, db.url), point, fault, url: db.url, env: lease, ...(restart ? { restart } : {}) });
  expect(r.reached, `${at}: the run never got there (${r.stderr})`).toBe(true);
  if (fault === 'sigkill') expect(r.signal, at).toBe('SIGKILL');
  await noPgmendSessions(db.url);

  if (m.mode === 'window') {
    if (fault !== 'sigkill') expectOneLineError(r, 1, /(terminat|Connection|connection).* — nothing was changed \(rolled back\)$/);
    expect(await dbState(db.url), `${at}: schema and rows as before the run`).toEqual(m.pristine);
    const runs = await journalStatuses(db.url);
    expect(runs.every((x) => x.status === 'failed'), `${at}: journal ${JSON.stringify(runs)}`).toBe(true);
    expect(await backupTables(db.url), `${at}: no half-written backup`).toEqual([]);
    const again = await applyApi(db.url, m.plan, m.snapshots);
    expect(again.status, `${at}: a new apply: ${again.error}`).toBe('committed');
    expect(await dbState(db.url), `${at}: the new apply ends where a clean run ends`).toEqual(m.applied);
    return { point, fault, resumed: false };
  }

  const runs = await journalStatuses(db.url);
  if (runs.length === 0) {
    // Stopped before the run was journaled: nothing changed, and a new apply goes through.
    if (fault !== 'sigkill') expectOneLineError(r, 1, / — nothing was changed$/);
    expect(await dbState(db.url), `${at}: nothing changed`).toEqual(m.pristine);
    const again = await applyApi(db.url, m.plan, m.snapshots);
    expect(again.status, `${at}: a new apply: ${again.error}`).toBe('committed');
    expect(await dbState(db.url)).toEqual(m.applied);
    return { point, fault, resumed: false };
  }
  expect(runs.map((x) => x.id)).toEqual([1]);
  // The process that failed may not have been able to mark it: running or interrupted, never committed.
  expect(['running', 'interrupted'], `${at}: run status`).toContain(runs[0]!.status);
  if (fault !== 'sigkill') expectOneLineError(r, 1, / — the steps before it are committed; resume with: pgmend apply --resume 1$/);
  if (fault === 'sigkill') await new Promise((done) => setTimeout(done, KILLED_LEASE_MS + 500));
  const resumed = await runCli(['apply', '--db', db.url, '--resume', '1', '--window', openWindow(), '--yes', '--snapshots', m.snapshots], { env: lease });
  expect(resumed.code, `${at}: --resume: ${resumed.stderr}`).toBe(0);
  // Per-finding lines (what each changed) come first, then the total.
  expect(resumed.stdout).toMatch(/^applied 3 finding\(s\), \d+ row\(s\) changed and backed up — journal run 1$/m);
  expect(await halfDone(db.url), `${at}: nothing half-done`).toEqual({ invalidIndexes: [], unvalidated: [] });
  expect((await journalStatuses(db.url)).map((x) => x.status)).toEqual(['committed']);
  expect(await dbState(db.url), `${at}: resumed = uninterrupted end state`).toEqual(m.applied);
  return { point, fault, resumed: true };
}

export function summarize(m: Matrix, outcomes: Outcome[]): string[] {
  const faults = [...new Set(outcomes.map((o) => o.fault))];
  const cell = (p: string, f: Fault) => {
    const o = outcomes.find((x) => x.point === p && x.fault === f);
    return !o ? 'not run' : o.resumed ? 'intact (resumed)' : 'intact';
  };
  return [
    `| point | what has just happened | ${faults.join(' | ')} |`,
    `|---|---|${faults.map(() => '---').join('|')}|`,
    ...m.points.map((p) => `| ${p} | ${m.labels.get(p)!.replace(/\|/g, '\\|')} | ${faults.map((f) => cell(p, f)).join(' | ')} |`),
  ];
}
