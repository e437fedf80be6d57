import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createTestDb, type TestDb } from '../support/db.js';
import { runCli } from '../support/cli.js';
import { startWriter, type WriterStats } from '../support/writer.js';
import { makeTemplate, workDir, writeFindings, openWindow, cliPlan, halfDone } from '../support/apply-helpers.js';
import type { Mode } from '../../src/engine/plan/plan-model.js';

/**
 * A writer updating rows of the target table while the fixes are applied. Online mode holds its
 * strong locks for catalog time only and gives up on a lock after lock_timeout, so the writer is
 * never blocked much longer than lock_timeout. The same fixes in window mode hold their locks
 * until COMMIT — the contrast proves the measurement sees blocking when there is some.
 */

const ROWS = 200_000;
const LOCK_TIMEOUT_MS = 500;

const BIG_SQL = `
CREATE TABLE regions (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO regions SELECT g, 'region ' || g FROM generate_series(1, 100) g;
CREATE TABLE accounts (id int PRIMARY KEY, region_id int NOT NULL, email text NOT NULL, balance numeric(12,2) NOT NULL, note text);
INSERT INTO accounts SELECT g, 1 + g % 100, 'user' || g || '@x.io', g % 1000, NULL FROM generate_series(1, ${ROWS}) g;
UPDATE accounts SET balance = -1 WHERE id % 4000 = 0;                          -- 50 violations
UPDATE accounts SET region_id = 999 WHERE id % 10000 = 1;                      -- 20 orphans
UPDATE accounts SET email = 'user' || (id - 1) || '@x.io' WHERE id % 6666 = 0; -- 30 duplicate pairs
ANALYZE accounts;
`;

const FINDINGS = [
  { id: 'BIG-CHK', title: 'negative balances', severity: 'high', playbook: 'check', params: { table: 'accounts', name: 'accounts_balance_nonneg', expression: 'balance >= 0' }, resolution: { strategy: 'update', set: { balance: 0 } } },
  { id: 'BIG-FK', title: 'accounts.region_id has no foreign key', severity: 'high', playbook: 'foreign-key', params: { table: 'accounts', columns: ['region_id'], references: { table: 'regions', columns: ['id'] }, onDelete: 'restrict' }, resolution: { strategy: 'delete' } },
  { id: 'BIG-UQ', title: 'emails are not unique', severity: 'high', playbook: 'unique', params: { table: 'accounts', columns: ['email'], name: 'accounts_email_key' }, resolution: { strategy: 'delete', keep: 'oldest', orderBy: 'id' } },
  // Hand-written SQL that takes a while, last: in window mode the locks of the fixes are held meanwhile.
  { id: 'BIG-SLOW', title: 'a slow reviewed statement', severity: 'low', playbook: 'sql', params: { sql: 'SELECT pg_sleep(1.5)' } },
];

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;
let findingsFile: string;

beforeAll(async () => {
  template = await makeTemplate(BIG_SQL);
  work = await workDir();
  findingsFile = await writeFindings(work.dir, FINDINGS);
}, 180_000);

afterAll(async () => {
  await template?.drop();
  await work?.remove();
});

async function applyWithWriter(db: TestDb, mode: Mode): Promise<{ lat: WriterStats; applyMs: number; code: number; stderr: string }> {
  const { file } = await cliPlan(db.url, findingsFile, mode, work.dir);
  // Rows spread over the table (a stride prime to its size), every update timed, no pause.
  const writer = await startWriter(db.url, 'accounts', Array.from({ length: ROWS }, (_, i) => 1 + ((i * 7919) % ROWS)), 'note = md5(note)', 0);
  await new Promise((r) => setTimeout(r, 300)); // the writer is in its stride before the apply starts
  const t0 = performance.now();
  const r = await runCli(['apply', '--db', db.url, '--plan', file, '--window', openWindow(), '--yes', '--lock-timeout', String(LOCK_TIMEOUT_MS), '--lock-retries', '20', '--snapshots', path.join(work.dir, 'snapshots')]);
  const applyMs = performance.now() - t0;
  const lat = await writer.stop();
  return { lat, applyMs, code: r.code, stderr: r.stderr };
}

const fmt = (n: number) => n.toFixed(1);

describe('a concurrent writer during apply', () => {
  it(`online mode: never blocked longer than lock_timeout (${LOCK_TIMEOUT_MS} ms) + margin; window mode blocks it`, async () => {
    const online = await createTestDb(template.name);
    const window = await createTestDb(template.name);
    try {
      const on = await applyWithWriter(online, 'online');
      expect(on.code, on.stderr).toBe(0);
      expect(await halfDone(online.url)).toEqual({ invalidIndexes: [], unvalidated: [] });
      expect((await online.query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'accounts'::regclass AND contype IN ('c', 'f') AND convalidated`)).rows[0]!.n).toBe(2);

      const win = await applyWithWriter(window, 'window');
      expect(win.code, win.stderr).toBe(0);

      console.log(
        `[writer-latency] PostgreSQL ${(await online.query('SHOW server_version')).rows[0]!.server_version}, ${ROWS} rows, lock_timeout ${LOCK_TIMEOUT_MS} ms\n` +
          `  online: ${on.lat.count} single-row UPDATEs during a ${fmt(on.applyMs)} ms apply — max ${fmt(on.lat.maxMs)} ms, p99 ${fmt(on.lat.p99Ms)} ms, p50 ${fmt(on.lat.p50Ms)} ms\n` +
          `  window: ${win.lat.count} single-row UPDATEs during a ${fmt(win.applyMs)} ms apply — max ${fmt(win.lat.maxMs)} ms, p99 ${fmt(win.lat.p99Ms)} ms, p50 ${fmt(win.lat.p50Ms)} ms`,
      );
      // The writer never failed, and ran throughout.
      expect(on.lat.errors).toEqual([]);
      expect(on.lat.count).toBeGreaterThan(100);
      expect(on.lat.maxMs).toBeLessThan(LOCK_TIMEOUT_MS + 500);
      // The contrast: one transaction holds ACCESS EXCLUSIVE on accounts until COMMIT, after the 1.5 s statement.
      expect(win.lat.maxMs).toBeGreaterThan(1500);
    } finally {
      await online.drop();
      await window.drop();
    }
  }, 180_000);
});
