import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { adminUrl, queryOnce, urlFor } from '../support/db.js';
import { dbState, type DbState } from '../support/checksum.js';
import { applyApi } from '../support/apply-helpers.js';
import { expectedOf } from './system-harness.js';
import { loadExample, EXAMPLES_DIR } from '../../src/demo/examples.js';
import { buildPlan, PLAN_DEFAULTS } from '../../src/engine/plan/plan.js';
import { rollbackRun } from '../../src/engine/rollback/rollback.js';
import { resolveTarget } from '../../src/db/connection.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { loadFindingsFile } from '../../src/findings/load.js';
import type { Finding } from '../../src/findings/model.js';
import type { Mode, Plan } from '../../src/engine/plan/plan-model.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * The identifier-styles example (examples/mixedcase): Prisma's PascalCase tables and camelCase
 * columns, a mixed-case schema, reserved words, a space, a double quote, a dot, non-ASCII letters,
 * one table name in two schemas, a search_path without public, a partitioned and an inherited
 * table. Every playbook, in window and in online mode, on a fresh clone: plan → apply → verify →
 * rollback, and after rollback every table's rows (md5) and the schema are exactly as before.
 * Each finding names its objects the ways people write them (see findings.yaml).
 */

const NAME = 'mixedcase';
const expected = expectedOf(NAME) as ReturnType<typeof expectedOf> & { findings: Record<string, { match?: string }> };
const q = (id: string) => `"${id.replaceAll('"', '""')}"`;

let template: string;
let snapshots: string;
let findings: Finding[];
let resolved: Finding[];

/** A clone of the loaded example; CREATE DATABASE … TEMPLATE does not copy ALTER DATABASE settings, so the search_path is set again. */
async function clone(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `mc_${randomBytes(4).toString('hex')}`;
  await queryOnce(adminUrl(), `CREATE DATABASE ${name} TEMPLATE ${template}`);
  await queryOnce(adminUrl(), `ALTER DATABASE ${name} SET search_path = app, "Billing"`);
  return { url: urlFor(name), drop: () => queryOnce(adminUrl(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => {}) };
}

async function plan(url: string, chosen: Finding[], mode: Mode): Promise<Plan> {
  return buildPlan({ target: resolveTarget(url), findings: chosen, playbooks: await loadPlaybooks(), mode, rehearse: true, ...PLAN_DEFAULTS });
}

beforeAll(async () => {
  const playbooks = await loadPlaybooks();
  findings = await loadFindingsFile(path.join(EXAMPLES_DIR, NAME, 'findings.yaml'), playbooks);
  resolved = await loadFindingsFile(path.join(EXAMPLES_DIR, NAME, 'findings-resolved.yaml'), playbooks);
  snapshots = await mkdtemp(path.join(os.tmpdir(), 'pgmend-system-mixedcase-'));
  template = `tpl_mc_${randomBytes(4).toString('hex')}`;
  // The demo's own loader, as `pgmend demo --example mixedcase` runs it.
  await loadExample(adminUrl(), template, NAME);
}, 120_000);

afterAll(async () => {
  if (snapshots) await rm(snapshots, { recursive: true, force: true });
  if (template) await queryOnce(adminUrl(), `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
});

describe('system mixedcase: names as PostgreSQL spells them', () => {
  it('loads with the rows expected.json lists, and the search_path leaves out public', async () => {
    const db = await clone();
    try {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        expect((await c.query(`SELECT current_schemas(false)::text[] AS s`)).rows[0].s).toEqual(['app', 'Billing']);
        const counts: Record<string, number> = {};
        for (const t of Object.keys(expected.tables!)) {
          const dot = t.indexOf('.');
          counts[t] = Number((await c.query(`SELECT count(*) AS n FROM ${q(t.slice(0, dot))}.${q(t.slice(dot + 1))}`)).rows[0].n);
        }
        expect(counts).toEqual(expected.tables);
      } finally {
        await c.end();
      }
    } finally {
      await db.drop();
    }
  });

  it('plans every finding with the counts of expected.json, whatever the spelling', async () => {
    const db = await clone();
    try {
      const p = await plan(db.url, findings, 'window');
      const got = Object.fromEntries(
        p.findings.map((f) => [
          f.id,
          {
            status: f.status,
            error: f.error,
            checks: Object.fromEntries(
              f.checks.filter((c) => c.id !== 'cascade').map((c) => [c.id, { rows: c.rows, ...(c.groups !== undefined ? { groups: c.groups } : {}), ...(c.values ? { values: Object.fromEntries(c.values.map((v) => [String(v.value), v.rows])) } : {}) }]),
            ),
          },
        ]),
      );
      const want = Object.fromEntries(Object.entries(expected.findings).map(([id, e]) => [id, { status: e.status, error: undefined, checks: e.checks }]));
      expect(got).toEqual(want);
      // Display and SQL never mix: the plan labels tables as stored, its SQL quotes them.
      const chk = p.findings.find((f) => f.id === 'MC-CHK-03')!;
      expect(chk.table).toBe('app.Quote"d');
      expect(flatSteps(chk.steps).map((s) => s.sql).join('\n')).toContain('ALTER TABLE app."Quote""d" ADD CONSTRAINT "Quote""d_n_check" CHECK (n >= 0)');
    } finally {
      await db.drop();
    }
  });

  const playbooks = [...new Set(Object.values(expected.findings).map((f) => f.playbook))];
  const cases: { mode: Mode; label: string; ids: string[] }[] = [];
  for (const mode of ['window', 'online'] as const) {
    for (const pb of playbooks) cases.push({ mode, label: pb, ids: Object.entries(expected.findings).filter(([, f]) => f.playbook === pb).map(([id]) => id) });
    cases.push({ mode, label: 'every finding in one run', ids: Object.keys(expected.findings) });
  }

  it.each(cases)('$mode · $label: plan → apply → verify → rollback restores rows and schema exactly', async ({ mode, ids }) => {
    const db = await clone();
    try {
      const chosen = resolved.filter((f) => ids.includes(f.id));
      const before: DbState = await dbState(db.url);
      const p = await plan(db.url, chosen, mode);
      // (Findings come in apply order: compared by id.)
      expect(Object.fromEntries(p.findings.map((f) => [f.id, [f.status, f.error ?? null]]))).toEqual(
        Object.fromEntries(chosen.map((f) => [f.id, [expected.findings[f.id]!.resolvedStatus ?? expected.findings[f.id]!.status, null]])),
      );
      expect(await dbState(db.url), 'a dry run changes nothing').toEqual(before);

      const result = await applyApi(db.url, p, snapshots);
      expect({ status: result.status, error: result.error }).toEqual({ status: 'committed', error: undefined });
      const rowsWanted = chosen.reduce((sum, f) => {
        const e = expected.findings[f.id]!;
        return sum + (e.resolvedRows ?? (e.playbook === 'counter' ? e.checks.drift!.rows : 0));
      }, 0);
      expect(result.rowsChanged).toBe(rowsWanted);

      // The journal says how rollback matches each backed-up table's rows.
      const backups = await queryOnce<{ finding_id: string; kind: string }>(db.url, `SELECT DISTINCT finding_id, match->>'kind' AS kind FROM pgmend.backups WHERE run_id = $1 ORDER BY 1`, [result.runId]);
      expect(Object.fromEntries(backups.map((b) => [b.finding_id, b.kind]))).toEqual(
        Object.fromEntries(chosen.flatMap((f) => (expected.findings[f.id]!.match ? [[f.id, expected.findings[f.id]!.match]] : []))),
      );

      // Verify: a new plan finds every finding in place (a `sql` finding by the journal's record of its SQL).
      const again = await plan(db.url, findings.filter((f) => ids.includes(f.id)), 'window');
      expect(Object.fromEntries(again.findings.map((f) => [f.id, f.status]))).toEqual(Object.fromEntries(chosen.map((f) => [f.id, 'applied'])));

      const rb = await rollbackRun(resolveTarget(db.url), result.runId!);
      expect(rb.rowsRestored).toBe(result.rowsChanged);
      const after = await dbState(db.url);
      expect(after.rows).toEqual(before.rows);
      expect(after.schema).toBe(before.schema);
    } finally {
      await db.drop();
    }
  });
});
