import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import path from 'node:path';
import { createTestDb, type TestDb } from '../support/db.js';
import { runCli } from '../support/cli.js';
import { makeTemplate, workDir, writeFindings, openWindow, cliPlan, halfDone } from '../support/apply-helpers.js';
import type { Mode } from '../../src/engine/plan-model.js';

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

interface Latencies {
  count: number;
  max: number;
  p99: number;
  p50: number;
  errors: string[];
}

/** Single-row UPDATEs on their own connection, back to back, until stop() — each one timed. */
async function startWriter(url: string): Promise<{ stop: () => Promise<Latencies> }> {
  const c = new pg.Client({ connectionString: url, application_name: 'writer' });
  await c.connect();
  const ms: number[] = [];
  const errors: string[] = [];
  let running = true;
  let i = 0;
  const loop = (async () => {
    while (running) {
      const id = 1 + ((i++ * 7919) % ROWS);
      const t0 = performance.now();
      try {
        await c.query('UPDATE accounts SET note = $1 WHERE id = $2', [`w${i}`, id]);
      } catch (e) {
        errors.push((e as Error).message);
      }
      ms.push(performance.now() - t0);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await c.end();
      const sorted = [...ms].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      return { count: ms.length, max: sorted[sorted.length - 1]!, p99: at(0.99), p50: at(0.5), errors };
    },
  };
}

async function applyWithWriter(db: TestDb, mode: Mode): Promise<{ lat: Latencies; applyMs: number; code: number; stderr: string }> {
  const { file } = await cliPlan(db.url, findingsFile, mode, work.dir);
  const writer = await startWriter(db.url);
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
          `  online: ${on.lat.count} single-row UPDATEs during a ${fmt(on.applyMs)} ms apply — max ${fmt(on.lat.max)} ms, p99 ${fmt(on.lat.p99)} ms, p50 ${fmt(on.lat.p50)} ms\n` +
          `  window: ${win.lat.count} single-row UPDATEs during a ${fmt(win.applyMs)} ms apply — max ${fmt(win.lat.max)} ms, p99 ${fmt(win.lat.p99)} ms, p50 ${fmt(win.lat.p50)} ms`,
      );
      // The writer never failed, and ran throughout.
      expect(on.lat.errors).toEqual([]);
      expect(on.lat.count).toBeGreaterThan(100);
      expect(on.lat.max).toBeLessThan(LOCK_TIMEOUT_MS + 500);
      // The contrast: one transaction holds ACCESS EXCLUSIVE on accounts until COMMIT, after the 1.5 s statement.
      expect(win.lat.max).toBeGreaterThan(1500);
    } finally {
      await online.drop();
      await window.drop();
    }
  }, 180_000);
});
