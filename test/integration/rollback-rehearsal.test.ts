import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { adminUrl, createTestDb, queryOnce, urlFor, type TestDb } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { ACTORHUB, EXAMPLES, loadFindings, planOf } from '../support/plan-engine.js';
import { loadExample } from '../../src/demo/examples.js';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { planToJson } from '../../src/export/plan-json.js';
import { rollbackPane } from '../../src/tui/screens/detail/detail-panes.js';
import type { FindingPlan } from '../../src/engine/plan/plan-model.js';
import { flatSteps, isRowChange } from '../../src/engine/plan/steps.js';

/**
 * Window-mode rehearsal runs each finding's rollback right after its fix, in the same rolled-back
 * savepoint — the rollback SQL and rollback's own row restore, matched by primary key, by a NOT
 * NULL unique key or by the whole row — and compares schema and row checksums with the state
 * before the fix. Every ActorHub and mixedcase finding restores exactly; a rollback that forgets
 * something is caught and what differs is said; held findings and online mode say why not; the
 * dry run leaves the database as it was.
 */

const runnable = (f: FindingPlan) => (f.status === 'ready' || f.status === 'resolved') && f.rehearsal?.ok === true && !f.rehearsal.held;

describe('rollback rehearsed', () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb('tpl_actorhub');
    // Mixed case, each kind of row match: a primary key, a NOT NULL unique key, none (the whole row).
    await db.query(`CREATE TABLE public."InvoiceLine" ("Id" int PRIMARY KEY, "Qty" int, "Note" text)`);
    await db.query(`INSERT INTO public."InvoiceLine" VALUES (1, 2, 'a'), (2, -1, 'b'), (3, -5, NULL)`);
    await db.query(`CREATE TABLE public."Keyed" ("Code" text NOT NULL UNIQUE, "Qty" int)`);
    await db.query(`INSERT INTO public."Keyed" VALUES ('x', 1), ('y', -2)`);
    await db.query(`CREATE TABLE public."Loose" ("Qty" int, "Tag" text)`);
    await db.query(`INSERT INTO public."Loose" VALUES (1, 't'), (-1, 't'), (-1, 't'), (-3, NULL)`);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  const mixed = [
    { id: 'MC-PK', title: 'qty pk', severity: 'low', playbook: 'check', params: { table: 'InvoiceLine', name: 'ck_il_qty', expression: '"Qty" > 0' }, resolution: { strategy: 'update', set: { Qty: 1 } } },
    { id: 'MC-UK', title: 'qty unique key', severity: 'low', playbook: 'check', params: { table: 'Keyed', name: 'ck_k_qty', expression: '"Qty" > 0' }, resolution: { strategy: 'update', set: { Qty: 1 } } },
    { id: 'MC-ROW', title: 'qty whole row', severity: 'low', playbook: 'check', params: { table: 'Loose', name: 'ck_l_qty', expression: '"Qty" > 0' }, resolution: { strategy: 'set-null' } },
    { id: 'MC-DEL', title: 'qty delete', severity: 'low', playbook: 'check', params: { table: '"Loose"', name: 'ck_l_qty2', expression: '"Qty" > -2' }, resolution: { strategy: 'delete' } },
  ];

  it('every runnable ActorHub finding (resolved file) and mixed-case resolutions matched by each kind of key: "restores exactly"', async () => {
    const before = await dbState(db.url);
    const findings = [...(await loadFindings({ file: path.join(ACTORHUB, 'findings-resolved.yaml') })), ...(await loadFindings({ findings: mixed }))];
    const plan = await planOf(db.url, { findings });
    const done = plan.findings.filter(runnable);
    expect(done.length).toBeGreaterThan(60);
    for (const f of done) expect(f.rehearsal!.rollback, f.id).toMatchObject({ ok: true });
    // The mixed-case resolutions ran (rows changed), and their matches are the three kinds.
    const match = (id: string) => plan.findings.find((f) => f.id === id)!.steps.find(isRowChange)!.match!.kind;
    expect([match('MC-PK'), match('MC-UK'), match('MC-ROW')]).toEqual(['primary-key', 'unique-key', 'whole-row']);
    for (const id of ['MC-PK', 'MC-UK', 'MC-ROW', 'MC-DEL']) expect(plan.findings.find((f) => f.id === id)!.rehearsal!.rowCounts.some((n) => n > 0), id).toBe(true);
    // Said per finding in the plan JSON, the checklist and the TUI's rollback pane.
    const json = JSON.parse(planToJson(plan));
    expect(json.findings.find((f: { id: string }) => f.id === 'MC-ROW').rehearsal.rollback).toMatchObject({ ok: true });
    expect(planToChecklist(plan)).toContain('> **Rollback rehearsed:** restores exactly');
    const pane = rollbackPane(plan.findings.find((f) => f.id === 'MC-PK')!, 100).map((l) => l.map((s) => s.text).join('')).join('\n');
    expect(pane).toContain('rollback rehearsed: restores exactly');
    // A dry run: nothing changed.
    expect(await dbState(db.url)).toEqual(before);
  }, 180_000);

  it('a rollback that does not undo its SQL: what differs is said', async () => {
    const plan = await planOf(db.url, {
      findings: [
        { id: 'S-COL', title: 'adds a column, rollback forgets it', severity: 'low', playbook: 'sql', params: { sql: 'ALTER TABLE public."InvoiceLine" ADD COLUMN "Extra" text', rollback: 'SELECT 1', tables: ['InvoiceLine'] } },
        { id: 'S-ROWS', title: 'changes rows, rollback forgets them', severity: 'low', playbook: 'sql', params: { sql: 'UPDATE public."InvoiceLine" SET "Qty" = 0 WHERE "Qty" < 0', rollback: 'SELECT 1', tables: ['InvoiceLine'] } },
        { id: 'S-TABLE', title: 'creates a table elsewhere, rollback forgets it', severity: 'low', playbook: 'sql', params: { sql: 'CREATE TABLE public."Left over" (id int)', rollback: 'SELECT 1', tables: ['InvoiceLine'] } },
        { id: 'S-OK', title: 'adds a column, rollback drops it', severity: 'low', playbook: 'sql', params: { sql: 'ALTER TABLE public."InvoiceLine" ADD COLUMN "Extra" text', rollback: 'ALTER TABLE public."InvoiceLine" DROP COLUMN "Extra"', tables: ['InvoiceLine'] } },
        { id: 'S-FAIL', title: 'rollback fails', severity: 'low', playbook: 'sql', params: { sql: 'COMMENT ON TABLE public."InvoiceLine" IS \'x\'', rollback: 'ALTER TABLE public."InvoiceLine" DROP COLUMN "Nope"', tables: ['InvoiceLine'] } },
      ],
    });
    const rb = (id: string) => plan.findings.find((f) => f.id === id)!.rehearsal!.rollback!;
    // The column left behind also shows in every row's text.
    expect(rb('S-COL')).toMatchObject({ ok: false, differs: ['schema: left public.InvoiceLine: column "Extra" text', 'rows of public.InvoiceLine: 3 rows as before, but their values differ'] });
    expect(rb('S-ROWS')).toMatchObject({ ok: false, differs: ['rows of public.InvoiceLine: 3 rows as before, but their values differ'] });
    expect(rb('S-TABLE').ok).toBe(false);
    expect(rb('S-TABLE').differs![0]).toMatch(/^relations outside the finding's tables: \d+ relation\(s\) and schema\(s\), digest \w+ before the fix, \d+ relation/);
    expect(rb('S-OK')).toMatchObject({ ok: true });
    expect(rb('S-FAIL')).toMatchObject({ ok: false, differs: ['the rollback failed: column "Nope" of relation "InvoiceLine" does not exist'] });
    const md = planToChecklist(plan);
    expect(md).toContain('> **Rollback rehearsed, differs:** schema: left public.InvoiceLine: column "Extra" text');
  }, 120_000);

  it('a finding the dry run holds back, and online mode, say where the rollback was not rehearsed', async () => {
    const held = await planOf(db.url, {
      findings: [{ id: 'S-HELD', title: 'advances a sequence', severity: 'low', playbook: 'sql', params: { sql: "SELECT nextval('public.\"InvoiceLine_seq\"')", tables: ['InvoiceLine'] } }],
    });
    expect(held.findings[0]!.rehearsal!.rollback!.skipped).toMatch(/^the dry run holds this finding back/);
    const online = await planOf(db.url, { file: path.join(ACTORHUB, 'findings-resolved.yaml') }, { mode: 'online' });
    const fk = online.findings.find((x) => x.id === 'AH-FK-17')!;
    const validate = flatSteps(fk.steps).findIndex((s) => /VALIDATE CONSTRAINT/.test(s.sql));
    expect(fk.rehearsal!.rollback!.skipped).toContain(`online mode does not run step ${validate + 1} in rehearsal (VALIDATE / CONCURRENTLY scan or build the table)`);
    // Where every step ran and no rows change (a trigger and its function), online mode rehearses it too.
    const both = online.findings.filter((f) => runnable(f) && f.rehearsal!.rollback && !f.rehearsal!.rollback.skipped);
    expect(both.length).toBeGreaterThan(0);
    for (const f of both) expect(f.rehearsal!.rollback, f.id).toMatchObject({ ok: true });
    expect(planToChecklist(online)).toContain('> **Rollback not rehearsed:** online mode does not run step');
  }, 120_000);
});

describe('rollback rehearsed on the mixedcase example (search_path without public, partitions, inheritance)', () => {
  let url: string;
  let template: string;
  let name: string;
  beforeAll(async () => {
    template = `tpl_rbr_${randomBytes(4).toString('hex')}`;
    await loadExample(adminUrl(), template, 'mixedcase');
    name = `rbr_${randomBytes(4).toString('hex')}`;
    await queryOnce(adminUrl(), `CREATE DATABASE ${name} TEMPLATE ${template}`);
    await queryOnce(adminUrl(), `ALTER DATABASE ${name} SET search_path = app, "Billing"`);
    url = urlFor(name);
  }, 120_000);
  afterAll(async () => {
    if (name) await queryOnce(adminUrl(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    if (template) await queryOnce(adminUrl(), `DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
  });

  it('every runnable finding of findings-resolved.yaml restores exactly', async () => {
    const before = await dbState(url);
    const plan = await planOf(url, { file: path.join(EXAMPLES, 'mixedcase', 'findings-resolved.yaml') });
    const done = plan.findings.filter(runnable);
    expect(done.length).toBeGreaterThan(10);
    for (const f of done) expect(f.rehearsal!.rollback, f.id).toMatchObject({ ok: true });
    expect(done.some((f) => f.steps.some(isRowChange))).toBe(true);
    expect(await dbState(url)).toEqual(before);
  }, 180_000);
});
