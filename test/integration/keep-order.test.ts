import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDb, queryOnce } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { applyApi, makeTemplate, planFor } from '../support/apply-helpers.js';
import { rollbackRun } from '../../src/engine/rollback/rollback.js';
import { resolveTarget } from '../../src/db/connection.js';
import { loadCatalog, findTable } from '../../src/db/catalog.js';
import { keepOrdering } from '../../src/engine/plan/keep-order.js';
import { previewResolution } from '../../src/engine/plan/preview.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { parseFindingsText } from '../../src/findings/load.js';
import type { Resolution } from '../../src/findings/model.js';
import pg from 'pg';
import YAML from 'yaml';

/**
 * Keep oldest / newest of a duplicate group: what orders the rows. A random uuid key orders them
 * arbitrarily, so the engine says so and offers the table's creation timestamp; `orderBy` names a
 * column in any style (`"CreatedAt"`, a name with a space) and is quoted as a value — the kept row
 * is the oldest (or newest) by it, in the preview, in the applied fix, and rollback restores.
 */

// uuids chosen so that their order is the opposite of creation time within each group.
const SQL = String.raw`
CREATE SCHEMA app;
CREATE TABLE app."Ticket" (
  "Id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  "Code" text NOT NULL,
  "CreatedAt" timestamptz NOT NULL,
  "Inserted On" date,
  "UpdatedAt" timestamptz
);
INSERT INTO app."Ticket" VALUES
  ('00000000-0000-4000-8000-000000000001', 'A', '2024-03-01', '2024-03-01', '2024-01-01'),
  ('00000000-0000-4000-8000-000000000002', 'A', '2024-02-01', '2024-01-15', '2024-05-01'),
  ('00000000-0000-4000-8000-000000000003', 'A', '2024-01-01', '2024-02-01', '2024-04-01'),
  ('00000000-0000-4000-8000-000000000004', 'B', '2024-06-01', NULL, NULL),
  ('00000000-0000-4000-8000-000000000005', 'B', '2024-05-01', NULL, NULL),
  ('00000000-0000-4000-8000-000000000006', 'C', '2024-05-01', NULL, NULL);
CREATE TABLE app.serial_things (id serial PRIMARY KEY, name text, created_on date);
CREATE TABLE app.coded (code text PRIMARY KEY, "dateCreated" timestamp);
-- a time-ordered uuid default (uuidv7() on PostgreSQL 18; the extension's name elsewhere)
CREATE FUNCTION app.uuid_generate_v7() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()';
CREATE TABLE app.v7 (id uuid PRIMARY KEY DEFAULT app.uuid_generate_v7());
CREATE TABLE app.keyless (name text, "insertedAt" timestamptz);
`;

const unique = (id: string, resolution: Resolution) => ({
  id,
  title: id,
  severity: 'high',
  playbook: 'unique',
  params: { table: 'app.Ticket', columns: ['Code'] },
  resolution,
});

let template: { name: string; drop: () => Promise<void> };
let snapshots: string;

beforeAll(async () => {
  template = await makeTemplate(SQL);
  snapshots = await mkdtemp(path.join(os.tmpdir(), 'pgmend-keep-order-'));
});
afterAll(async () => {
  await template?.drop();
  if (snapshots) await rm(snapshots, { recursive: true, force: true });
});

async function preview(url: string, resolution: Resolution) {
  const playbooks = await loadPlaybooks();
  const [finding] = parseFindingsText(YAML.stringify({ findings: [unique('K-1', resolution)] }), 'findings.yaml', playbooks);
  return previewResolution(resolveTarget(url), playbooks, finding!, resolution, { mode: 'window', sampleSize: 5, lockTimeoutMs: 1000 });
}

/** Per group (Code), the Id of the row ranked 1 (kept). */
const kept = (ranked: Record<string, unknown>[] | undefined) =>
  Object.fromEntries((ranked ?? []).filter((r) => Number(r.pgmend_rank) === 1).map((r) => [r.Code as string, (r.Id as string).slice(-1)]));

describe('keep oldest / newest: the ordering column', () => {
  it('the catalog says which orders mean nothing and which timestamp to offer, in any naming style', async () => {
    const db = await createTestDb(template.name);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const catalog = await loadCatalog(client);
      const t = (name: string) => findTable(catalog, name)!;
      expect(keepOrdering(t('app.Ticket'))).toEqual({ by: ['Id'], random: 'a random uuid', timestamps: ['CreatedAt', 'Inserted On', 'UpdatedAt'], offer: 'CreatedAt' });
      expect(keepOrdering(t('app.Ticket'), '"CreatedAt"')).toEqual({ by: ['CreatedAt', 'Id'], timestamps: ['CreatedAt', 'Inserted On', 'UpdatedAt'] });
      expect(keepOrdering(t('app.Ticket'), 'Inserted On').random).toBeUndefined();
      // A uuid the reviewer chose is still random; a text column chosen is ordered as asked.
      expect(keepOrdering(t('app.Ticket'), 'Id').random).toBe('a random uuid');
      expect(keepOrdering(t('app.Ticket'), 'Code').random).toBeUndefined();
      expect(keepOrdering(t('app.serial_things'))).toEqual({ by: ['id'], timestamps: ['created_on'] });
      expect(keepOrdering(t('app.coded'))).toEqual({ by: ['code'], random: 'a text key, not a sequence', timestamps: ['dateCreated'], offer: 'dateCreated' });
      expect(keepOrdering(t('app.v7')).random).toBeUndefined();
      expect(keepOrdering(t('app.keyless'))).toMatchObject({ by: [], random: expect.stringMatching(/physical position \(ctid\)/), offer: 'insertedAt' });
    } finally {
      await client.end();
      await db.drop();
    }
  });

  it('the preview ranks each group as the fix will: by the uuid without orderBy, by "CreatedAt" with it, newest reversed', async () => {
    const db = await createTestDb(template.name);
    try {
      const byKey = await preview(db.url, { strategy: 'delete', keep: 'oldest' });
      expect(byKey.ordering).toMatchObject({ by: ['Id'], random: 'a random uuid', offer: 'CreatedAt' });
      expect(kept(byKey.ranked)).toEqual({ A: '1', B: '4' });
      expect(byKey.ranked!.map((r) => [r.pgmend_group, r.pgmend_rank].map(Number))).toEqual([[1, 1], [1, 2], [1, 3], [2, 1], [2, 2]]);

      const oldest = await preview(db.url, { strategy: 'delete', keep: 'oldest', orderBy: 'CreatedAt' });
      expect(oldest.ordering).toEqual({ by: ['CreatedAt', 'Id'], timestamps: ['CreatedAt', 'Inserted On', 'UpdatedAt'] });
      expect(kept(oldest.ranked)).toEqual({ A: '3', B: '5' });
      expect(oldest.rows).toBe(3);
      expect(oldest.sample.map((r) => (r.Id as string).slice(-1)).sort()).toEqual(['1', '2', '4']);

      const newest = await preview(db.url, { strategy: 'delete', keep: 'newest', orderBy: '"Inserted On"' });
      // NULLS LAST: group B has no date, so the key (descending) decides there.
      expect(kept(newest.ranked)).toEqual({ A: '1', B: '5' });

      // Nothing was deleted by previewing.
      expect(await queryOnce(db.url, `SELECT count(*)::int AS n FROM app."Ticket"`)).toEqual([{ n: 6 }]);
    } finally {
      await db.drop();
    }
  });

  it('an orderBy that is not a column of the table is an error naming the field, never SQL', async () => {
    const db = await createTestDb(template.name);
    try {
      const plan = await planFor(db.url, [unique('K-BAD', { strategy: 'delete', keep: 'oldest', orderBy: '"CreatedAt" DESC; DROP TABLE app.coded' })], 'window');
      expect(plan.findings[0]!.status).toBe('error');
      expect(plan.findings[0]!.error).toMatch(/^K-BAD\.resolution\.orderBy: /);
      expect(await queryOnce(db.url, `SELECT to_regclass('app.coded') IS NOT NULL AS ok`)).toEqual([{ ok: true }]);
    } finally {
      await db.drop();
    }
  });

  it.each(['window', 'online'] as const)('%s: apply keeps the oldest by "CreatedAt" in each group; rollback restores every row', async (mode) => {
    const db = await createTestDb(template.name);
    try {
      const before = await dbState(db.url);
      const plan = await planFor(db.url, [unique('K-APPLY', { strategy: 'delete', keep: 'oldest', orderBy: 'CreatedAt' })], mode);
      expect(plan.findings[0]!.status).toBe('resolved');
      const result = await applyApi(db.url, plan, snapshots);
      expect(result.status).toBe('committed');
      expect(await queryOnce(db.url, `SELECT "Code", right("Id"::text, 1) AS id FROM app."Ticket" ORDER BY 1`)).toEqual([
        { Code: 'A', id: '3' },
        { Code: 'B', id: '5' },
        { Code: 'C', id: '6' },
      ]);
      await rollbackRun(resolveTarget(db.url), result.runId!);
      const after = await dbState(db.url);
      expect(after.rows).toEqual(before.rows);
      expect(after.schema).toBe(before.schema);
    } finally {
      await db.drop();
    }
  });
});
