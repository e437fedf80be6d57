import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import path from 'node:path';
import { createTestDb, type TestDb, withTestDb } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS, unresolved } from '../support/apply-shop.js';
import { makeTemplate, workDir, writeFindings, openWindow, closedWindow, cliPlan, cliJournal, expectOneLineError, withSession, waitForQuery, applyApi, planFor } from '../support/apply-helpers.js';
import { ADVISORY_KEY } from '../../src/engine/apply/apply.js';

/**
 * Every refusal changes nothing: schema and row checksums are the same before and after, the exit
 * code is 1 (2 for a usage error) and the reason is one line on stderr.
 */

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;
let resolvedFile: string;
let blockedFile: string;
let slowFile: string;

/** A hand-written statement that takes a while: the apply holds its lock meanwhile. */
const SLOW = { id: 'SHOP-SLOW', title: 'a slow statement', severity: 'low', playbook: 'sql', params: { sql: 'SELECT pg_sleep(3)' } };

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL);
  work = await workDir();
  resolvedFile = await writeFindings(work.dir, SHOP_FINDINGS, 'resolved.yaml');
  blockedFile = await writeFindings(work.dir, unresolved(SHOP_FINDINGS), 'blocked.yaml');
  slowFile = await writeFindings(work.dir, [...SHOP_FINDINGS, SLOW], 'slow.yaml');
});

afterAll(async () => {
  await template?.drop();
  await work?.remove();
});

const withDb = (fn: (db: TestDb) => Promise<void>) => withTestDb(template.name, fn);

const snapshots = () => path.join(work.dir, 'snapshots');
const apply = (db: TestDb, args: string[]) => runCli(['apply', '--db', db.url, '--snapshots', snapshots(), ...args]);

/** Runs the refused command and proves it changed nothing and journaled nothing. */
async function expectNothingChanged(db: TestDb, run: () => Promise<void>): Promise<void> {
  const before = await dbState(db.url);
  await run();
  expect(await dbState(db.url)).toEqual(before);
  expect((await cliJournal(db.url)).filter((r) => r.status !== 'failed')).toEqual([]);
}

function hhmm(d: Date): string {
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

describe('apply refuses, and changes nothing', () => {
  it('outside the maintenance window (daily HH:MM-HH:MM and ISO interval), before connecting', async () => {
    await withDb(async (db) => {
      const daily = `${hhmm(new Date(Date.now() + 2 * 3_600_000))}-${hhmm(new Date(Date.now() + 3 * 3_600_000))}`;
      for (const window of [daily, closedWindow()]) {
        for (const mode of ['window', 'online']) {
          await expectNothingChanged(db, async () => {
            const r = await apply(db, ['--findings', resolvedFile, '--mode', mode, '--window', window, '--yes']);
            expectOneLineError(r, 1, /^pgmend: refused: outside the maintenance window .* it opens in (1 h 5\d|2 h 0) min \(at .*\) — nothing was changed$/);
            expect(r.stderr.trim().split('\n')).toHaveLength(1);
          });
        }
      }
      // A window that is over says when it closed, never "opens in 0 s".
      const ended = `${new Date(Date.now() - 4 * 3_600_000).toISOString()}/${new Date(Date.now() - 3 * 3_600_000 - 60_000).toISOString()}`;
      let r = await apply(db, ['--findings', resolvedFile, '--window', ended, '--yes']);
      expectOneLineError(r, 1, /^pgmend: refused: outside the maintenance window \S+ — it closed 3 h ago — nothing was changed$/);
      r = await apply(db, ['--findings', resolvedFile, '--window', '2024-01-02T10:00:00Z/2024-01-02T12:00:00Z', '--yes']);
      expectOneLineError(r, 1, /— it closed on 2024-01-0[23] — nothing was changed$/);
      // Unreachable URL: the window is checked first, so the refusal does not depend on the server.
      r = await runCli(['apply', '--db', 'postgresql://nobody@127.0.0.1:1/none', '--findings', resolvedFile, '--window', closedWindow(), '--yes']);
      expectOneLineError(r, 1, /outside the maintenance window/);
    });
  });

  it('outside the window when the engine is called directly (the window may close after the CLI checked it)', async () => {
    await withDb(async (db) => {
      const plan = await planFor(db.url, SHOP_FINDINGS, 'window');
      await expectNothingChanged(db, async () => {
        const { parseWindow } = await import('../../src/engine/apply/maintenance-window.js');
        const r = await applyApi(db.url, plan, snapshots(), { window: parseWindow(closedWindow()) });
        expect(r).toMatchObject({ status: 'refused', runId: null, rowsChanged: 0 });
        expect(r.error).toMatch(/^refused: outside the maintenance window/);
      });
    });
  });

  it.each(['window', 'online'])('blocked findings (no resolution), in %s mode: none of the selection is applied', async (mode) => {
    await withDb(async (db) => {
      await expectNothingChanged(db, async () => {
        const r = await apply(db, ['--findings', blockedFile, '--mode', mode, '--window', openWindow(), '--yes']);
        const line = expectOneLineError(r, 1, /^pgmend: refused: 6 finding\(s\) cannot be applied: /);
        for (const part of ['SHOP-FK (3 orphans)', 'SHOP-UQ (5 duplicates)', 'SHOP-CHK (4 violations)', 'SHOP-AV (3 violations)', 'SHOP-NN (2 nulls)', 'SHOP-SM (2 invalid-states)']) {
          expect(line).toContain(part);
        }
        expect(line).toMatch(/— add a resolution to each blocked finding, or leave them out with --only SHOP-FK-SETNULL,SHOP-IDX,SHOP-CNT,SHOP-SQL$/);
      });
      // A ready finding next to a blocked one is not applied either.
      await expectNothingChanged(db, async () => {
        const r = await apply(db, ['--findings', blockedFile, '--mode', mode, '--only', 'SHOP-IDX,SHOP-FK', '--window', openWindow(), '--yes']);
        expectOneLineError(r, 1, /^pgmend: refused: 1 finding\(s\) cannot be applied: SHOP-FK \(3 orphans\)/);
      });
    });
  });

  it.each(['window', 'online'] as const)('a stale plan, %s mode: rows inserted after the plan', async (mode) => {
    await withDb(async (db) => {
      const { file } = await cliPlan(db.url, resolvedFile, mode, work.dir);
      await db.query(`INSERT INTO orders VALUES (104, 903, 1)`);
      await db.query(`INSERT INTO prices VALUES (26, -7), (27, -8)`);
      await expectNothingChanged(db, async () => {
        const r = await apply(db, ['--plan', file, '--window', openWindow(), '--yes']);
        const line = expectOneLineError(r, 1, /^pgmend: refused: the plan is stale — /);
        expect(line).toContain('SHOP-FK orphans: 3 rows in the plan, 4 now');
        expect(line).toContain('SHOP-CHK violations: 4 rows in the plan, 6 now');
        expect(line).toMatch(/— run plan again and review the new counts$/);
      });
      // Only the selected findings are rechecked: leaving the stale ones out applies the rest.
      const r = await apply(db, ['--plan', file, '--only', 'SHOP-IDX', '--window', openWindow(), '--yes']);
      expect(r.code, r.stderr).toBe(0);
    });
  });

  it.each(['window', 'online'] as const)('a stale plan, %s mode: a schema change after the plan', async (mode) => {
    await withDb(async (db) => {
      const { file } = await cliPlan(db.url, resolvedFile, mode, work.dir);
      await db.query(`ALTER TABLE orders ADD COLUMN note text`);
      await expectNothingChanged(db, async () => {
        // Also when only a finding on another table is selected: the plan as a whole was reviewed.
        for (const only of ['SHOP-FK', 'SHOP-IDX']) {
          const r = await apply(db, ['--plan', file, '--only', only, '--window', openWindow(), '--yes']);
          expectOneLineError(r, 1, /^pgmend: refused: the plan is stale — schema (of the tables involved )?changed since the plan/);
        }
      });
    });
  });

  it.each(['window', 'online'] as const)('a second apply while another holds the lock, %s mode: names the session holding it', async (mode) => {
    await withDb(async (db) => {
      // The same key held in another database does not count (advisory keys are per database).
      const other = await createTestDb(template.name);
      const elsewhere = new pg.Client({ connectionString: other.url, application_name: 'elsewhere' });
      await elsewhere.connect();
      await elsewhere.query(`SELECT pg_advisory_lock(hashtext($1))`, [ADVISORY_KEY]);
      await withSession(db.url, async (holder) => {
        const { rows } = await holder.query(`SELECT pg_backend_pid() AS pid, pg_advisory_lock(hashtext($1))`, [ADVISORY_KEY]);
        await expectNothingChanged(db, async () => {
          const r = await apply(db, ['--findings', resolvedFile, '--mode', mode, '--window', openWindow(), '--yes']);
          // An idle session holding the lock is no running apply: an orphaned (pooled) connection, and how to clear it.
          const orphaned = `^pgmend: refused: pgmend's lock is held by backend pid ${rows[0]!.pid}, idle for \\d+ s — an orphaned pooled connection .*application_name "pgmend-test" is only whoever used that backend last\\) — no pgmend is running there; clear it with: SELECT pg_terminate_backend\\(${rows[0]!.pid}\\);$`;
          expectOneLineError(r, 1, new RegExp(orphaned));
          // Nor can a rollback run meanwhile.
          const rb = await runCli(['rollback', '--db', db.url, '--run', '1', '--yes']);
          expectOneLineError(rb, 1, new RegExp(orphaned));
        });
      });
      await elsewhere.end();
      await other.drop();
    });
  });

  it.each([
    ['window', 'online'],
    ['online', 'window'],
  ] as const)('two applies at once (%s, then %s): the second is refused and changes nothing, the first commits', async (first, second) => {
    await withDb(async (db) => {
      const plans = {
        window: (await cliPlan(db.url, slowFile, 'window', work.dir, ['--no-rehearse'])).file,
        online: (await cliPlan(db.url, slowFile, 'online', work.dir, ['--no-rehearse'])).file,
      };
      const running = apply(db, ['--plan', plans[first], '--only', 'SHOP-CHK,SHOP-SLOW', '--window', openWindow(), '--yes']);
      const pid = await waitForQuery(db.url, /pg_sleep/);
      const r = await apply(db, ['--plan', plans[second], '--only', 'SHOP-IDX', '--window', openWindow(), '--yes']);
      // A window apply is named by its backend (it holds the lock for its one transaction); an online
      // one by its lease: the pgmend process, wherever its transactions run.
      expectOneLineError(r, 1, first === 'window' ? new RegExp(`^pgmend: refused: another pgmend apply is running \\(pid ${pid}, application_name "pgmend"\\)`) : LEASE_HELD);
      const done = await running;
      expect(done.code, done.stderr).toBe(0);
      const runs = await cliJournal(db.url);
      expect(runs.map((x) => [x.status, x.findings])).toEqual([['committed', ['SHOP-CHK', 'SHOP-SLOW']]]);
      expect((await db.query(`SELECT to_regclass('events_kind_at_idx') AS ix`)).rows[0]!.ix).toBeNull();
    });
  });

  it('no terminal and no --yes: refused, saying how to proceed', async () => {
    await withDb(async (db) => {
      await expectNothingChanged(db, async () => {
        const r = await apply(db, ['--findings', resolvedFile, '--window', openWindow()]);
        expectOneLineError(r, 1, /^pgmend: refused: no terminal to confirm in — review with pgmend plan, then run apply again with --yes$/);
      });
    });
  });

  it('--only naming an unknown finding is a usage error (exit 2)', async () => {
    await withDb(async (db) => {
      await expectNothingChanged(db, async () => {
        const r = await apply(db, ['--findings', resolvedFile, '--only', 'SHOP-FK,NOPE-1', '--window', openWindow(), '--yes']);
        expectOneLineError(r, 2, /^pgmend: --only: no finding "NOPE-1" in the plan — findings: SHOP-FK, /);
      });
    });
  });
});

const LEASE_HELD = /^pgmend: refused: another pgmend apply is running: run 1 by [^@ ]+@[^ ]+ \(pgmend process \d+, role postgres\), last heartbeat \d+ s ago — wait for it to finish/;
