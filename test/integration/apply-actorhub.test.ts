import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDb } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { runCli, ROOT } from '../support/cli.js';
import { workDir, openWindow, cliPlan, cliJournal, previewedRows, halfDone, runSteps, planFor } from '../support/apply-helpers.js';
import type { Mode } from '../../src/engine/plan/plan-model.js';
import YAML from 'yaml';

/**
 * The ActorHub demo end to end, both modes: every resolved finding applied at once through the CLI,
 * the known truth (examples/actorhub/expected.json) met, nothing left to do afterwards, and
 * `rollback` restoring the exact checksums.
 */

const DIR = path.join(ROOT, 'examples/actorhub');
const RESOLVED = path.join(DIR, 'findings-resolved.yaml');

interface Expected {
  findings: Record<string, { playbook: string; status: string; resolvedRows?: number; checks: Record<string, { rows: number }> }>;
}

let expected: Expected;
let work: Awaited<ReturnType<typeof workDir>>;

beforeAll(async () => {
  expected = JSON.parse(await readFile(path.join(DIR, 'expected.json'), 'utf8')) as Expected;
  work = await workDir();
});

afterAll(async () => {
  await work?.remove();
});

/** Rows each finding's DELETE / UPDATE steps changed in a run, from the journal's steps. */
async function rowsByFinding(url: string, runId: number): Promise<Record<string, number>> {
  const { steps } = await runSteps(url, runId);
  const out: Record<string, number> = {};
  for (const s of steps) if (/^\s*(DELETE|UPDATE)\b/i.test(s.sql)) out[s.finding_id] = (out[s.finding_id] ?? 0) + s.rows;
  return out;
}

describe('the ActorHub demo', () => {
  it.each(['window', 'online'] as const)('%s mode: all findings applied at once (167 rows), nothing left to do, rollback restores the exact checksums', async (mode: Mode) => {
    const db = await createTestDb('tpl_actorhub');
    try {
      const before = await dbState(db.url);
      const r = await runCli(['apply', '--db', db.url, '--findings', RESOLVED, '--mode', mode, '--window', openWindow(), '--yes', '--snapshots', path.join(work.dir, 'snapshots')]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/applied 7[56] finding\(s\), 167 row\(s\) changed and backed up — journal run 1/);

      // Every finding is in place now: planning again finds nothing to do.
      const findings = (YAML.parse(await readFile(RESOLVED, 'utf8')) as { findings: unknown[] }).findings;
      const again = await planFor(db.url, findings, mode);
      const open = again.findings.filter((f) => f.status !== 'applied').map((f) => `${f.id}: ${f.status} ${f.checks.filter((c) => c.blocking && c.rows > 0).map((c) => `${c.rows} ${c.id}`).join(', ')}`);
      expect(open).toEqual([]);
      for (const f of again.findings) for (const c of f.checks.filter((x) => x.blocking)) expect(c.rows, `${f.id} ${c.id}`).toBe(0);
      expect(await halfDone(db.url)).toEqual({ invalidIndexes: [], unvalidated: [] });

      const [run] = await cliJournal(db.url);
      expect(run).toMatchObject({ id: 1, status: 'committed', mode, rowsChanged: 167 });
      const { backups } = await runSteps(db.url, 1);
      expect(backups.reduce((a, b) => a + b.rows, 0)).toBe(167);

      const rb = await runCli(['rollback', '--db', db.url, '--run', '1', '--yes']);
      expect(rb.code, rb.stderr).toBe(0);
      expect(rb.stdout).toMatch(/, 167 row\(s\) restored\n$/);
      expect(await dbState(db.url)).toEqual(before);
    } finally {
      await db.drop();
    }
  }, 120_000);

  it.each(['window', 'online'] as const)('%s mode: the rows each finding changes are the rows the plan previewed for applying them all together', async (mode: Mode) => {
    const db = await createTestDb('tpl_actorhub');
    try {
      const { file, plan } = await cliPlan(db.url, RESOLVED, mode, work.dir);
      const r = await runCli(['apply', '--db', db.url, '--plan', file, '--window', openWindow(), '--yes', '--snapshots', path.join(work.dir, 'snapshots')]);
      expect(r.code, r.stderr).toBe(0);
      const changed = await rowsByFinding(db.url, 1);
      const mismatches = plan.findings
        .filter((f) => f.status === 'ready' || f.status === 'resolved')
        .map((f) => ({ id: f.id, previewed: previewedRows(f, true), changed: changed[f.id] ?? 0 }))
        .filter((x) => x.previewed !== x.changed);
      expect(mismatches).toEqual([]);
      // Applied alone, each finding's preview is the demo's known truth (the together-counts differ only
      // where findings overlap: AH-SM-0x after AH-AV-0x fixed the same rows, AH-CNT-03 after AH-CHK-02).
      for (const f of plan.findings) {
        const e = expected.findings[f.id]!;
        const truth = e.resolvedRows ?? (e.playbook === 'counter' ? e.checks.drift!.rows : 0);
        if (f.status === 'ready' || f.status === 'resolved') expect(previewedRows(f), f.id).toBe(truth);
      }
    } finally {
      await db.drop();
    }
  }, 120_000);

  it('online mode: AH-UQ-06 is already enforced by an equivalent unique constraint, as in window mode — no second index is built', async () => {
    const db = await createTestDb('tpl_actorhub');
    try {
      const findings = (YAML.parse(await readFile(RESOLVED, 'utf8')) as { findings: { id: string }[] }).findings.filter((f) => f.id === 'AH-UQ-06');
      for (const mode of ['window', 'online'] as const) {
        const plan = await planFor(db.url, findings, mode);
        expect(plan.findings[0]!.status, `${mode} mode`).toBe(expected.findings['AH-UQ-06']!.status);
      }
    } finally {
      await db.drop();
    }
  });
});
