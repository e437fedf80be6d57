import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.js';
import { runCli } from '../support/cli.js';
import { workDir, writeFindings } from '../support/apply-helpers.js';
import { runPsqlFile } from '../support/psql.js';
import path from 'node:path';
import pg from 'pg';
import { ensureJournal } from '../../src/engine/apply/journal.js';

/**
 * A plan's SQL names tables along one search_path; apply, rollback and the psql script may run in
 * another process, role or database default. Here everything is planned with `app, billing, public`,
 * then the database's search_path becomes `public` — where a same-named `account` waits: the
 * hand-written fix and its rollback name "Order" bare, and the replaced foreign key's parent is
 * billing.account, not public.account.
 */

const SCHEMA = `
  CREATE SCHEMA billing; CREATE SCHEMA app;
  CREATE TABLE billing.account (id int PRIMARY KEY);
  CREATE TABLE public.account (id int PRIMARY KEY);
  CREATE TABLE app."Order" (id int PRIMARY KEY, "accountId" int REFERENCES billing.account (id));
  INSERT INTO billing.account VALUES (1), (2), (3);
  INSERT INTO public.account VALUES (1), (2), (3);
  INSERT INTO app."Order" VALUES (1, 1), (2, 2), (3, 3);
`;

const FINDINGS = [
  {
    id: 'SP-FK-01',
    title: 'Orders of a deleted account stay behind',
    severity: 'medium',
    playbook: 'foreign-key',
    params: { table: '"Order"', columns: ['"accountId"'], references: { table: 'account', columns: ['id'] }, onDelete: 'cascade' },
  },
  {
    id: 'SP-SQL-01',
    title: 'Orders need a note',
    severity: 'low',
    playbook: 'sql',
    params: { sql: 'ALTER TABLE "Order" ADD COLUMN note text;', rollback: 'ALTER TABLE "Order" DROP COLUMN note;' },
  },
];

const foreignKeys = (db: TestDb) =>
  db.query(`SELECT conname, confrelid::regclass::text AS parent, confdeltype FROM pg_constraint WHERE conrelid = 'app."Order"'::regclass AND contype = 'f'`).then((r) => r.rows);
const columns = (db: TestDb) =>
  db.query(`SELECT attname FROM pg_attribute WHERE attrelid = 'app."Order"'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`).then((r) => r.rows.map((x) => x.attname));

let work: Awaited<ReturnType<typeof workDir>>;

beforeAll(async () => {
  work = await workDir();
});

afterAll(async () => {
  await work?.remove();
});

describe.each(['window', 'online'] as const)('%s: rollback under another search_path', (mode) => {
  let db: TestDb;

  beforeAll(async () => {
    db = await createTestDb();
    await db.query(SCHEMA);
    await db.query(`ALTER DATABASE ${db.name} SET search_path = app, billing, public`);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('puts back what the run changed, resolving names as the run did', async () => {
    const file = await writeFindings(work.dir, FINDINGS, `findings-${mode}.yaml`);
    const applied = await runCli(['apply', '--db', db.url, '--findings', file, '--mode', mode, '--window', '00:00-23:59', '--yes']);
    expect(applied.stderr + applied.stdout).toMatch(/applied 2 finding/);
    expect(applied.code).toBe(0);
    expect(await foreignKeys(db)).toEqual([expect.objectContaining({ conname: 'Order_accountId_fkey', parent: 'billing.account', confdeltype: 'c' })]);
    expect(await columns(db)).toContain('note');
    const { rows } = await db.query(`SELECT search_path FROM pgmend.runs ORDER BY id DESC LIMIT 1`);
    expect(rows[0].search_path).toBe('app, billing, public');

    await db.query(`ALTER DATABASE ${db.name} SET search_path = public`);
    const back = await runCli(['rollback', '--db', db.url, '--run', '1', '--yes']);
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    // Read with the path the rollback had: billing.account shows qualified, public.account bare.
    expect(await foreignKeys(db)).toEqual([{ conname: 'Order_accountId_fkey', parent: 'billing.account', confdeltype: 'a' }]);
    expect(await columns(db)).toEqual(['id', 'accountId']);
  });
});

describe('a plan made along one search_path', () => {
  let db: TestDb;
  let planFile: string;
  let scriptFile: string;

  beforeAll(async () => {
    db = await createTestDb();
    await db.query(SCHEMA);
    await db.query(`ALTER DATABASE ${db.name} SET search_path = app, billing, public`);
    const file = await writeFindings(work.dir, FINDINGS, 'findings-plan.yaml');
    planFile = path.join(work.dir, 'plan.json');
    scriptFile = path.join(work.dir, 'plan.sql');
    for (const [format, out] of [['json', planFile], ['sql', scriptFile]]) {
      const r = await runCli(['plan', '--db', db.url, '--findings', file, '--format', format!, '--out', out!]);
      expect(r.code, r.stderr).toBe(0);
    }
    await db.query(`ALTER DATABASE ${db.name} SET search_path = public`);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('is refused by an apply that would look names up along another, changing nothing', async () => {
    const before = await foreignKeys(db);
    const r = await runCli(['apply', '--db', db.url, '--plan', planFile, '--window', '00:00-23:59', '--yes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the plan looked names up along search_path app, billing, public, this session along public: the same SQL could reach other tables/);
    expect(await foreignKeys(db)).toEqual(before);
    expect(await columns(db)).toEqual(['id', 'accountId']);
  });

  it('gives a psql script that runs along the plan’s search_path', async () => {
    const script = await import('node:fs/promises').then((fs) => fs.readFile(scriptFile, 'utf8'));
    expect(script).toContain('SET search_path = app, billing, public;');
    const run = await runPsqlFile(db.url, scriptFile);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await foreignKeys(db)).toEqual([{ conname: 'Order_accountId_fkey', parent: 'billing.account', confdeltype: 'c' }]);
    expect(await columns(db)).toEqual(['id', 'accountId', 'note']);
  });
});

describe('a journal from before the search_path was recorded', () => {
  it('gets the columns it lacks when the next run ensures it', async () => {
    const db = await createTestDb();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await ensureJournal(client);
      await client.query('ALTER TABLE pgmend.runs DROP COLUMN search_path; ALTER TABLE pgmend.findings DROP COLUMN review');
      await ensureJournal(client);
      const { rows } = await client.query(
        `SELECT attrelid::regclass::text AS t, attname FROM pg_attribute WHERE attrelid IN ('pgmend.runs'::regclass, 'pgmend.findings'::regclass) AND attname IN ('search_path', 'review') AND NOT attisdropped ORDER BY 1`,
      );
      expect(rows).toEqual([{ t: 'pgmend.findings', attname: 'review' }, { t: 'pgmend.runs', attname: 'search_path' }]);
    } finally {
      await client.end();
      await db.drop();
    }
  });
});
