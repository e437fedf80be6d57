import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../support/db.js';
import { runCli } from '../support/cli.js';
import { workDir, writeFindings } from '../support/apply-helpers.js';

/**
 * A run's SQL was planned against one search_path; rollback (and resume) may be another process,
 * role or database default. Here everything is applied with `app, billing, public`, then the
 * database's search_path becomes `public` — where a same-named `account` waits — before rollback:
 * the hand-written rollback names "Order" bare, and the replaced foreign key's parent is
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
