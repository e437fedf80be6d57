import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createTestDb } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { SHOP_SQL } from '../support/apply-shop.js';
import { makeTemplate, workDir, writeFindings, openWindow, cliPlan, expectOneLineError, withSession, halfDone } from '../support/apply-helpers.js';
import { FAULT_FINDINGS } from './support/fault-matrix.js';
import { journalStatuses } from './support/fault-run.js';
import { startWriter, type WriterStats } from '../support/writer.js';
import { recordSection } from './support/figures.js';
import type { Mode } from '../../src/engine/plan/plan-model.js';

/**
 * Contention: a long transaction holds a lock on a table the apply must alter (prices). The apply
 * waits lock_timeout per try, backs off (doubling) between tries, and gives up after its retries
 * with one line naming the blocking session: its pid, its query and how long it has run. Meanwhile
 * application writers keep updating rows of that table and of a table the apply locked before it
 * (orders): each waits behind pgmend's lock request at most about one lock_timeout — pgmend never
 * holds a lock across its backoff. Measured, per single-row UPDATE.
 */

const LOCK_TIMEOUT_MS = 500;
const RETRIES = 3;
/** Tries of LOCK_TIMEOUT_MS with LOCK_TIMEOUT_MS × (1 + 2) of backoff between them. */
const GIVE_UP_MS = LOCK_TIMEOUT_MS * RETRIES + LOCK_TIMEOUT_MS * (2 ** (RETRIES - 1) - 1);
/** Scheduling slack on a loaded 2-core machine. */
const MARGIN_MS = 400;

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;
let findingsFile: string;
const measured: { mode: Mode; gaveUpMs: number; writers: WriterStats[] }[] = [];
let server = '';

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL);
  work = await workDir();
  findingsFile = await writeFindings(work.dir, FAULT_FINDINGS);
});

afterAll(async () => {
  const all = measured.flatMap((m) => m.writers);
  const worst = Math.max(0, ...all.map((w) => w.maxMs));
  await recordSection({
    id: 'contention',
    title: 'Contention: a long transaction holds the table',
    server,
    headline: { writerStallMs: worst, lockTimeoutMs: LOCK_TIMEOUT_MS },
    lines: [
      `A session holds ROW EXCLUSIVE on public.prices in an open transaction; the apply needs ACCESS EXCLUSIVE on it. lock_timeout ${LOCK_TIMEOUT_MS} ms, ${RETRIES} tries, backoff doubling from ${LOCK_TIMEOUT_MS} ms: the apply gives up after about ${GIVE_UP_MS} ms with one line naming the holder's pid, its query and how long it has run. Two writers run single-row UPDATEs throughout, on prices and on orders (which window mode locks before prices).`,
      '',
      '| mode | apply gave up after | writer | UPDATEs | max | p99 | p50 |',
      '|---|---|---|---|---|---|---|',
      ...measured.flatMap((m) => m.writers.map((w) => `| ${m.mode} | ${Math.round(m.gaveUpMs)} ms | ${w.table} | ${w.count} | ${w.maxMs.toFixed(1)} ms | ${w.p99Ms.toFixed(1)} ms | ${w.p50Ms.toFixed(1)} ms |`)),
      '',
      `Longest writer stall observed: ${worst.toFixed(1)} ms, against a lock_timeout of ${LOCK_TIMEOUT_MS} ms (asserted below ${LOCK_TIMEOUT_MS + MARGIN_MS} ms).`,
    ],
  });
  await work?.remove();
  await template?.drop();
});

describe('a long transaction holds a lock on the target table', () => {
  it.each(['window', 'online'] as const)('%s mode: gives up after lock_timeout × retries naming the blocker; writers never wait longer than lock_timeout', async (mode) => {
    const db = await createTestDb(template.name);
    try {
      server = String((await db.query('SHOW server_version')).rows[0]!.server_version);
      const { file } = await cliPlan(db.url, findingsFile, mode, work.dir);
      const before = await dbState(db.url);
      await withSession(
        db.url,
        async (holder) => {
          const { rows } = await holder.query('SELECT pg_backend_pid() AS pid');
          await holder.query('BEGIN');
          await holder.query('UPDATE prices SET amount = amount WHERE id = 1');
          await new Promise((r) => setTimeout(r, 1100)); // it has been running a while
          const writers = await Promise.all([
            startWriter(db.url, 'prices', Array.from({ length: 19 }, (_, i) => i + 2), 'amount = amount'),
            startWriter(db.url, 'orders', Array.from({ length: 30 }, (_, i) => i + 1), 'total = total'),
          ]);
          await new Promise((r) => setTimeout(r, 200));
          const t0 = performance.now();
          const r = await runCli(['apply', '--db', db.url, '--plan', file, '--window', openWindow(), '--yes', '--lock-timeout', String(LOCK_TIMEOUT_MS), '--lock-retries', String(RETRIES), '--snapshots', path.join(work.dir, 'snapshots')]);
          const gaveUpMs = performance.now() - t0;
          await new Promise((r) => setTimeout(r, 200));
          const stats = await Promise.all(writers.map((w) => w.stop()));
          measured.push({ mode, gaveUpMs, writers: stats });

          const line = expectOneLineError(r, 1, new RegExp(`could not get ACCESS EXCLUSIVE lock on public\\.prices after ${RETRIES} tries of ${LOCK_TIMEOUT_MS} ms; held by .*pid ${rows[0]!.pid} \\(pgmend-test, running \\d+ s: UPDATE prices SET amount = amount WHERE id = 1\\)`));
          expect(gaveUpMs).toBeGreaterThanOrEqual(GIVE_UP_MS);
          expect(gaveUpMs).toBeLessThan(GIVE_UP_MS + 8000);
          for (const w of stats) {
            expect(w.errors, w.table).toEqual([]);
            expect(w.count, w.table).toBeGreaterThan(20);
            expect(w.maxMs, `${mode}: writer on ${w.table} waited ${w.maxMs.toFixed(0)} ms`).toBeLessThan(LOCK_TIMEOUT_MS + MARGIN_MS);
          }
          // The writer on the held table did queue behind pgmend's lock request (the measurement sees it).
          expect(stats[0]!.maxMs).toBeGreaterThan(LOCK_TIMEOUT_MS / 4);
          await holder.query('ROLLBACK');

          if (mode === 'window') {
            expect(line).toMatch(/ — nothing was changed \(rolled back\)$/);
            expect(await dbState(db.url)).toEqual(before);
            expect((await journalStatuses(db.url)).map((x) => x.status)).toEqual(['failed']);
          } else {
            // The steps before prices committed; the run resumes once the holder is gone.
            expect(line).toMatch(/ — the steps before it are committed; resume with: pgmend apply --resume 1$/);
            const resumed = await runCli(['apply', '--db', db.url, '--resume', '1', '--window', openWindow(), '--yes', '--snapshots', path.join(work.dir, 'snapshots')]);
            expect(resumed.code, resumed.stderr).toBe(0);
            expect(await halfDone(db.url)).toEqual({ invalidIndexes: [], unvalidated: [] });
          }
        },
        'pgmend-test',
      );
    } finally {
      await db.drop();
    }
  }, 120_000);
});
