import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { catalogOf, createTestDb, type TestDb } from '../support/db.js';
import { loadExampleInto } from '../support/templates.js';
import { planFor } from '../support/apply-helpers.js';
import { ROOT } from '../support/cli.js';
import { loadCatalog, type Catalog } from '../../src/db/catalog.js';
import { findingsToReplay } from '../../src/engine/plan/apply-order-interactions.js';
import { changesRows, rehearseRowCountsInApplyOrder } from '../../src/engine/plan/rehearsal.js';
import { PLAN_DEFAULTS } from '../../src/engine/plan/plan.js';
import { ensureParser } from '../../src/playbooks/expression.js';
import type { FindingPlan, Mode, PlanStep } from '../../src/engine/plan/plan-model.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * The plan previews what each finding changes when the whole plan is applied by replaying row
 * changes in apply order — only for findings that interact (apply-order-interactions.ts). The
 * counts must be exactly those of replaying every finding, on every example system in both modes;
 * and the judgement itself is checked case by case: what makes two findings interact, and what not.
 */

async function loadedExample(name: string): Promise<TestDb> {
  const template = { actorhub: 'tpl_actorhub', pagila: 'tpl_pagila', chinook: 'tpl_chinook' }[name];
  const db = await createTestDb(template);
  if (!template) await loadExampleInto(db.url, name);
  return db;
}

describe('apply-order replay: only interacting findings, same counts as replaying all', () => {
  const cases = ['actorhub', 'audiotricks', 'learning', 'tickets', 'pagila', 'chinook'].flatMap((name) =>
    ['findings.yaml', 'findings-resolved.yaml'].map((file) => [name, file] as const),
  );
  it.each(cases)('%s %s', async (name, file) => {
    const findings = (YAML.parse(await readFile(path.join(ROOT, 'examples', name, file), 'utf8')) as { findings: unknown[] }).findings;
    const db = await loadedExample(name);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const catalog = await loadCatalog(client);
      for (const mode of ['window', 'online'] as Mode[]) {
        const plan = await planFor(db.url, findings, mode);
        const cleared = structuredClone(plan.findings).map((f) => (f.rehearsal ? { ...f, rehearsal: { ...f.rehearsal, rowCountsTogether: undefined } } : f));
        const all = await rehearseRowCountsInApplyOrder(client, catalog, cleared, { mode, ...PLAN_DEFAULTS, replayAll: true });
        const runnable = plan.findings.filter((f) => (f.status === 'ready' || f.status === 'resolved') && f.rehearsal?.ok && f.steps.some(changesRows));
        for (const f of runnable) {
          const full = all.find((x) => x.id === f.id)!;
          expect(f.rehearsal!.rowCountsTogether, `${mode} ${f.id}`).toEqual(full.rehearsal!.rowCountsTogether);
        }
      }
    } finally {
      await client.end();
      await db.drop();
    }
  }, 180_000);
});

describe('which findings interact', () => {
  let db: TestDb;
  let catalog: Catalog;
  beforeAll(async () => {
    await ensureParser();
    db = await createTestDb();
    await db.query(`
      CREATE TABLE team (id int PRIMARY KEY, code text UNIQUE, n_members int, n_active int, score int);
      CREATE TABLE member (id int PRIMARY KEY, team_id int REFERENCES team (id) ON DELETE CASCADE, team_code text, active boolean);
      CREATE TABLE badge (id int PRIMARY KEY, member_id int, label text);
      CREATE TABLE audited (id int PRIMARY KEY, v int);
      CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
      CREATE TRIGGER audited_t BEFORE UPDATE ON audited FOR EACH ROW EXECUTE FUNCTION noop();
      CREATE FUNCTION members_of(t int) RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM member WHERE team_id = t';
      CREATE VIEW active_member AS SELECT * FROM member WHERE active;`);
    catalog = await catalogOf(db.url);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const finding = (id: string, ...steps: [PlanStep['phase'], string][]): FindingPlan =>
    ({ id, steps: steps.map(([phase, sql]) => ({ sql, phase, lock: 'ROW EXCLUSIVE', tables: [], transactional: true })) }) as unknown as FindingPlan;
  const replayed = (...findings: FindingPlan[]) => [...findingsToReplay(findings, catalog, changesRows)].map((f) => f.id).sort();

  const countMembers = finding('count', ['fix', 'UPDATE team SET n_members = (SELECT count(*) FROM member WHERE member.team_id = team.id) WHERE n_members IS DISTINCT FROM (SELECT count(*) FROM member WHERE member.team_id = team.id)']);
  const countActive = finding('active', ['fix', 'UPDATE team SET n_active = (SELECT count(*) FROM member WHERE member.team_id = team.id AND member.active) WHERE n_active <> 0']);

  it('two repairs of different columns of one table: none', () => {
    expect(replayed(countMembers, countActive)).toEqual([]);
  });
  it('a repair, then a change that reads the repaired column: both', () => {
    expect(replayed(countMembers, finding('reader', ['fix', 'UPDATE team SET score = 0 WHERE n_members > 10']))).toEqual(['count', 'reader']);
  });
  it('a change that reads the repaired column, before the repair: none (it cannot see the repair)', () => {
    expect(replayed(finding('reader', ['resolution', 'UPDATE team SET score = 0 WHERE n_members > 10']), countMembers)).toEqual([]);
  });
  it('a resolution that deletes rows a later repair counts: both', () => {
    expect(replayed(finding('orphans', ['resolution', 'DELETE FROM member WHERE team_id IS NULL']), countMembers)).toEqual(['count', 'orphans']);
  });
  it('a delete reaches the tables whose foreign keys reference it', () => {
    expect(replayed(finding('teams', ['resolution', 'DELETE FROM team WHERE code IS NULL']), finding('badges', ['fix', 'UPDATE member SET active = false WHERE active IS NULL']))).toEqual(['badges', 'teams']);
  });
  it('an update of a referenced key reaches the children; of another column, not', () => {
    const memberReader = finding('reader', ['fix', 'UPDATE member SET active = true WHERE active IS NULL']);
    expect(replayed(finding('rekey', ['resolution', 'UPDATE team SET id = id + 1000 WHERE id < 0']), memberReader)).toEqual(['reader', 'rekey']);
    expect(replayed(finding('rename', ['resolution', 'UPDATE team SET code = upper(code)']), memberReader)).toEqual([]);
  });
  it('a foreign key the plan adds counts as well as one that exists', () => {
    const add = finding('fk', ['fix', 'ALTER TABLE badge ADD CONSTRAINT badge_member_fk FOREIGN KEY (member_id) REFERENCES member (id) ON DELETE CASCADE NOT VALID']);
    const reader = finding('reader', ['fix', 'DELETE FROM badge WHERE label IS NULL']);
    expect(replayed(add, finding('drop', ['resolution', 'DELETE FROM member WHERE team_id IS NULL']), reader)).toEqual(['drop', 'reader']);
    expect(replayed(finding('drop', ['resolution', 'DELETE FROM member WHERE team_id IS NULL']), reader)).toEqual([]);
  });
  it('a write to a table with a trigger could change anything', () => {
    expect(replayed(finding('audit', ['resolution', 'UPDATE audited SET v = 0 WHERE v < 0']), countActive)).toEqual(['active', 'audit']);
  });
  it('a user function, a view or an unparsable statement reads every table', () => {
    const write = () => finding('w', ['resolution', 'UPDATE badge SET label = NULL WHERE label = \'\'']);
    expect(replayed(write(), finding('fn', ['fix', 'UPDATE team SET n_members = members_of(id) WHERE n_members <> members_of(id)']))).toEqual(['fn', 'w']);
    expect(replayed(write(), finding('view', ['fix', 'DELETE FROM team WHERE id IN (SELECT team_id FROM active_member)']))).toEqual(['view', 'w']);
    expect(replayed(write(), finding('bad', ['fix', 'UPDATE team SET n_members = 0 WHERE (']))).toEqual(['bad', 'w']);
  });
  it('a row expression compares every column; a star in a select list copies them', () => {
    const write = finding('w', ['resolution', 'UPDATE member SET active = NOT active WHERE id = 1']);
    expect(replayed(write, finding('row', ['fix', 'UPDATE team SET score = 1 WHERE EXISTS (SELECT 1 FROM member m WHERE m IS NOT NULL AND m.team_id = team.id)']))).toEqual(['row', 'w']);
    expect(replayed(write, finding('rowstar', ['fix', 'UPDATE team SET score = 1 WHERE EXISTS (SELECT 1 FROM member m WHERE (m.*) IS NOT NULL AND m.team_id = team.id)']))).toEqual(['rowstar', 'w']);
    expect(replayed(write, finding('copy', ['fix', 'DELETE FROM badge WHERE id IN (SELECT x.id FROM (SELECT member.* FROM member WHERE team_id = 3) x)']))).toEqual([]);
  });
  it('what a replayed finding depends on is replayed too, transitively', () => {
    const a = finding('a', ['resolution', 'DELETE FROM member WHERE team_id IS NULL']);
    const b = finding('b', ['fix', 'UPDATE team SET n_members = (SELECT count(*) FROM member WHERE member.team_id = team.id)']);
    const c = finding('c', ['fix', 'UPDATE badge SET label = \'big\' WHERE member_id IN (SELECT id FROM team WHERE n_members > 3)']);
    expect(replayed(a, b, c)).toEqual(['a', 'b', 'c']);
  });
});

describe('online rehearsal of a batched repair whose rows a precheck counted', () => {
  it('plans it (EXPLAIN) instead of reading the child table, with the precheck count — the rows window mode changes running it', async () => {
    const findings = (YAML.parse(await readFile(path.join(ROOT, 'examples/actorhub/findings.yaml'), 'utf8')) as { findings: unknown[] }).findings;
    const db = await loadedExample('actorhub');
    try {
      const online = await planFor(db.url, findings, 'online');
      const window = await planFor(db.url, findings, 'window');
      const repairs = online.findings.filter((f) => f.playbook === 'counter');
      expect(repairs.length).toBe(7);
      for (const f of repairs) {
        const r = f.rehearsal!;
        const drift = f.checks.find((c) => c.id === 'drift')!.rows;
        const backup = flatSteps(f.steps).findIndex((s) => s.backupTable && s.repeat);
        expect(r.counted, f.id).toEqual([backup, backup + 1]);
        expect([r.rowCounts[backup], r.rowCounts[backup + 1]], f.id).toEqual([drift, drift]);
        // Window mode runs the repair: the same rows.
        const w = window.findings.find((x) => x.id === f.id)!;
        expect(w.rehearsal!.counted, f.id).toBeUndefined();
        const ran = flatSteps(w.steps).flatMap((s, i) => (/^\s*UPDATE\b/.test(s.sql) ? [w.rehearsal!.rowCounts[i]] : []));
        expect(ran, f.id).toEqual([drift]);
      }
      // No resolutions, repairs of different columns: nothing interacts, nothing replayed, together = alone.
      for (const f of repairs) expect(f.rehearsal!.rowCountsTogether).toEqual(f.rehearsal!.rowCounts);
    } finally {
      await db.drop();
    }
  }, 120_000);

  it('the plan says such a step was planned, not run, and whose count it shows', async () => {
    const findings = (YAML.parse(await readFile(path.join(ROOT, 'examples/actorhub/findings.yaml'), 'utf8')) as { findings: unknown[] }).findings;
    const db = await loadedExample('actorhub');
    try {
      const online = await planFor(db.url, findings.filter((f) => (f as { id: string }).id === 'AH-CNT-01'), 'online');
      const f = online.findings[0]!;
      const { rehearsedLabel } = await import('../../src/export/summary.js');
      const backup = flatSteps(f.steps).findIndex((s) => s.backupTable && s.repeat);
      expect(rehearsedLabel(f.rehearsal, backup + 1)).toMatch(/^planned \d+(\.\d+)? ms, not run online: \d+ rows? \(the precheck's count\)$/);
    } finally {
      await db.drop();
    }
  }, 60_000);
});
