import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../support/db.js';
import { scanDatabase } from '../../src/engine/scan/scan.js';
import { resolveTarget } from '../../src/db/connection.js';
import type { ScanResult } from '../../src/engine/scan/model.js';

/**
 * A small parent's keys are read once per scan, from its key's index, and bound to every orphan
 * probe as an array (parent-keys.ts): the orphan counts are those of the parent itself — a padded
 * char key, NULLs among the values, an empty parent — read or sampled, and the parent's table is
 * not scanned by the probes.
 */
describe('scan: small parents’ keys bound once', () => {
  let db: TestDb;
  const scan = (sampleAboveRows?: number): Promise<ScanResult> =>
    scanDatabase({ target: resolveTarget(db.url), statementTimeoutMs: 60_000, ...(sampleAboveRows ? { thresholds: { sampleAboveRows, sampleRows: 50 } } : {}) });
  const orphans = (r: ScanResult, column: string) => {
    const f = r.findings.filter((x) => x.id.startsWith('IMPLIEDFK') && x.title.startsWith(`shipment.${column} `));
    expect(f, column).toHaveLength(1);
    return Number(/(\d+) orphan/.exec(f[0]!.evidence)![1]);
  };

  beforeAll(async () => {
    db = await createTestDb();
    await db.query(`
      CREATE TABLE region (id varchar(8) PRIMARY KEY);
      CREATE TABLE zone (zone_code char(3) PRIMARY KEY);
      CREATE TABLE depot (id int PRIMARY KEY);
      CREATE TABLE shipment (id int PRIMARY KEY, region_id varchar(8), zone_code char(3), depot_id int);
      INSERT INTO region VALUES ('north'), ('south'), ('east'), ('west');
      INSERT INTO zone VALUES ('a'), ('bb'), ('ccc');
      -- 400 rows: region_id NULL on every 10th, 'nowhere' (an orphan) on 7; zone_code 'a' stored padded, 'zz' an orphan on 5.
      INSERT INTO shipment SELECT i,
        CASE WHEN i % 10 = 0 THEN NULL WHEN i <= 7 THEN 'nowhere' ELSE (ARRAY['north', 'south', 'east', 'west'])[1 + i % 4] END,
        CASE WHEN i > 395 THEN 'zz' ELSE (ARRAY['a', 'bb', 'ccc'])[1 + i % 3] END,
        NULL
      FROM generate_series(1, 400) i;
      ANALYZE;`);
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('orphans counted against the bound keys, read in full or sampled and recounted; the parents not scanned by the probes', async () => {
    const stats = async () => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        const { rows } = await c.query<{ relname: string; seq: string; idx: string }>(`SELECT relname, seq_scan AS seq, coalesce(idx_scan, 0) AS idx FROM pg_stat_user_tables WHERE relname IN ('region', 'zone')`);
        return Object.fromEntries(rows.map((r) => [r.relname, { seq: Number(r.seq), idx: Number(r.idx) }]));
      } finally {
        await c.end();
      }
    };
    const before = await stats();
    const full = await scan();
    expect(orphans(full, 'region_id')).toBe(7);
    expect(orphans(full, 'zone_code')).toBe(5);
    // depot is empty: every depot_id is NULL, nothing to propose, and no error.
    expect(full.notes.filter((n) => n.rule === 'data-rules-skipped')).toEqual([]);
    const sampled = await scan(100);
    expect(orphans(sampled, 'region_id')).toBe(7);
    expect(orphans(sampled, 'zone_code')).toBe(5);
    // Statistics reach pg_stat_user_tables when the scan's sessions end: wait for the index reads.
    let after = await stats();
    for (let i = 0; i < 50 && after.region!.idx < before.region!.idx + 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await stats();
    }
    expect(after.region!.idx).toBeGreaterThanOrEqual(before.region!.idx + 2);
    expect(after.region!.seq).toBe(before.region!.seq);
    expect(after.zone!.seq).toBe(before.zone!.seq);
  }, 120_000);
});
