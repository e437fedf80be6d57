import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import path from 'node:path';
import { createTestDb } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS } from '../support/apply-shop.js';
import { makeTemplate, workDir, writeFindings, openWindow, cliPlan, withSession, waitForQuery, expectOneLineError } from '../support/apply-helpers.js';

/**
 * Window mode and application sessions: a session that touches a row the apply has already
 * locked (a resolution backs rows up FOR UPDATE) waits on that row while holding its own table
 * lock — so an apply that took its strong table locks only later, at the DDL, would wait for a
 * session that waits for it, time out, retry and fail. The apply takes the table locks its steps
 * need up front (lock_timeout, retried), before it changes anything; sessions then wait for the
 * commit. And a lock it cannot get at all fails the run cleanly, naming the holder.
 */

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL);
  work = await workDir();
});

afterAll(async () => {
  await template?.drop();
  await work?.remove();
});

describe('window mode and concurrent sessions', () => {
  it('a session updating a row the resolution locked waits for the commit; the apply does not wait for it', async () => {
    const db = await createTestDb(template.name);
    try {
      // The orphan deletes are slow (a trigger), so the session arrives while the resolution holds the rows.
      await db.query(`CREATE FUNCTION slow_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.4); RETURN OLD; END $$;
                      CREATE TRIGGER slow_delete BEFORE DELETE ON orders FOR EACH ROW EXECUTE FUNCTION slow_delete()`);
      const file = await writeFindings(work.dir, SHOP_FINDINGS, 'locks.yaml');
      const { file: planFile } = await cliPlan(db.url, file, 'window', work.dir, ['--no-rehearse']);
      const running = runCli(['apply', '--db', db.url, '--plan', planFile, '--only', 'SHOP-FK', '--window', openWindow(), '--yes', '--lock-timeout', '200', '--lock-retries', '3', '--snapshots', path.join(work.dir, 'snapshots')]);
      await waitForQuery(db.url, /^DELETE FROM public\.orders/);
      const session = await withSession(db.url, async (c) => {
        const t0 = performance.now();
        const r = await c.query(`UPDATE orders SET total = total + 1 WHERE id IN (101, 1)`);
        return { rows: r.rowCount, ms: performance.now() - t0 };
      });
      const r = await running;
      expect(r.code, r.stderr).toBe(0);
      // The session waited for the commit, then found the orphan gone and updated order 1.
      expect(session.rows).toBe(1);
      expect(session.ms).toBeGreaterThan(100);
      expect((await db.query(`SELECT convalidated FROM pg_constraint WHERE conname = 'orders_customer_id_fkey'`)).rows).toEqual([{ convalidated: true }]);
    } finally {
      await db.drop();
    }
  });

  it('a lock held by another session for the whole run: refused after lock_timeout × retries, naming the holder; nothing changed', async () => {
    const db = await createTestDb(template.name);
    try {
      const file = await writeFindings(work.dir, SHOP_FINDINGS, 'locks-held.yaml');
      const { file: planFile } = await cliPlan(db.url, file, 'window', work.dir);
      const before = await dbState(db.url);
      // A clone of the same template has the same relation OIDs: its locks are not this database's.
      const other = await createTestDb(template.name);
      const elsewhere = new pg.Client({ connectionString: other.url, application_name: 'elsewhere' });
      await elsewhere.connect();
      await elsewhere.query('BEGIN');
      await elsewhere.query('LOCK TABLE prices IN ROW EXCLUSIVE MODE');
      await withSession(db.url, async (holder) => {
        const { rows } = await holder.query('SELECT pg_backend_pid() AS pid');
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE prices IN ROW EXCLUSIVE MODE');
        const t0 = Date.now();
        const r = await runCli(['apply', '--db', db.url, '--plan', planFile, '--window', openWindow(), '--yes', '--lock-timeout', '200', '--lock-retries', '3', '--snapshots', path.join(work.dir, 'snapshots')]);
        expect(Date.now() - t0).toBeGreaterThanOrEqual(1200);
        const line = expectOneLineError(r, 1, new RegExp(`could not get ACCESS EXCLUSIVE lock on public\\.prices after 3 tries of 200 ms; held by pid ${rows[0]!.pid} \\(pgmend-test, .*\\) — nothing was changed \\(rolled back\\)$`));
        expect(line.match(/pid \d+/g)).toHaveLength(1);
        await holder.query('ROLLBACK');
      });
      await elsewhere.end();
      await other.drop();
      expect(await dbState(db.url)).toEqual(before);
    } finally {
      await db.drop();
    }
  });
});
