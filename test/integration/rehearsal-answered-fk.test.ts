import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { buildPlan, PLAN_DEFAULTS, type PlanEvent } from '../../src/engine/plan/plan.js';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';
import { resolveTarget } from '../../src/db/connection.js';
import { BUILTIN_PLAYBOOKS, loadPlaybooks } from '../../src/playbooks/load.js';
import { parseFindingsText } from '../../src/findings/load.js';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { planToJson } from '../../src/export/plan-json.js';
import { parsePlanJson } from '../../src/export/plan-json-parse.js';
import { ownServer, psqlNow, query, type OwnServer } from '../support/own-server.js';

/**
 * Window rehearsal of an FK replacement whose orphan check the catalog answered with the very key
 * it replaces: rehearsed NOT VALID, and its rollback (re-adding that key, SET NOT NULL again)
 * without reading rows — only while the key still answers (read again right before the step,
 * triggers enabled), the new key is that key (same table, parent, columns) and no step writes
 * rows. Each trap below makes the full validation (or the rollback) fail, so answering there
 * would pass. A server of its own: "nothing committed since" is server-wide.
 */

let srv: OwnServer;
let major: number;

beforeAll(async () => {
  srv = await ownServer('t_answered_fk');
  major = srv.major;
}, 120_000);

afterAll(async () => {
  await srv?.close();
});

const database = (sql: string) => srv.database(sql);

async function plan(url: string, opts: { playbookDir?: string; onProgress?: (e: PlanEvent) => void } = {}): Promise<Plan> {
  const playbooks = await loadPlaybooks(opts.playbookDir);
  return buildPlan({
    target: resolveTarget(url),
    findings: parseFindingsText(YAML.stringify({ findings: [FK] }), 'findings.yaml', playbooks),
    playbooks,
    mode: 'window',
    rehearse: true,
    ...PLAN_DEFAULTS,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}

/** The built-in foreign-key playbook with `edit` applied to its YAML (a user directory replaces the built-in by name). */
async function withPlaybook<T>(edit: (yaml: string) => string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-fk-playbook-'));
  try {
    const yaml = await readFile(path.join(BUILTIN_PLAYBOOKS, 'foreign-key.yaml'), 'utf8');
    const edited = edit(yaml);
    expect(edited).not.toBe(yaml);
    await writeFile(path.join(dir, 'foreign-key.yaml'), edited);
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const FK = { id: 'FK', severity: 'high', title: 'answered fk', playbook: 'foreign-key', params: { table: 'child', columns: ['pid'], references: { table: 'parent', columns: ['id'] }, onDelete: 'set-null' } };

const SCHEMA = `
  CREATE TABLE parent (id int PRIMARY KEY);
  INSERT INTO parent SELECT generate_series(1, 10);
  CREATE TABLE parent2 (id int PRIMARY KEY);
  INSERT INTO parent2 SELECT generate_series(1, 5);
  CREATE TABLE child (id int PRIMARY KEY, pid int NOT NULL CONSTRAINT child_pid_fkey REFERENCES parent (id), v int);
  INSERT INTO child SELECT g, g % 10 + 1, g FROM generate_series(1, 200) g;`;

const fkOf = (p: Plan): FindingPlan => p.findings.find((f) => f.id === 'FK')!;
const ANSWERED_BY = { kind: 'foreign key', object: 'child_pid_fkey', table: 'public.child', columns: ['pid'] };

describe('an FK replacement answered by the key it replaces', () => {
  let url: string;
  let p: Plan;

  beforeAll(async () => {
    url = await database(SCHEMA);
    p = await plan(url);
  }, 120_000);

  it('the forward step is rehearsed NOT VALID, saying which key answered it; same locks; the diff shows the fix as apply leaves it', () => {
    const f = fkOf(p);
    expect(f.checks.find((c) => c.id === 'orphans')).toMatchObject({ rows: 0, answeredBy: ANSWERED_BY });
    expect(f.rehearsal!.ok, f.rehearsal!.error).toBe(true);
    expect(f.rehearsal!.answered).toEqual([{ step: 0, check: 'orphans', rows: 0, form: 'not-valid', answeredBy: expect.objectContaining(ANSWERED_BY) }]);
    expect(f.rehearsal!.inFull).toBeUndefined();
    expect(f.steps[0]!.observed).toEqual(f.steps[0]!.locks);
    expect(f.diff).toMatch(/\+ {4}CONSTRAINT child_pid_fkey FOREIGN KEY \(pid\) REFERENCES (public\.)?parent\(id\) ON DELETE SET NULL,?\n/);
    expect(f.diff).not.toMatch(/NOT VALID/);
  });

  it('the rollback re-adds the key NOT VALID and, on 18, SET NOT NULL as NOT NULL … NOT VALID; the state still compares exactly', () => {
    const rb = fkOf(p).rehearsal!.rollback!;
    expect(rb.ok, JSON.stringify(rb)).toBe(true);
    expect(rb.answered?.[0]).toEqual({ statement: 0, says: expect.stringMatching(/^re-adding child_pid_fkey rehearsed NOT VALID/) });
    if (major >= 18) {
      expect(rb.answered?.[1]).toEqual({ statement: 1, says: expect.stringMatching(/^SET NOT NULL on pid rehearsed as NOT NULL … NOT VALID/) });
      expect(rb.inFull).toBeUndefined();
    } else {
      expect(rb.answered).toHaveLength(1);
      expect(rb.inFull).toEqual([{ statement: 1, why: 'SET NOT NULL on pid reads every row: PostgreSQL before 18 has no NOT VALID not-null constraint' }]);
    }
  });

  it('checklist and plan JSON (round trip) say which key answered, and what the rollback did not read', () => {
    const md = planToChecklist(p);
    expect(md).toMatch(/rehearsed NOT VALID \d+(\.\d+)? (ms|s): validation answered from the catalog: foreign key child_pid_fkey on public\.child \([^)]*\) — the key this step replaces, read again right before it/);
    expect(md).toMatch(/restores exactly \(statement 1: re-adding child_pid_fkey rehearsed NOT VALID[^)]*apply's rollback reads every row/);
    const back = parsePlanJson(planToJson(p));
    expect(fkOf(back).rehearsal!.answered).toEqual(fkOf(p).rehearsal!.answered);
    expect(fkOf(back).rehearsal!.rollback).toEqual(fkOf(p).rehearsal!.rollback);
  });
});

describe('validated in full where the replaced key does not answer it', () => {
  it('its triggers disabled (and an orphan written) after the plan read it: read again, validated in full, which finds the orphan', async () => {
    const url = await database(SCHEMA);
    let injected = false;
    const p = await plan(url, {
      onProgress: (e) => {
        if (e.kind === 'phase' && e.phase === 'rehearsal' && !injected) {
          injected = true;
          psqlNow(url, 'ALTER TABLE child DISABLE TRIGGER ALL; INSERT INTO child VALUES (1000, 999, 1)');
        }
      },
    });
    expect(injected).toBe(true);
    const f = fkOf(p);
    expect(f.checks.find((c) => c.id === 'orphans')).toMatchObject({ rows: 0, answeredBy: ANSWERED_BY });
    expect(f.rehearsal!.answered).toBeUndefined();
    expect(f.rehearsal!.inFull).toEqual([{ step: 0, why: expect.stringMatching(/^foreign key child_pid_fkey on public\.child has 2 of its 4 triggers not enabled/) }]);
    expect(f.rehearsal!.ok).toBe(false);
    expect(f.rehearsal!.error).toMatch(/violates foreign key constraint "child_pid_fkey"/);
  }, 120_000);

  it('the new key references another parent: validated in full, which finds the rows that parent lacks', async () => {
    const url = await database(SCHEMA);
    const p = await withPlaybook((y) => y.replaceAll('REFERENCES {{references}} ({{referencesColumns}}) ON DELETE {{onDeleteSql}}{{keptClauses}}', 'REFERENCES parent2 (id) ON DELETE {{onDeleteSql}}{{keptClauses}}'), (dir) => plan(url, { playbookDir: dir }));
    const r = fkOf(p).rehearsal!;
    expect(r.answered).toBeUndefined();
    expect(r.inFull).toEqual([{ step: 0, why: 'child_pid_fkey references another table than child_pid_fkey did: child_pid_fkey answers only for itself' }]);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/violates foreign key constraint "child_pid_fkey"/);
  }, 120_000);

  it('the new key has other columns: validated in full, which finds their orphans', async () => {
    const url = await database(SCHEMA);
    const p = await withPlaybook((y) => y.replaceAll('ADD CONSTRAINT {{name}} FOREIGN KEY ({{columns}})', 'ADD CONSTRAINT {{name}} FOREIGN KEY (v)'), (dir) => plan(url, { playbookDir: dir }));
    const r = fkOf(p).rehearsal!;
    expect(r.answered).toBeUndefined();
    expect(r.inFull).toEqual([{ step: 0, why: 'child_pid_fkey has other columns than child_pid_fkey: child_pid_fkey answers only for itself' }]);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/violates foreign key constraint "child_pid_fkey"/);
  }, 120_000);

  it('an earlier step writes rows behind the key (its triggers off in the same transaction, no commit): validated in full, which finds them', async () => {
    const url = await database(SCHEMA);
    const behind = `    - description: write an orphan behind the key
      sql: "DO 'BEGIN ALTER TABLE child DISABLE TRIGGER ALL; UPDATE child SET pid = 999 WHERE id = 1; ALTER TABLE child ENABLE TRIGGER ALL; END'"
      lock: ACCESS EXCLUSIVE
      tables: [table]
`;
    const p = await withPlaybook((y) => y.replace('  window:\n', `  window:\n${behind}`), (dir) => plan(url, { playbookDir: dir }));
    const r = fkOf(p).rehearsal!;
    expect(r.answered, JSON.stringify(r)).toBeUndefined();
    expect(r.inFull, JSON.stringify(r)).toEqual([{ step: 1, why: 'an earlier step may have changed rows of public.child since the count' }]);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^step 2: .*violates foreign key constraint "child_pid_fkey"/);
  }, 120_000);

  it.each([
    ['a later step writes NULLs', 'write a NULL where NOT NULL was', 'UPDATE {{table}} SET pid = NULL WHERE id = 1', 'ROW EXCLUSIVE'],
    ['a later DDL step writes NULLs (ALTER … TYPE … USING NULL, no DML, no row-changing lock)', 'rewrite the column to NULLs', 'ALTER TABLE {{table}} ALTER COLUMN pid TYPE int USING NULL', 'ACCESS EXCLUSIVE'],
  ])('%s: the forward is answered, but the rollback runs SET NOT NULL in full, which fails on them', async (_, description, sql, lock) => {
    const url = await database(SCHEMA);
    const nulls = `    - description: ${description}
      sql: "${sql}"
      lock: ${lock}
      tables: [table]
  online:
`;
    const p = await withPlaybook((y) => y.replace('  online:\n', nulls), (dir) => plan(url, { playbookDir: dir }));
    const r = fkOf(p).rehearsal!;
    expect(r.ok, r.error).toBe(true);
    expect(r.answered).toEqual([expect.objectContaining({ step: 0, answeredBy: expect.objectContaining(ANSWERED_BY) })]);
    expect(r.rollback!.answered).toBeUndefined();
    expect(r.rollback!.ok).toBe(false);
    expect(r.rollback!.differs).toEqual([expect.stringMatching(/^the rollback failed: .*contains null values/)]);
  }, 120_000);

  it('a rollback statement writes NULLs before SET NOT NULL: that one runs in full, which fails on them', async () => {
    const url = await database(SCHEMA);
    const p = await withPlaybook(
      (y) => y.replace('  - when: "onDeleteIs.set-null && columnsDropNotNull"\n    sql: "ALTER TABLE {{table}} {{columnsSetNotNull}}"', '  - sql: "UPDATE {{table}} SET pid = NULL WHERE id = 1"\n$&'),
      (dir) => plan(url, { playbookDir: dir }),
    );
    const rb = fkOf(p).rehearsal!.rollback!;
    expect(rb.answered).toEqual([{ statement: 0, says: expect.stringMatching(/^re-adding child_pid_fkey rehearsed NOT VALID/) }]);
    expect(rb.ok).toBe(false);
    expect(rb.differs).toEqual([expect.stringMatching(/^the rollback failed: .*contains null values/)]);
  }, 120_000);

  it('PostgreSQL 18: NOT NULL … NOT VALID names the constraint as SET NOT NULL does, so a name it would not give back still differs', async () => {
    if (major < 18) return;
    const url = await database(SCHEMA.replace('pid int NOT NULL', 'pid int CONSTRAINT child_pid_nn NOT NULL'));
    const rb = fkOf(await plan(url)).rehearsal!.rollback!;
    expect(rb.answered?.map((a) => a.statement)).toEqual([0, 1]);
    expect(rb.ok).toBe(false);
    expect(rb.differs).toEqual(expect.arrayContaining(['schema: lost public.child: constraint child_pid_nn NOT NULL pid']));
  }, 120_000);
});
