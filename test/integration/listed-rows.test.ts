import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildPlan, PLAN_DEFAULTS, type PlanEvent } from '../../src/engine/plan/plan.js';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';
import { resolveTarget } from '../../src/db/connection.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { parseFindingsText } from '../../src/findings/load.js';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { planToJson } from '../../src/export/plan-json.js';
import { parsePlanJson } from '../../src/export/plan-json-parse.js';
import { LISTED_ROWS_MAX } from '../../src/engine/plan/listed-rows.js';
import { flatSteps } from '../../src/engine/plan/steps.js';
import { ownServer, psqlNow, type OwnServer } from '../support/own-server.js';

/**
 * Window rehearsal backs up a counter repair's rows from the list the prechecks made of them
 * (listed-rows.ts) only where that list is the rows the statement would find: complete, and
 * nothing committed since. The traps make the list wrong — a row that drifts after the count, more
 * rows than are listed — so rehearsing over it would give the wrong row count.
 *
 * A server of its own: "nothing committed since" is server-wide, and the other test files commit.
 */

let srv: OwnServer;

beforeAll(async () => {
  srv = await ownServer('t_listed');
}, 120_000);

afterAll(async () => {
  await srv?.close();
});

const database = (sql: string) => srv.database(sql);

async function plan(url: string, onProgress?: (e: PlanEvent) => void, mode: 'window' | 'online' = 'window'): Promise<Plan> {
  const playbooks = await loadPlaybooks();
  return buildPlan({
    target: resolveTarget(url),
    findings: parseFindingsText(YAML.stringify({ findings: [FINDING] }), 'findings.yaml', playbooks),
    playbooks,
    mode,
    rehearse: true,
    ...PLAN_DEFAULTS,
    ...(onProgress ? { onProgress } : {}),
  });
}

/** Mixed-case names, another schema: a counter of each team's members, wrong on `drift` teams. */
const schema = (teams: number, drift: number) => `
  CREATE SCHEMA "Org";
  CREATE TABLE "Org"."Team" (id int PRIMARY KEY, "memberCount" int NOT NULL DEFAULT 0);
  CREATE TABLE "Org"."Member" (id int PRIMARY KEY, "teamId" int REFERENCES "Org"."Team");
  INSERT INTO "Org"."Team" (id) SELECT generate_series(1, ${teams});
  INSERT INTO "Org"."Member" SELECT g, 1 + g % ${teams} FROM generate_series(1, ${teams * 3}) g;
  UPDATE "Org"."Team" t SET "memberCount" = (SELECT count(*) FROM "Org"."Member" m WHERE m."teamId" = t.id) + CASE WHEN t.id <= ${drift} THEN 1 ELSE 0 END;
  ANALYZE;`;

const FINDING = {
  id: 'CNT',
  title: 'Org.Team.memberCount drifts',
  severity: 'medium',
  playbook: 'counter',
  params: { table: 'Org.Team', column: 'memberCount', expression: '(SELECT count(*) FROM "Org"."Member" m WHERE m."teamId" = "Team".id)' },
};

const cnt = (p: Plan): FindingPlan => p.findings.find((f) => f.id === 'CNT')!;
/** The flat index of the row change's backup statement (after the backup schema and table). */
const BACKUP = 2;

describe('window rehearsal backs up the rows the prechecks listed', () => {
  it('a counter repair: its backup runs over the listed rows, changes as many as the statement would, and its rollback restores them', async () => {
    const url = await database(schema(40, 7));
    const p = await plan(url);
    const r = cnt(p).rehearsal!;
    expect(r.ok, r.error).toBe(true);
    expect(cnt(p).checks.find((c) => c.id === 'drift')!.rows).toBe(7);

    expect(r.answered).toEqual([{ step: BACKUP, check: 'drift', rows: 7, form: 'listed-rows' }]);
    expect(r.inFull).toBeUndefined();
    expect(r.rowCounts.slice(BACKUP)).toEqual([7, 7]);
    expect(r.rollback).toMatchObject({ ok: true });
    // The locks are the planned statement's: it is planned first, so the child it counts is locked too.
    expect(flatSteps(cnt(p).steps)[BACKUP]!.observed).toEqual({ 'Org.Team': 'ROW SHARE', 'Org.Member': 'ACCESS SHARE' });
    // The rehearsal form is never the plan's statement.
    expect(cnt(p).steps.some((s) => 'backup' in s && s.backup.sql.includes('unnest'))).toBe(false);
    const md = planToChecklist(p);
    expect(md).toMatch(/rehearsed over the listed rows \d+(\.\d+)? (ms|s), 7 rows: rows found by the prechecks: the 7 drift rows they listed in the plan's snapshot, no transaction committed since/);
    expect(cnt(parsePlanJson(planToJson(p))).rehearsal!.answered).toEqual(r.answered);
  }, 120_000);

  it('online mode plans the repair from the count, as before: nothing listed', async () => {
    const url = await database(schema(40, 7));
    const r = cnt(await plan(url, undefined, 'online')).rehearsal!;
    expect(r.answered).toBeUndefined();
    expect(r.counted).toContain(BACKUP);
  }, 120_000);
});

describe('the statement finds its rows where the list may not be them', () => {
  it('a row that drifts after the count (committed before the rehearsal): found by the statement, which counts it', async () => {
    const url = await database(schema(40, 7));
    let injected = false;
    const p = await plan(url, (e) => {
      if (e.kind === 'phase' && e.phase === 'rehearsal' && !injected) {
        injected = true;
        psqlNow(url, `UPDATE "Org"."Team" SET "memberCount" = 0 WHERE id = 30`);
      }
    });
    expect(injected).toBe(true);
    const r = cnt(p).rehearsal!;
    expect(cnt(p).checks.find((c) => c.id === 'drift')!.rows).toBe(7);
    expect(r.answered).toBeUndefined();
    expect(r.inFull).toEqual([{ step: BACKUP, why: expect.stringMatching(/^transaction \d+ committed on the server since the count's snapshot/), rows: true }]);
    // Listed, the rehearsal would have said 7.
    expect(r.rowCounts.slice(BACKUP)).toEqual([8, 8]);
    expect(planToChecklist(p)).toMatch(/rows found by the statement: transaction \d+ committed on the server since the count's snapshot/);
  }, 120_000);

  it(`more drifted rows than the prechecks list (${LISTED_ROWS_MAX}): found by the statement`, async () => {
    const url = await database(schema(LISTED_ROWS_MAX + 20, LISTED_ROWS_MAX + 10));
    const r = cnt(await plan(url)).rehearsal!;
    expect(r.answered).toBeUndefined();
    expect(r.inFull).toEqual([{ step: BACKUP, why: expect.stringMatching(/^the prechecks did not list every drift row/), rows: true }]);
    expect(r.rowCounts.slice(BACKUP)).toEqual([LISTED_ROWS_MAX + 10, LISTED_ROWS_MAX + 10]);
  }, 120_000);
});
