import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../support/db.js';
import {
  constraintsOf,
  findColumn,
  findTable,
  fksOf,
  fksReferencing,
  indexesOf,
  loadCatalog,
  functionDef,
  triggersOf,
  type Catalog,
  type Constraint,
} from '../../src/db/catalog.js';
import { resolveColumn, resolveTable } from '../../src/db/resolve.js';
import { schemaDdl, tableDdl } from '../../src/db/ddl.js';
import { describeSchemaChange, fingerprint } from '../../src/db/fingerprint.js';
import { quoteIdent, quoteLiteral } from '../../src/db/quote.js';
import { withRollback } from '../../src/db/session.js';
import { errorMessage, UsageError } from '../../src/util/errors.js';

async function connect(db: TestDb): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  return client;
}

/** Counts client.query calls (round trips) made while fn runs. */
async function countQueries<T>(client: pg.Client, fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const original = client.query;
  let queries = 0;
  client.query = function (this: pg.Client, ...args: unknown[]) {
    queries++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof client.query;
  try {
    return { result: await fn(), queries };
  } finally {
    client.query = original;
  }
}

/** The one line the CLI would print for the UsageError fn throws. */
function usageLine(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    return errorMessage(e);
  }
  throw new Error('expected a UsageError');
}

/** Does some index on the FK's table start with exactly the FK's columns (in any order)? */
function hasLeadingIndex(catalog: Catalog, fk: Constraint): boolean {
  const table = findTable(catalog, fk.table)!;
  return indexesOf(catalog, table).some((i) => {
    const lead = i.columns.slice(0, fk.columns.length);
    return i.valid && i.predicate === null && lead.length === fk.columns.length && fk.columns.every((c) => lead.includes(c));
  });
}

describe('catalog of pagila', () => {
  let db: TestDb;
  let client: pg.Client;
  let catalog: Catalog;

  beforeAll(async () => {
    db = await createTestDb('tpl_pagila');
    client = await connect(db);
    catalog = await loadCatalog(client);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('reads server version and search_path', () => {
    // 14 … 18 (npm run test:matrix): the number and the text name the same major.
    expect(catalog.server.versionNum).toBeGreaterThanOrEqual(140000);
    expect(catalog.server.version).toMatch(/^\d+\.\d+/);
    expect(Math.floor(catalog.server.versionNum / 10000)).toBe(Number(catalog.server.version.split('.')[0]));
    expect(catalog.searchPath).toEqual(['public']);
  });

  it('finds 15 tables and 7 payment partitions marked with their parent', () => {
    const partitions = catalog.tables.filter((t) => t.partitionOf !== null);
    expect(catalog.tables.length - partitions.length).toBe(15);
    expect(partitions).toHaveLength(7);
    expect(new Set(partitions.map((p) => p.partitionOf))).toEqual(new Set(['public.payment']));
    expect(typeof partitions[0]!.oid).toBe('number');
    expect(partitions[0]!.partitionOfOid).toBe(findTable(catalog, 'payment')!.oid);
    const payment = findTable(catalog, 'payment')!;
    expect(payment.kind).toBe('partitioned');
    expect(payment.partitionKey).toBe('RANGE (payment_date)');
    expect(payment.primaryKey).toEqual(['payment_date', 'payment_id']);
  });

  it('reads columns in attnum order with types, NOT NULL and defaults', () => {
    const film = findTable(catalog, 'public.film')!;
    expect(film.columns.map((c) => c.name).slice(0, 3)).toEqual(['film_id', 'title', 'description']);
    expect(film.columns.map((c) => c.attnum)).toEqual([...film.columns.map((c) => c.attnum)].sort((a, b) => a - b));
    const rate = findColumn(film, 'rental_rate')!;
    expect(rate).toMatchObject({ type: 'numeric(4,2)', notNull: true, default: '4.99', identity: null, generated: null });
    expect(findColumn(film, 'film_id')!.default).toBe("nextval('film_film_id_seq'::regclass)");
    expect(findColumn(film, 'description')!.notNull).toBe(false);
  });

  it('reads estimated rows from pg_class.reltuples (null until analyzed)', async () => {
    await client.query('ANALYZE film');
    const film = findTable(await loadCatalog(client), 'film')!;
    expect(film.estimatedRows).toBe(1000);
  });

  it('has 36 foreign keys: base tables ON DELETE RESTRICT, staff.store_id and partitions NO ACTION', () => {
    const fks = catalog.constraints.filter((c) => c.type === 'f');
    expect(fks).toHaveLength(36);
    const noAction = fks.filter((f) => f.foreignKey!.onDelete === 'no-action');
    const restrict = fks.filter((f) => f.foreignKey!.onDelete === 'restrict');
    expect(noAction.length + restrict.length).toBe(36);
    expect(noAction.filter((f) => !f.table.startsWith('public.payment_p'))).toEqual([
      expect.objectContaining({ table: 'public.staff', columns: ['store_id'] }),
    ]);
    // 6 of the 7 partitions carry 3 keys each (customer, rental, staff).
    expect(noAction.filter((f) => f.table.startsWith('public.payment_p'))).toHaveLength(18);
    expect(restrict).toHaveLength(17);
    const rentalCustomer = fksOf(catalog, findTable(catalog, 'rental')!).find((f) => f.columns[0] === 'customer_id')!;
    expect(rentalCustomer.foreignKey).toEqual({
      table: 'public.customer',
      tableOid: findTable(catalog, 'customer')!.oid,
      schema: 'public',
      name: 'customer',
      columns: ['customer_id'],
      onDelete: 'restrict',
      onUpdate: 'cascade',
    });
    expect(rentalCustomer.deferrable).toBe(false);
    expect(rentalCustomer.validated).toBe(true);
    expect(rentalCustomer.definition).toMatch(/^FOREIGN KEY \(customer_id\) REFERENCES customer\(customer_id\)/);
  });

  it('finds 13 foreign keys without a leading index', () => {
    const unindexed = catalog.constraints.filter((c) => c.type === 'f' && !hasLeadingIndex(catalog, c));
    expect(unindexed).toHaveLength(13);
    const names = unindexed.map((f) => `${f.table}.${f.columns.join(',')}`);
    expect(names).toEqual(expect.arrayContaining(['public.rental.customer_id', 'public.rental.staff_id', 'public.inventory.film_id', 'public.film_category.category_id']));
  });

  it('lists referencing foreign keys per parent', () => {
    const customer = findTable(catalog, 'customer')!;
    const referencing = fksReferencing(catalog, customer).map((f) => f.table).sort();
    expect(referencing).toEqual(['public.payment_p2022_01', 'public.payment_p2022_02', 'public.payment_p2022_03', 'public.payment_p2022_04', 'public.payment_p2022_05', 'public.payment_p2022_06', 'public.rental']);
  });

  it('has 14 last_updated triggers, one per table with a last_update column', () => {
    const lastUpdated = catalog.triggers.filter((t) => t.name === 'last_updated');
    expect(lastUpdated).toHaveLength(14);
    const withColumn = catalog.tables.filter((t) => t.columns.some((c) => c.name === 'last_update')).map((t) => t.qualified);
    expect(lastUpdated.map((t) => t.table).sort()).toEqual(withColumn.sort());
    expect(lastUpdated.every((t) => t.enabled && t.function === 'public.last_updated')).toBe(true);
    const fn = catalog.functions.find((f) => f.qualified === 'public.last_updated')!;
    expect(fn).toMatchObject({ language: 'plpgsql', kind: 'function', identityArgs: '' });
    expect(fn.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(fn.definition).toContain('NEW.last_update = CURRENT_TIMESTAMP');
  });

  it('reads functions with hashes, and their definitions lazily', async () => {
    const balance = catalog.functions.find((f) => f.name === 'get_customer_balance')!;
    expect(balance.definition).toBeNull();
    const def = await functionDef(client, balance.oid);
    expect(def).toContain('CREATE OR REPLACE FUNCTION public.get_customer_balance');
    expect(catalog.functions.find((f) => f.name === 'group_concat')!.kind).toBe('aggregate');
  });

  it('marks indexes that back constraints', () => {
    const film = findTable(catalog, 'film')!;
    const pkey = indexesOf(catalog, film).find((i) => i.name === 'film_pkey')!;
    expect(pkey).toMatchObject({ primary: true, unique: true, valid: true, ready: true, constraint: 'film_pkey', columns: ['film_id'], predicate: null });
    const fulltext = indexesOf(catalog, film).find((i) => i.name === 'film_fulltext_idx')!;
    expect(fulltext).toMatchObject({ method: 'gist', constraint: null, unique: false });
    expect(constraintsOf(catalog, film).find((c) => c.type === 'p')!.indexOid).toBe(pkey.oid);
  });

  it('gives oids as numbers, so they can be compared and passed back as query parameters', () => {
    const oids = [
      ...catalog.tables.flatMap((t) => [t.oid, t.partitionOfOid ?? 0]),
      ...catalog.constraints.flatMap((c) => [c.oid, c.tableOid, c.indexOid ?? 0, c.foreignKey?.tableOid ?? 0]),
      ...catalog.indexes.flatMap((i) => [i.oid, i.tableOid]),
      ...catalog.triggers.flatMap((t) => [t.oid, t.tableOid, t.functionOid]),
      ...catalog.functions.map((f) => f.oid),
    ];
    expect(oids.filter((o) => typeof o !== 'number')).toEqual([]);
  });

  it('loads in one round trip', async () => {
    const { queries } = await countQueries(client, () => loadCatalog(client));
    expect(queries).toBeLessThanOrEqual(6);
    expect(queries).toBe(1);
  });

  it('gives byte-identical DDL and fingerprint across two loads', async () => {
    const again = await loadCatalog(client);
    const all = catalog.tables.map((t) => t.qualified);
    expect(schemaDdl(again, all)).toBe(schemaDdl(catalog, all));
    expect(fingerprint(again, all)).toBe(fingerprint(catalog, all));
    expect(fingerprint(catalog, ['rental', 'film'])).toBe(fingerprint(catalog, ['public.film', 'rental']));
    expect(fingerprint(catalog, ['rental'])).not.toBe(fingerprint(catalog, ['film']));
    expect(fingerprint(catalog, ['film'])).toMatch(/^[0-9a-f]{16}$/);
  });

  it('writes readable DDL: columns, constraints by name, other indexes, triggers, trigger functions', () => {
    const rental = findTable(catalog, 'rental')!;
    const ddl = tableDdl(catalog, rental);
    const lines = ddl.split('\n');
    expect(lines[0]).toBe('CREATE TABLE public.rental (');
    expect(lines[1]).toBe("    rental_id integer DEFAULT nextval('rental_rental_id_seq'::regclass) NOT NULL,");
    const constraintNames = lines.filter((l) => l.startsWith('    CONSTRAINT ')).map((l) => l.split(' ')[5]);
    expect(constraintNames).toEqual([...constraintNames].sort());
    expect(constraintNames).toContain('rental_pkey');
    expect(ddl).toContain('CREATE UNIQUE INDEX idx_unq_rental_rental_date_inventory_id_customer_id ON public.rental USING btree');
    expect(ddl).not.toContain('CREATE UNIQUE INDEX rental_pkey');
    expect(ddl).toContain('CREATE TRIGGER last_updated BEFORE UPDATE ON public.rental FOR EACH ROW EXECUTE FUNCTION last_updated();');
    expect(ddl.endsWith(';\n')).toBe(true);
    const schema = schemaDdl(catalog, ['rental']);
    expect(schema).toContain(ddl);
    expect(schema).toContain('CREATE OR REPLACE FUNCTION public.last_updated()');
    const partition = tableDdl(catalog, findTable(catalog, 'payment_p2022_01')!);
    expect(partition).toMatch(/^ALTER TABLE public\.payment ATTACH PARTITION public\.payment_p2022_01 FOR VALUES FROM \('2022-01-01/m);
  });

  it('resolves names with did-you-mean messages', () => {
    expect(resolveTable(catalog, 'Rental').qualified).toBe('public.rental');
    expect(() => resolveTable(catalog, 'custmer')).toThrow(UsageError);
    expect(usageLine(() => resolveTable(catalog, 'custmer'))).toBe('unknown table "custmer" — did you mean "public.customer"?');
    expect(usageLine(() => resolveTable(catalog, 'public.adress'))).toBe('unknown table "public.adress" — did you mean "public.address"?');
    expect(usageLine(() => resolveTable(catalog, 'zzzzzzzz'))).toMatch(/^unknown table "zzzzzzzz" \(looked up in search_path: public\) — /);
    expect(usageLine(() => resolveTable(catalog, 'nowhere.film'))).toMatch(/^unknown table "nowhere.film": there is no schema "nowhere"/);
    expect(usageLine(() => resolveColumn(catalog, 'customer', 'emial'))).toBe('table public.customer has no column "emial" — did you mean "email"?');
    expect(usageLine(() => resolveColumn(catalog, 'customer', 'qqqqqqqq'))).toMatch(/^table public.customer has no column "qqqqqqqq" — its columns: customer_id, store_id/);
    expect(resolveColumn(catalog, 'customer', 'EMAIL').name).toBe('email');
  });

  it('reports what changed when a CHECK, an index, a trigger and a column type are added', async () => {
    const tables = ['film', 'rental'];
    const before = catalog;
    const filmBefore = tableDdl(before, findTable(before, 'film')!);
    const { after, lines } = await withRollback(client, async () => {
      await client.query('ALTER TABLE film ADD CONSTRAINT chk_length CHECK (length > 0) NOT VALID');
      await client.query('CREATE INDEX idx_rental_staff ON rental (staff_id)');
      await client.query('ALTER TABLE film ADD CONSTRAINT film_title_key UNIQUE (title)');
      await client.query('CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$');
      await client.query('CREATE TRIGGER touch BEFORE UPDATE ON rental FOR EACH ROW EXECUTE FUNCTION public.touch()');
      await client.query('ALTER TABLE rental DISABLE TRIGGER last_updated');
      await client.query('ALTER TABLE film ALTER COLUMN replacement_cost TYPE numeric(7,2)');
      await client.query('ALTER TABLE rental RENAME COLUMN return_date TO returned_at');
      const after = await loadCatalog(client);
      return { after, lines: describeSchemaChange(before, after, tables) };
    });
    expect(lines).toEqual([
      'public.film: column replacement_cost type changed numeric(5,2) → numeric(7,2)',
      'public.film: constraint chk_length added',
      'public.film: constraint film_title_key added',
      'public.rental: column return_date renamed to returned_at',
      'public.rental: index idx_rental_staff added',
      'public.rental: trigger last_updated disabled',
      'public.rental: trigger touch added',
    ]);
    const filmAfter = tableDdl(after, findTable(after, 'film')!);
    expect(filmAfter).not.toBe(filmBefore);
    expect(filmAfter).toContain('    CONSTRAINT chk_length CHECK ((length > 0)) NOT VALID,');
    expect(filmAfter.match(/NOT VALID/g)).toHaveLength(1);
    const rentalAfter = schemaDdl(after, ['rental']);
    expect(rentalAfter).toContain('ALTER TABLE public.rental DISABLE TRIGGER last_updated;');
    expect(rentalAfter).toContain('CREATE OR REPLACE FUNCTION public.touch()');
    expect(fingerprint(after, tables)).not.toBe(fingerprint(before, tables));
    // Untouched tables keep identical DDL inside the same transaction.
    expect(tableDdl(after, findTable(after, 'actor')!)).toBe(tableDdl(before, findTable(before, 'actor')!));
    // Rolled back: the schema is as it was.
    expect(fingerprint(await loadCatalog(client), tables)).toBe(fingerprint(before, tables));
  });

  it('says when a trigger function body changes and when a table is dropped or created', async () => {
    const before = catalog;
    const lines = await withRollback(client, async () => {
      await client.query(`CREATE OR REPLACE FUNCTION public.last_updated() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.last_update = now(); RETURN NEW; END$$`);
      await client.query('DROP TABLE film_category CASCADE'); // and the views on it
      await client.query('CREATE TABLE licenses (id int)');
      const after = await loadCatalog(client);
      expect(schemaDdl(before, ['licenses'])).toBe('-- licenses: no such table\n');
      return describeSchemaChange(before, after, ['actor', 'film_category', 'licenses']);
    });
    expect(lines).toEqual(['public.film_category: table dropped', 'public.licenses: table created', 'function public.last_updated() changed']);
  });
});

describe('catalog of chinook', () => {
  let db: TestDb;
  let client: pg.Client;
  let catalog: Catalog;

  beforeAll(async () => {
    db = await createTestDb('tpl_chinook');
    client = await connect(db);
    catalog = await loadCatalog(client);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('has 11 tables, each with a primary key', () => {
    expect(catalog.tables).toHaveLength(11);
    for (const t of catalog.tables) expect(t.primaryKey.length, t.qualified).toBeGreaterThan(0);
  });

  it('has 11 foreign keys, all NO ACTION and all indexed', () => {
    const fks = catalog.constraints.filter((c) => c.type === 'f');
    expect(fks).toHaveLength(11);
    for (const fk of fks) {
      expect(fk.foreignKey).toMatchObject({ onDelete: 'no-action', onUpdate: 'no-action' });
      expect(hasLeadingIndex(catalog, fk), fk.name).toBe(true);
    }
    expect(catalog.triggers).toHaveLength(0);
  });
});

describe('catalog round trips do not grow with the schema', () => {
  let db: TestDb;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDb();
    client = await connect(db);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('reads 200 extra tables in the same number of queries', async () => {
    await client.query('CREATE TABLE base (id int PRIMARY KEY)');
    const small = await countQueries(client, () => loadCatalog(client));
    await client.query(`
      CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
      DO $$ BEGIN
        FOR i IN 1..200 LOOP
          EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, base_id int REFERENCES base, v text CHECK (v <> %L))', i, '');
          EXECUTE format('CREATE INDEX ON t%s (v)', i);
          EXECUTE format('CREATE TRIGGER touch BEFORE UPDATE ON t%s FOR EACH ROW EXECUTE FUNCTION touch()', i);
        END LOOP;
      END $$`);
    const large = await countQueries(client, () => loadCatalog(client));
    expect(large.result.tables).toHaveLength(201);
    expect(large.result.constraints.filter((c) => c.type === 'f')).toHaveLength(200);
    expect(large.result.indexes).toHaveLength(401);
    expect(large.result.triggers).toHaveLength(200);
    expect(large.queries).toBe(small.queries);
    expect(large.queries).toBeLessThanOrEqual(6);
  });
});

describe('names that need quoting', () => {
  let db: TestDb;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDb();
    client = await connect(db);
    await client.query(`
      CREATE SCHEMA "Sales";
      CREATE TABLE "Order"("User" int, "select" text);
      CREATE TABLE "Sales"."Order"(id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "Total" numeric(10,2) NOT NULL DEFAULT 0,
        note text COLLATE "C", doubled numeric GENERATED ALWAYS AS ("Total" * 2) STORED,
        CONSTRAINT "Total positive" CHECK ("Total" >= 0));
      CREATE UNIQUE INDEX "Order note" ON "Sales"."Order" (lower(note)) WHERE note IS NOT NULL;
      CREATE FUNCTION "Sales".stamp() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
      CREATE TRIGGER "Stamp" BEFORE INSERT ON "Sales"."Order" FOR EACH ROW EXECUTE FUNCTION "Sales".stamp();`);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('resolves mixed-case and reserved-word names and quotes them', async () => {
    const catalog = await loadCatalog(client);
    const order = findTable(catalog, '"Order"')!;
    expect(order.qualified).toBe('public.Order');
    expect(findTable(catalog, 'public."Order"')).toBe(order);
    expect(findTable(catalog, 'Order')).toBe(order); // as written, since there is no lower-case "order"
    expect(findTable(catalog, '"order"')).toBeUndefined();
    expect(findTable(catalog, '"Sales"."Order"')!.schema).toBe('Sales');
    expect(findTable(catalog, 'Sales.Order')!.schema).toBe('Sales');
    expect(findColumn(order, 'User')!.name).toBe('User');
    expect(findColumn(order, '"select"')!.name).toBe('select');
    expect(findColumn(order, '"user"')).toBeUndefined();
    expect(tableDdl(catalog, order)).toBe('CREATE TABLE public."Order" (\n    "User" integer,\n    "select" text\n);\n');
    expect(usageLine(() => resolveColumn(catalog, order, 'Usr'))).toBe('table public."Order" has no column "Usr" — did you mean "User"?');
    expect(usageLine(() => resolveTable(catalog, 'Ordre'))).toBe('unknown table "Ordre" — did you mean "public.Order"?');
  });

  it('writes DDL that PostgreSQL accepts and that reads back identically', async () => {
    const catalog = await loadCatalog(client);
    const sales = findTable(catalog, '"Sales"."Order"')!;
    const ddl = tableDdl(catalog, sales);
    expect(ddl).toContain('CREATE TABLE "Sales"."Order" (');
    expect(ddl).toContain('    id integer GENERATED ALWAYS AS IDENTITY NOT NULL,');
    expect(ddl).toContain('    "Total" numeric(10,2) DEFAULT 0 NOT NULL,');
    expect(ddl).toContain('    note text COLLATE "C",');
    expect(ddl).toContain('    doubled numeric GENERATED ALWAYS AS (("Total" * (2)::numeric)) STORED,');
    expect(ddl).toContain('    CONSTRAINT "Total positive" CHECK (("Total" >= (0)::numeric))');
    expect(ddl).toContain('CREATE UNIQUE INDEX "Order note" ON "Sales"."Order" USING btree (lower(note)) WHERE (note IS NOT NULL);');
    expect(indexesOf(catalog, sales).find((i) => i.name === 'Order note')!.columns).toEqual([null]);
    expect(triggersOf(catalog, sales).map((t) => t.function)).toEqual(['Sales.stamp']);
    // Drop and recreate from our own text: the catalog must read back the same DDL.
    await client.query('DROP TABLE "Sales"."Order"');
    await client.query(ddl);
    expect(tableDdl(await loadCatalog(client), findTable(await loadCatalog(client), '"Sales"."Order"')!)).toBe(ddl);
  });

  it('renders literals PostgreSQL reads back exactly', async () => {
    const values = ["O'Brien", 'back\\slash', "\\'", 'tab\tnew\nline', 'emoji 🐘', ''];
    for (const v of values) {
      const { rows } = await client.query(`SELECT ${quoteLiteral(v)}::text AS v`);
      expect(rows[0].v).toBe(v);
    }
    const { rows } = await client.query(`SELECT ${quoteLiteral(-1.5)} AS n, ${quoteLiteral(true)} AS b, ${quoteLiteral(null)}::int AS z`);
    expect(rows[0]).toEqual({ n: '-1.5', b: true, z: null });
  });

  it('quotes every keyword exactly as quote_ident does', async () => {
    const { rows } = await client.query<{ word: string; quoted: string }>('SELECT word, quote_ident(word) AS quoted FROM pg_get_keywords()');
    expect(rows.length).toBeGreaterThan(400);
    const differ = rows.filter((r) => quoteIdent(r.word) !== r.quoted);
    const num = Number((await client.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v);
    if (num >= 170000) expect(differ).toEqual([]);
    // Before 17 a few words were unreserved keywords (json): pgmend quotes them as 17+ must, and
    // quote_ident there leaves them bare. More quoting, never less.
    else for (const r of differ) expect([r.word, quoteIdent(r.word), r.quoted]).toEqual([r.word, `"${r.word}"`, r.word]);
    for (const name of ['Order', 'a"b', 'first name', 'café', '1x']) {
      const { rows: q } = await client.query('SELECT quote_ident($1) AS q', [name]);
      expect(quoteIdent(name)).toBe(q[0].q);
    }
  });
});
