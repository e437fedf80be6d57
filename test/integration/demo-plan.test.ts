import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CascadeNode, CheckResult, FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';
import { flatSteps } from '../../src/engine/plan/steps.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { ACTORHUB, planOf } from '../support/plan-engine.js';

/**
 * The plan engine against the ActorHub demo: every finding's status and every check's counts equal
 * the injected truth in examples/actorhub/expected.json (measured there with plain SQL), for all 76
 * findings; the cascade tree and the samples are checked against plain SQL here.
 */

interface ExpectedCheck {
  rows: number;
  groups?: number;
  values?: Record<string, number>;
}
interface ExpectedFinding {
  playbook: string;
  status: FindingPlan['status'];
  checks: Record<string, ExpectedCheck>;
  resolvedStatus?: FindingPlan['status'];
  resolvedRows?: number;
}

const EXPECTED = JSON.parse(readFileSync(path.join(ACTORHUB, 'expected.json'), 'utf8')) as { findings: Record<string, ExpectedFinding> };
const EXPECTED_IDS = Object.keys(EXPECTED.findings);

let db: TestDb;
let plan: Plan;
let resolved: Plan;

beforeAll(async () => {
  db = await createTestDb('tpl_actorhub');
  plan = await planOf(db.url, { file: path.join(ACTORHUB, 'findings.yaml') });
  resolved = await planOf(db.url, { file: path.join(ACTORHUB, 'findings-resolved.yaml') });
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

function byId(p: Plan, id: string): FindingPlan {
  const f = p.findings.find((x) => x.id === id);
  if (!f) throw new Error(`plan has no finding ${id}`);
  return f;
}

function check(f: FindingPlan, id: string): CheckResult {
  const c = f.checks.find((x) => x.id === id);
  if (!c) throw new Error(`${f.id} has no check ${id}`);
  return c;
}

function statusCounts(p: Plan): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of p.findings) out[f.status] = (out[f.status] ?? 0) + 1;
  return out;
}

describe('plan of findings.yaml (no resolutions)', () => {
  it('has exactly the 76 findings of expected.json', () => {
    expect(EXPECTED_IDS).toHaveLength(76);
    expect(plan.findings.map((f) => f.id).sort()).toEqual([...EXPECTED_IDS].sort());
  });

  it('summary: 35 blocked, 40 ready, 1 applied', () => {
    expect(statusCounts(plan)).toEqual({ blocked: 35, ready: 40, applied: 1 });
  });

  it.each(EXPECTED_IDS)('%s: status, counts and offending values equal expected.json', (id) => {
    const want = EXPECTED.findings[id]!;
    const got = byId(plan, id);
    expect(got.error).toBeUndefined();
    expect(got.playbook).toBe(want.playbook);
    expect(got.status).toBe(want.status);
    // The same checks (the foreign-key cascade report is extra, and has no counterpart there).
    expect(got.checks.map((c) => c.id).filter((c) => c !== 'cascade').sort()).toEqual(Object.keys(want.checks).sort());
    if (want.playbook === 'foreign-key') expect(check(got, 'cascade').blocking).toBe(false);
    for (const [cid, w] of Object.entries(want.checks)) {
      const c = check(got, cid);
      expect(c.rows, `${id} ${cid} rows`).toBe(w.rows);
      if (w.groups !== undefined) expect(c.groups, `${id} ${cid} groups`).toBe(w.groups);
      if (w.values) {
        const values = Object.fromEntries((c.values ?? []).map((v) => [String(v.value), v.rows]));
        expect(values, `${id} ${cid} values`).toEqual(w.values);
      } else if (c.rows > 0) {
        expect(c.values ?? [], `${id} ${cid}: no value breakdown expected`).toEqual([]);
      }
    }
  });

  it('blocked findings carry no resolution steps and are not rehearsed; ready ones rehearse clean', () => {
    for (const f of plan.findings) {
      if (f.status === 'blocked') {
        expect(f.steps.filter((s) => s.phase === 'resolution'), f.id).toEqual([]);
        expect(f.rehearsal, f.id).toBeUndefined();
      }
      if (f.status === 'ready') {
        expect(f.steps.length, f.id).toBeGreaterThan(0);
        expect(f.rehearsal?.ok, `${f.id}: ${f.rehearsal?.error}`).toBe(true);
        // A DO block is opaque code: on tables a superuser owns, a dry run holds it back until approved.
        if (f.id === 'AH-SQL-03') expect(f.rehearsal!.held).toMatch(/^not rehearsed: opaque code \(statement 1 is a DO block\).*approve to rehearse$/);
        else expect(f.rehearsal!.rowCounts, f.id).toHaveLength(flatSteps(f.steps).length);
      }
    }
  });

  it('the plan is an immutable value once emitted: in tests a mutation throws', () => {
    const f = plan.findings.find((x) => x.status === 'resolved' || x.status === 'ready')!;
    expect(() => Object.assign(f, { status: 'error' })).toThrow(TypeError);
    expect(() => (plan.findings as FindingPlan[]).push(f)).toThrow(TypeError);
    expect(() => Object.assign(flatSteps(f.steps)[0]!, { sql: 'DROP TABLE x' })).toThrow(TypeError);
    expect(f.status).not.toBe('error');
  });

  it('AH-UQ-06 is applied because actor_packs_identity_id_key already enforces it', () => {
    const f = byId(plan, 'AH-UQ-06');
    expect(f.status).toBe('applied');
    expect(f.appliedReason).toMatch(/equivalent|already/);
  });

  it('counters repair exactly their drifting rows (backed up) in the rehearsal', () => {
    for (const id of EXPECTED_IDS.filter((i) => EXPECTED.findings[i]!.playbook === 'counter')) {
      const f = byId(plan, id);
      const drift = EXPECTED.findings[id]!.checks.drift!.rows;
      const steps = flatSteps(f.steps);
      const update = steps.findIndex((s) => /^UPDATE /.test(s.sql));
      const backup = steps.findIndex((s) => s.backupTable !== undefined);
      expect(backup, id).toBeGreaterThanOrEqual(0);
      expect(update, id).toBeGreaterThan(backup);
      expect(f.rehearsal!.rowCounts[backup], `${id} backed-up rows`).toBe(drift);
      expect(f.rehearsal!.rowCounts[update], `${id} repaired rows`).toBe(drift);
    }
  });
});

describe('cascade blast radius', () => {
  /** Rows reached per deleted user along a path of [child table, child column, parent column] hops, by plain SQL. */
  async function reach(hops: [string, string, string][]): Promise<{ total: number; maxPerParent: number }> {
    let from = `${hops[0]![0]} t0`;
    for (let i = 1; i < hops.length; i++) from += ` JOIN ${hops[i]![0]} t${i} ON t${i}.${hops[i]![1]} = t${i - 1}.${hops[i]![2]}`;
    const last = `t${hops.length - 1}`;
    const { rows } = await db.query<{ total: string; max: string }>(
      `SELECT coalesce(sum(n), 0) AS total, coalesce(max(n), 0) AS max FROM (
         SELECT count(${last}.*) AS n FROM ${from} WHERE t0.${hops[0]![1]} IS NOT NULL GROUP BY t0.${hops[0]![1]}) s`,
    );
    return { total: Number(rows[0]!.total), maxPerParent: Number(rows[0]!.max) };
  }

  it('AH-FK-01 (identities.user_id → users, CASCADE): every node of the tree equals plain SQL counts', async () => {
    const f = byId(plan, 'AH-FK-01');
    const tree = check(f, 'cascade').cascade!;
    // Every FK into users, from the catalog: the tree's first level must be exactly these.
    const { rows: fks } = await db.query<{ child: string; col: string; name: string }>(
      `SELECT c.conrelid::regclass::text AS child, a.attname AS col, c.conname AS name
       FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       WHERE c.contype = 'f' AND c.confrelid = 'public.users'::regclass ORDER BY 1, 2`,
    );
    const top = tree.map((n) => `${n.table.replace(/^public\./, '')}.${n.via.replace(/^.* \((.*)\)$/, '$1')}`).sort();
    expect(top).toEqual(fks.map((r) => `${r.child}.${r.col}`).sort());

    const identities = tree.find((n) => n.table === 'public.identities')!;
    expect(identities.action).toBe('cascade');
    expect(identities.via).toMatch(/this change/);
    // Existing NO ACTION keys elsewhere are reported as such and end their branch.
    for (const n of tree.filter((x) => x !== identities)) {
      expect(n.action, n.table).toBe('no-action');
      expect(n.children, n.table).toEqual([]);
    }
    for (const n of tree) {
      const col = n.via.replace(/^.* \((.*)\)$/, '$1');
      expect({ total: n.total, maxPerParent: n.maxPerParent }, n.table).toEqual(await reach([[n.table, col, 'id']]));
    }
    // Second level: everything that references identities, reached per user through identities.
    const { rows: intoIdentities } = await db.query<{ child: string; col: string }>(
      `SELECT c.conrelid::regclass::text AS child, a.attname AS col
       FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       WHERE c.contype = 'f' AND c.confrelid = 'public.identities'::regclass`,
    );
    expect(identities.children.map((n: CascadeNode) => n.table.replace(/^public\./, '')).sort()).toEqual(intoIdentities.map((r) => r.child).sort());
    expect(identities.children.length).toBeGreaterThan(0);
    for (const n of identities.children) {
      const col = n.via.replace(/^.* \((.*)\)$/, '$1');
      const want = await reach([
        ['public.identities', 'user_id', 'id'],
        [n.table, col, 'id'],
      ]);
      expect({ total: n.total, maxPerParent: n.maxPerParent }, n.table).toEqual(want);
      expect(n.total, n.table).toBeGreaterThan(0);
    }
    // Sanity of the SQL itself: usage_logs reached through identities of users.
    const { rows } = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM usage_logs u JOIN identities i ON i.id = u.identity_id WHERE i.user_id IS NOT NULL',
    );
    expect(identities.children.find((n) => n.table === 'public.usage_logs')!.total).toBe(Number(rows[0]!.n));
  });
});

describe('samples', () => {
  it('are bounded to 5 rows (5 whole groups for duplicates), primary key first', () => {
    let sampled = 0;
    for (const f of plan.findings) {
      for (const c of f.checks) {
        if (c.id === 'cascade') continue;
        if (c.rows === 0) {
          expect(c.sample, `${f.id} ${c.id}`).toEqual([]);
          continue;
        }
        sampled++;
        for (const row of c.sample) expect(Object.keys(row)[0], `${f.id} ${c.id}: primary key first`).toBe('id');
        if (c.id === 'duplicates') {
          const groups = new Set(c.sample.map((r) => r.pgmend_group));
          expect(groups.size, `${f.id} groups in sample`).toBe(Math.min(5, c.groups!));
        } else {
          expect(c.sample, `${f.id} ${c.id}`).toHaveLength(Math.min(5, c.rows));
        }
      }
    }
    expect(sampled).toBeGreaterThan(30);
  });

  it('sampled rows are the offending rows', () => {
    const av = check(byId(plan, 'AH-AV-01'), 'violations');
    for (const r of av.sample) expect(['ACTIVE', 'verified', 'VERIFIED ', 'DELETED']).toContain(r.status);
    const chk = check(byId(plan, 'AH-CHK-01'), 'violations');
    for (const r of chk.sample) expect(Number(r.price_usd)).toBeLessThanOrEqual(0);
  });

  it('a duplicates sample of N groups holds each of those groups whole', async () => {
    const small = await planOf(db.url, { file: path.join(ACTORHUB, 'findings.yaml') }, { sampleSize: 2, rehearse: false });
    const c = check(byId(small, 'AH-UQ-02'), 'duplicates');
    expect(c.groups).toBe(4);
    const groups = new Map<unknown, { identity_id: string; n: number }>();
    for (const r of c.sample) {
      const g = groups.get(r.pgmend_group) ?? { identity_id: r.identity_id as string, n: 0 };
      expect(r.identity_id).toBe(g.identity_id);
      expect(r.is_active).toBe(true);
      g.n++;
      groups.set(r.pgmend_group, g);
    }
    expect(groups.size).toBe(2);
    for (const g of groups.values()) {
      const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM listings WHERE identity_id = $1 AND is_active = true', [g.identity_id]);
      expect(g.n).toBe(Number(rows[0]!.n));
      expect(g.n).toBeGreaterThan(1);
    }
    // Other checks obey the smaller bound too.
    expect(check(byId(small, 'AH-AV-01'), 'violations').sample).toHaveLength(2);
  });
});

describe('plan of findings-resolved.yaml', () => {
  const RESOLVED_IDS = EXPECTED_IDS.filter((id) => EXPECTED.findings[id]!.resolvedStatus !== undefined);

  it('summary: 35 resolved, 40 ready, 1 applied', () => {
    expect(RESOLVED_IDS).toHaveLength(35);
    expect(statusCounts(resolved)).toEqual({ resolved: 35, ready: 40, applied: 1 });
    for (const id of EXPECTED_IDS.filter((i) => !RESOLVED_IDS.includes(i))) expect(byId(resolved, id).status, id).toBe(EXPECTED.findings[id]!.status);
  });

  it.each(RESOLVED_IDS)('%s: resolved, rehearsal ok, its resolution changes exactly resolvedRows', (id) => {
    const want = EXPECTED.findings[id]!;
    const f = byId(resolved, id);
    expect(f.status).toBe(want.resolvedStatus);
    expect(f.resolution).toBeDefined();
    const steps = flatSteps(f.steps);
    const resolution = steps.filter((s) => s.phase === 'resolution');
    expect(resolution.length).toBeGreaterThan(0);
    // Resolutions run before the fix.
    const lastResolution = steps.findLastIndex((s) => s.phase === 'resolution');
    expect(steps.slice(0, lastResolution + 1).every((s) => s.phase === 'resolution')).toBe(true);
    expect(f.rehearsal?.ok, f.rehearsal?.error).toBe(true);
    expect(f.rehearsal!.rowCounts).toHaveLength(steps.length);

    const verb = f.resolution!.strategy === 'delete' ? 'DELETE' : 'UPDATE';
    const change = steps.findIndex((s) => s.phase === 'resolution' && s.sql.startsWith(`${verb} `));
    const backup = steps.findIndex((s) => s.phase === 'resolution' && s.backupTable !== undefined);
    expect(change, `${id}: a ${verb} step`).toBeGreaterThan(backup);
    expect(backup).toBeGreaterThanOrEqual(0);
    expect(steps[backup]!.backupTable).toMatch(/^pgmend\./);
    expect(f.rehearsal!.rowCounts[backup], `${id} rows backed up`).toBe(want.resolvedRows);
    expect(f.rehearsal!.rowCounts[change], `${id} rows ${verb === 'DELETE' ? 'deleted' : 'updated'}`).toBe(want.resolvedRows);
  });
});
