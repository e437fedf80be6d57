import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { dbState, type DbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { planOf } from '../support/plan-engine.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * Findings that cannot be rendered, against pagila: each becomes an `error` status on that finding
 * alone, with one line saying what is wrong (and a did-you-mean where there is one); the other
 * findings are planned as usual; `plan` exits 1; the database is unchanged. Injection attempts in
 * every place a finding writes SQL text end the same way, never as SQL.
 */

const base = { severity: 'high', title: 'bad finding' };

/** id → finding, and the exact error it must produce. */
const BAD: { finding: Record<string, unknown>; error: string | RegExp }[] = [
  // Unknown names, with a did-you-mean.
  { finding: { id: 'E-TABLE', playbook: 'unique', params: { table: 'staf', columns: ['username'] } }, error: 'E-TABLE.params.table: unknown table "staf" — did you mean "public.staff"?' },
  { finding: { id: 'E-COLUMN', playbook: 'unique', params: { table: 'staff', columns: ['usernme'] } }, error: 'E-COLUMN.params.columns[0]: table public.staff has no column "usernme" — did you mean "username"?' },
  { finding: { id: 'E-EXPR-COLUMN', playbook: 'check', params: { table: 'payment', name: 'chk_amount', expression: 'amout > 0' } }, error: 'E-EXPR-COLUMN.params.expression: table public.payment has no column "amout" — did you mean "amount"?' },
  { finding: { id: 'E-KEY-COLUMN', playbook: 'index', params: { table: 'rental', columns: ['lower(customer_idd::text)'] } }, error: 'E-KEY-COLUMN.params.columns[0]: table public.rental has no column "customer_idd" — did you mean "customer_id"?' },
  { finding: { id: 'E-REF-TABLE', playbook: 'foreign-key', params: { table: 'rental', columns: ['customer_id'], references: { table: 'customers', columns: ['customer_id'] }, onDelete: 'cascade' } }, error: 'E-REF-TABLE.params.references.table: unknown table "customers" — did you mean "public.customer"?' },
  { finding: { id: 'E-SCHEMA', playbook: 'unique', params: { table: 'nosuchschema.film', columns: ['title'] } }, error: 'E-SCHEMA.params.table: unknown table "nosuchschema.film": there is no schema "nosuchschema" — schemas: public' },
  { finding: { id: 'E-ORDERBY', playbook: 'unique', params: { table: 'staff', columns: ['username'] }, resolution: { strategy: 'delete', keep: 'oldest', orderBy: 'last_updat' } }, error: 'E-ORDERBY.resolution.orderBy: table public.staff has no column "last_updat" — did you mean "last_update"?' },
  // Foreign keys that PostgreSQL would refuse.
  { finding: { id: 'E-FK-TYPES', playbook: 'foreign-key', params: { table: 'rental', columns: ['customer_id'], references: { table: 'staff', columns: ['username'] }, onDelete: 'cascade' } }, error: 'E-FK-TYPES.params.references.columns[0]: type mismatch: public.rental.customer_id is integer but public.staff.username is text — a foreign key needs columns of compatible types' },
  { finding: { id: 'E-FK-ARITY', playbook: 'foreign-key', params: { table: 'rental', columns: ['customer_id', 'staff_id'], references: { table: 'customer', columns: ['customer_id'] }, onDelete: 'cascade' } }, error: 'E-FK-ARITY.params.references.columns: expected 2 column(s) to match columns, got 1' },
  { finding: { id: 'E-SET-NULL', playbook: 'unique', params: { table: 'staff', columns: ['username'] }, resolution: { strategy: 'set-null' } }, error: 'E-SET-NULL: strategy set-null cannot clear public.staff.username: the column is NOT NULL — choose delete or update' },
  // Injection attempts, one per place a finding writes SQL text.
  { finding: { id: 'I-TABLE', playbook: 'unique', params: { table: 'film; DROP TABLE actor', columns: ['title'] } }, error: /^I-TABLE\.params\.table: unknown table "film; DROP TABLE actor"/ },
  { finding: { id: 'I-COLUMNS', playbook: 'unique', params: { table: 'film', columns: ['title"); DROP TABLE actor; --'] } }, error: /^I-COLUMNS\.params\.columns\[0\]: does not parse: unterminated quoted identifier/ },
  { finding: { id: 'I-COLUMN', playbook: 'not-null', params: { table: 'film', column: 'title; DROP TABLE actor' } }, error: /^I-COLUMN\.params\.column: table public\.film has no column "title; DROP TABLE actor"/ },
  { finding: { id: 'I-WHERE-BREAKOUT', playbook: 'unique', params: { table: 'film', columns: ['title'], where: '1=1) OR (1=1' } }, error: 'I-WHERE-BREAKOUT.params.where: WHERE predicate must be exactly one SQL expression' },
  { finding: { id: 'I-WHERE-STMT', playbook: 'unique', params: { table: 'film', columns: ['title'], where: 'true; DROP TABLE actor' } }, error: 'I-WHERE-STMT.params.where: does not parse: syntax error at or near ";"' },
  { finding: { id: 'I-EXPR-BREAKOUT', playbook: 'check', params: { table: 'payment', name: 'chk_x', expression: '1) FROM payment WHERE (1=1' } }, error: 'I-EXPR-BREAKOUT.params.expression: expression must be exactly one SQL expression' },
  { finding: { id: 'I-EXPR-STMT', playbook: 'check', params: { table: 'payment', name: 'chk_y', expression: 'amount > 0; DROP TABLE actor' } }, error: 'I-EXPR-STMT.params.expression: does not parse: syntax error at or near ";"' },
  { finding: { id: 'I-EXPR-SLEEP', playbook: 'check', params: { table: 'payment', name: 'chk_z', expression: 'pg_sleep(30) IS NOT NULL' } }, error: "I-EXPR-SLEEP.params.expression: expression calls pg_sleep(double precision), which is VOLATILE — a finding's expressions may only call IMMUTABLE or STABLE functions (operators and casts likewise)" },
  { finding: { id: 'I-EXPR-SUBQUERY', playbook: 'check', params: { table: 'payment', name: 'chk_w', expression: 'amount > (SELECT 0)' } }, error: 'I-EXPR-SUBQUERY.params.expression: expression must not contain a subquery' },
  { finding: { id: 'I-COUNTER-CTE', playbook: 'counter', params: { table: 'customer', column: 'active', expression: '(WITH d AS (DELETE FROM rental RETURNING 1) SELECT count(*)::int FROM d)' } }, error: 'I-COUNTER-CTE.params.expression: expression must not modify data' },
  { finding: { id: 'I-SET-COLUMN', playbook: 'check', params: { table: 'payment', name: 'chk_v', expression: 'amount > 0' }, resolution: { strategy: 'update', set: { 'amount = 1; DROP TABLE actor; --': 1 } } }, error: /^I-SET-COLUMN\.resolution\.set: table public\.payment has no column "amount = 1; DROP TABLE actor; --"/ },
  { finding: { id: 'I-ORDERBY', playbook: 'unique', params: { table: 'staff', columns: ['username'] }, resolution: { strategy: 'delete', keep: 'oldest', orderBy: 'last_update; DROP TABLE actor' } }, error: /^I-ORDERBY\.resolution\.orderBy: table public\.staff has no column "last_update; DROP TABLE actor"/ },
  { finding: { id: 'I-SQL-TX', playbook: 'sql', params: { sql: 'BEGIN; DROP TABLE actor; COMMIT;' } }, error: 'I-SQL-TX.params.sql: sql must not contain BEGIN/COMMIT/ROLLBACK: pgmend runs it inside its own transaction' },
  { finding: { id: 'I-NAME', playbook: 'check', params: { table: 'payment', name: 'x CHECK (true); DROP TABLE actor; --', expression: 'amount >= 0' } }, error: /never/ },
];

/** Findings that must plan as usual next to the bad ones. */
const GOOD = [
  { id: 'OK-UNIQUE', playbook: 'unique', params: { table: 'staff', columns: ['username'] } },
  { id: 'OK-INDEX', playbook: 'index', params: { table: 'rental', columns: ['customer_id'] } },
  // Compatible types PostgreSQL joins with a cross-type equality: not a mismatch.
  { id: 'OK-FK-SMALLINT', playbook: 'foreign-key', params: { table: 'rental_note', columns: ['customer_id'], references: { table: 'customer', columns: ['customer_id'] }, onDelete: 'cascade' } },
  { id: 'OK-FK-BIGINT', playbook: 'foreign-key', params: { table: 'rental_note', columns: ['big_customer_id'], references: { table: 'customer', columns: ['customer_id'] }, onDelete: 'set-null' } },
  { id: 'OK-FK-VARCHAR', playbook: 'foreign-key', params: { table: 'rental_note', columns: ['country'], references: { table: 'country', columns: ['country'] }, onDelete: 'restrict' } },
  // A hostile literal in set is only ever a quoted value: the rehearsal fails on its type, nothing runs as SQL.
  { id: 'OK-SET-VALUE', playbook: 'check', params: { table: 'payment', name: 'chk_amount_positive', expression: 'amount > 0' }, resolution: { strategy: 'update', set: { amount: "1'); DROP TABLE actor; --" } } },
  { id: 'OK-SET-TEXT', playbook: 'unique', params: { table: 'staff', columns: ['username'] }, resolution: { strategy: 'update', set: { username: "x'); DROP TABLE actor; --" } } },
];

describe('per-finding errors against pagila', () => {
  let db: TestDb;
  let dir: string;
  let before: DbState;
  let plan: Plan;
  const findings = [...BAD.map((b) => ({ ...base, ...b.finding })), ...GOOD.map((g) => ({ ...base, ...g }))];

  beforeAll(async () => {
    db = await createTestDb('tpl_pagila');
    dir = await mkdtemp(path.join(os.tmpdir(), 'pgmend-view-errors-'));
    // A table with FK columns of types compatible with, but not equal to, their parents' keys.
    await db.query(`CREATE TABLE public.rental_note (id int PRIMARY KEY, customer_id smallint, big_customer_id bigint, country varchar(50))`);
    await db.query(`ALTER TABLE public.country ADD CONSTRAINT country_country_key UNIQUE (country)`);
    before = await dbState(db.url);
    plan = await planOf(db.url, { findings });
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const byId = (id: string): FindingPlan => plan.findings.find((f) => f.id === id)!;

  it.each(BAD.filter((b) => b.finding.id !== 'I-NAME').map((b) => [b.finding.id as string, b.error] as const))('%s: status error, one line', (id, error) => {
    const f = byId(id);
    expect(f.status).toBe('error');
    expect(f.error!.split('\n')).toHaveLength(1);
    if (typeof error === 'string') expect(f.error).toBe(error);
    else expect(f.error).toMatch(error);
    expect(f.steps).toEqual([]);
    expect(f.rehearsal).toBeUndefined();
  });

  it('a constraint name is an identifier, quoted, never SQL', () => {
    const f = byId('I-NAME');
    expect(f.status).toBe('ready');
    expect(flatSteps(f.steps)[0]!.sql).toBe('ALTER TABLE public.payment ADD CONSTRAINT "x CHECK (true); DROP TABLE actor; --" CHECK (amount >= 0)');
    expect(f.rehearsal?.ok, f.rehearsal?.error).toBe(true);
  });

  it('the good findings next to them plan as usual', () => {
    expect(byId('OK-UNIQUE').status).toBe('blocked');
    expect(byId('OK-INDEX').status).toBe('ready');
    for (const id of ['OK-INDEX', 'OK-FK-SMALLINT', 'OK-FK-BIGINT', 'OK-FK-VARCHAR']) {
      const f = byId(id);
      expect(f.error, id).toBeUndefined();
      expect(f.rehearsal?.ok, `${id}: ${f.rehearsal?.error}`).toBe(true);
    }
  });

  it('hostile set values stay quoted literals', () => {
    const numeric = byId('OK-SET-VALUE');
    expect(numeric.status).toBe('resolved');
    expect(flatSteps(numeric.steps).map((s) => s.sql).join('\n')).toContain(`SET amount = '1''); DROP TABLE actor; --'`);
    expect(numeric.rehearsal?.ok).toBe(false);
    expect(numeric.rehearsal?.error).toMatch(/invalid input syntax for type numeric/);
    const text = byId('OK-SET-TEXT');
    expect(text.status).toBe('resolved');
    expect(flatSteps(text.steps).map((s) => s.sql).join('\n')).toContain(`SET username = 'x''); DROP TABLE actor; --'`);
    expect(text.rehearsal?.ok, text.rehearsal?.error).toBe(true);
  });

  it('the database is unchanged (actor is still there)', async () => {
    expect(await dbState(db.url)).toEqual(before);
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM actor');
    expect(Number(rows[0]!.n)).toBe(200);
  });

  it('plan CLI: exit 1, one `pgmend: ID: message` line per error, outputs still written, database unchanged', async () => {
    const file = path.join(dir, 'findings.yaml');
    await writeFile(file, YAML.stringify({ findings }));
    const out = path.join(dir, 'plan.json');
    const r = await runCli(['plan', '--db', db.url, '--findings', file, '--format', 'json', '--out', out]);
    expect(r.code).toBe(1);
    const errorLines = r.stderr.split('\n').filter((l) => /^pgmend: [A-Z]+-[A-Z-]+[:.]/.test(l));
    const errorIds = BAD.map((b) => b.finding.id as string).filter((id) => id !== 'I-NAME');
    expect(errorLines.map((l) => /^pgmend: ([A-Z-]+)/.exec(l)![1]).sort()).toEqual([...errorIds].sort());
    for (const b of BAD.filter((x) => typeof x.error === 'string')) {
      const id = b.finding.id as string;
      // The message already starts with the id; the CLI may or may not repeat it in front.
      const line = errorLines.find((l) => l.startsWith(`pgmend: ${id}:`) || l.startsWith(`pgmend: ${id}.`));
      expect([`pgmend: ${id}: ${b.error as string}`, `pgmend: ${b.error as string}`]).toContain(line);
    }
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await dbState(db.url)).toEqual(before);
  });
});
