import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../support/db.js';
import { loadExampleInto } from '../support/templates.js';
import { planOf } from '../support/plan-engine.js';
import { loadCatalog, tableByLabel } from '../../src/db/catalog.js';
import { loadCatalogAroundLocks } from '../../src/db/catalog-around-locks.js';
import { schemaDdl } from '../../src/db/ddl.js';
import { withRollback } from '../../src/db/session.js';

/**
 * After each finding's rehearsal the catalog is read back for that finding's tables only
 * (SCOPED_CATALOG_SQL). Its DDL of those tables must be the full read's, byte for byte: every
 * table of the mixed-case example (partitions, quoted names, triggers), names as users write
 * them, tables created in the transaction, and tables another session holds.
 */

let db: TestDb;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDb();
  await loadExampleInto(db.url, 'mixedcase');
  // A trigger function (its definition is in the DDL) and a function no trigger calls (it is not).
  await db.query(`CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER "Touch" BEFORE INSERT ON app."Event" FOR EACH ROW EXECUTE FUNCTION app.touch();
    CREATE FUNCTION public.unrelated() RETURNS int LANGUAGE sql AS 'SELECT 1'`);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
}, 120_000);

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('scoped catalog read', () => {
  it('gives the full read\'s DDL for every table, alone and with its references as users write them', async () => {
    const full = await loadCatalog(client);
    expect(full.tables.length).toBeGreaterThan(5);
    expect(full.tables.some((t) => t.partitionOfOid !== null)).toBe(true);
    expect(full.triggers.length).toBeGreaterThan(0);
    const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
    for (const t of full.tables) {
      const refs = [[t.qualified], [`${q(t.schema)}.${q(t.name)}`], [`${t.schema}.${t.name.toUpperCase()}`, t.name.toLowerCase(), 'public.no_such_table']];
      for (const ref of refs) {
        const scoped = await loadCatalog(client, [], { tables: ref });
        expect(schemaDdl(scoped, ref), `${t.qualified} as ${ref.join(', ')}`).toBe(schemaDdl(full, ref));
      }
    }
    // Scoped indeed: a partition reads itself and its parent; a trigger's table its function, no other.
    const partition = await loadCatalog(client, [], { tables: ['Billing.Payment_2024'] });
    expect(partition.tables.map((t) => t.qualified)).toEqual(['Billing.Payment', 'Billing.Payment_2024']);
    expect(partition.views).toEqual([]);
    const event = await loadCatalog(client, [], { tables: ['app.Event'] });
    expect(event.functions.map((f) => f.qualified)).toEqual(['app.touch']);
    expect(schemaDdl(event, ['app.Event'])).toMatch(/CREATE OR REPLACE FUNCTION app\.touch\(\)/);
  }, 60_000);

  it('reads a table, trigger and trigger function created in the transaction, with no oid in the read before', async () => {
    await withRollback(client, async () => {
      await client.query(`CREATE TABLE public.audit_trail (id int PRIMARY KEY, at timestamptz DEFAULT now())`);
      await client.query(`CREATE FUNCTION public.audit_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.audit_trail VALUES (1); RETURN NEW; END $$`);
      await client.query(`CREATE TRIGGER audit_touch AFTER INSERT ON public.audit_trail FOR EACH ROW EXECUTE FUNCTION public.audit_touch()`);
      const refs = ['public.audit_trail'];
      const scoped = await loadCatalog(client, [], { tables: refs });
      const ddl = schemaDdl(scoped, refs);
      expect(ddl).toBe(schemaDdl(await loadCatalog(client), refs));
      expect(ddl).toMatch(/^CREATE TABLE public\.audit_trail \(/);
      expect(ddl).toMatch(/CREATE TRIGGER audit_touch AFTER INSERT ON public\.audit_trail/);
      expect(ddl).toMatch(/CREATE OR REPLACE FUNCTION public\.audit_touch\(\)/);
    });
  });

  it('reads around a table another session holds ACCESS EXCLUSIVE: it stays known by name, unopened, the others are read in full', async () => {
    const full = await loadCatalog(client);
    const [held, other] = full.tables.filter((t) => t.partitionOfOid === null && full.indexes.some((i) => i.tableOid === t.oid));
    const holder = new pg.Client({ connectionString: db.url, application_name: 'test-holder' });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${held!.schema}"."${held!.name}" IN ACCESS EXCLUSIVE MODE`);
      const refs = [held!.qualified, other!.qualified];
      const read = await withRollback(client, async () => {
        await client.query(`SET LOCAL lock_timeout = 200`);
        return loadCatalogAroundLocks(client, [], { tables: refs, statement: 'pgmend_scoped_test' });
      });
      expect(read.unopened).toEqual([held!.oid]);
      expect(tableByLabel(read.catalog, held!.qualified)?.columns.map((c) => c.name)).toEqual(held!.columns.map((c) => c.name));
      expect(read.catalog.indexes.filter((i) => i.tableOid === held!.oid)).toEqual([]);
      expect(schemaDdl(read.catalog, [other!.qualified])).toBe(schemaDdl(full, [other!.qualified]));
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
  });

  it('a plan\'s rehearsal diff shows a table the finding re-creates (a new oid), its trigger and the new trigger function', async () => {
    const sql = [
      `DROP TABLE public.notes`,
      `CREATE TABLE public.notes (id int PRIMARY KEY, body text NOT NULL)`,
      `CREATE FUNCTION public.notes_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
      `CREATE TRIGGER notes_touch BEFORE INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION public.notes_touch()`,
    ].join(';\n');
    const finding = { id: 'NOTES', title: 'notes again', severity: 'low', playbook: 'sql', params: { sql, tables: ['public.notes'] }, review: { status: 'approved', by: 'scoped test', at: '2026-12-05T12:00:00Z' } };
    for (const mode of ['window', 'online'] as const) {
      const plan = await planOf(db.url, { findings: [finding] }, { mode });
      const f = plan.findings[0]!;
      expect(f.rehearsal?.ok, `${mode}: ${f.rehearsal?.error ?? f.error}`).toBe(true);
      expect(f.diff).toMatch(/^-    body text,$/m);
      expect(f.diff).toMatch(/^\+    body text NOT NULL,$/m);
      expect(f.diff).toMatch(/^\+CREATE TRIGGER notes_touch BEFORE INSERT ON public\.notes/m);
      expect(f.diff).toMatch(/^\+CREATE OR REPLACE FUNCTION public\.notes_touch\(\)/m);
    }
  }, 120_000);
});
