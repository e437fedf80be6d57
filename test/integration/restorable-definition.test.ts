import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../support/db.js';
import { loadCatalog, type Catalog } from '../../src/db/catalog.js';
import { restorableDefinition } from '../../src/db/qualified-definition.js';

/**
 * Definitions pgmend writes back in rollback SQL must mean the same under any search_path. The
 * catalog is read with a search_path that finds every parent bare (so PostgreSQL prints them bare);
 * each foreign key's restorable text must equal what PostgreSQL prints with an empty search_path
 * (everything qualified), on parents named the ways real schemas name them — and a same-named
 * public table waits for a bare name to bind to the wrong parent.
 */

const SCHEMA = `
  CREATE SCHEMA billing; CREATE SCHEMA "Sales Team"; CREATE SCHEMA app;
  CREATE TABLE billing.account (id int PRIMARY KEY);
  CREATE TABLE public.account (id int PRIMARY KEY);
  CREATE TABLE "Sales Team"."Customer" ("Id" int PRIMARY KEY, "Code" text UNIQUE);
  CREATE TABLE app."order" (id int PRIMARY KEY, "select" int, "user" int);
  CREATE TABLE app."Order Line" (
    id int PRIMARY KEY,
    "accountId" int REFERENCES billing.account (id) ON DELETE CASCADE,
    "customer code" text REFERENCES "Sales Team"."Customer" ("Code") ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
    "orderId" int,
    CONSTRAINT "Order Line→order" FOREIGN KEY ("orderId") REFERENCES app."order" (id) MATCH FULL NOT VALID
  );
  CREATE TABLE app.self ("from" int PRIMARY KEY, parent int REFERENCES app.self ("from"));
`;

let db: TestDb;

async function catalogWith(searchPath: string): Promise<Catalog> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`SET search_path = ${searchPath}`);
    return await loadCatalog(client);
  } finally {
    await client.end();
  }
}

const foreignKeys = (c: Catalog) => c.constraints.filter((k) => k.type === 'f').sort((a, b) => (a.name < b.name ? -1 : 1));

beforeAll(async () => {
  db = await createTestDb();
  await db.query(SCHEMA);
});

afterAll(async () => {
  await db?.drop();
});

describe('restorableDefinition', () => {
  it('equals PostgreSQL’s own text under an empty search_path, for parents it printed bare', async () => {
    const onPath = foreignKeys(await catalogWith(`app, billing, "Sales Team", public`));
    const qualified = foreignKeys(await catalogWith(`''`));
    expect(onPath.map((k) => k.name)).toEqual(qualified.map((k) => k.name));
    // The read with the path printed the parents bare: the case this exists for.
    expect(onPath.find((k) => k.name === 'Order Line_accountId_fkey')?.definition).toContain('REFERENCES account(id)');
    expect(onPath.find((k) => k.name === 'Order Line_customer code_fkey')?.definition).toContain('REFERENCES "Customer"("Code")');
    expect(onPath.map((k) => restorableDefinition(k))).toEqual(qualified.map((k) => k.definition));
    expect(qualified.map((k) => restorableDefinition(k))).toEqual(qualified.map((k) => k.definition));
  });

  it('leaves CHECK and other constraints as PostgreSQL printed them', async () => {
    const catalog = await catalogWith('app');
    for (const k of catalog.constraints.filter((c) => c.type !== 'f')) expect(restorableDefinition(k)).toBe(k.definition);
  });

  it('refuses text of another shape rather than guessing', () => {
    expect(() =>
      restorableDefinition({
        name: 'x',
        definition: 'FOREIGN KEY (a) REFERENCES somewhere_else(id)',
        columns: ['a'],
        foreignKey: { table: 'billing.account', tableOid: 1, schema: 'billing', name: 'account', columns: ['id'], onDelete: 'no-action', onUpdate: 'no-action' },
      }),
    ).toThrow(/unexpected definition/);
  });
});
