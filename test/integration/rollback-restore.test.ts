import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createTestDb, type TestDb, withTestDb } from '../support/db.js';
import { dbState, type DbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS, SHOP_ROWS } from '../support/apply-shop.js';
import { FAULTS_SQL, armFault } from '../support/apply-faults.js';
import { makeTemplate, workDir, writeFindings, openWindow, cliPlan, cliJournal, expectOneLineError, applyApi, planFor, runSteps } from '../support/apply-helpers.js';

/**
 * Rollback puts schema and rows back byte for byte (schema + row checksums): deleted rows, updated
 * rows, rows a set-null resolution cleared, a foreign key whose ON DELETE rule changed to SET NULL
 * (and the NOT NULL that change dropped), a counter repair — in both modes, and for an online run
 * interrupted half-way. It refuses what it cannot do safely, changing nothing.
 */

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;

/** delete, update, set-null resolutions; the FK rule change that drops NOT NULL; a counter repair. */
const MIX = ['SHOP-FK', 'SHOP-CHK', 'SHOP-AV', 'SHOP-FK-SETNULL', 'SHOP-CNT'];

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL + FAULTS_SQL);
  work = await workDir();
});

afterAll(async () => {
  await template?.drop();
  await work?.remove();
});

const snapshots = () => path.join(work.dir, 'snapshots');
const apply = (db: TestDb, args: string[]) => runCli(['apply', '--db', db.url, '--window', openWindow(), '--yes', '--snapshots', snapshots(), ...args]);
const rollback = (db: TestDb, args: string[]) => runCli(['rollback', '--db', db.url, ...args]);

const withDb = (fn: (db: TestDb) => Promise<void>) => withTestDb(template.name, fn);

function userState(s: DbState): DbState {
  const { ['fault.config']: _armed, ...rows } = s.rows;
  return { schema: s.schema, rows };
}

describe('rollback restores schema and rows byte for byte', () => {
  it.each(['window', 'online'])('%s mode: deletions, updates, set-null, an FK rule change that dropped NOT NULL, a counter repair', async (mode) => {
    await withDb(async (db) => {
      const file = await writeFindings(work.dir, SHOP_FINDINGS, `all-${mode}.yaml`);
      const before = await dbState(db.url);
      const r = await apply(db, ['--findings', file, '--mode', mode, '--only', MIX.join(',')]);
      expect(r.code, r.stderr).toBe(0);
      const rows = MIX.reduce((a, id) => a + SHOP_ROWS[id]!, 0);
      expect(r.stdout).toContain(`applied 5 finding(s), ${rows} row(s) changed and backed up — journal run 1`);
      expect(r.stdout).toContain('undo with: pgmend rollback --run 1');

      // Applied: the NOT NULL is gone, the rows changed.
      expect((await db.query(`SELECT attnotnull FROM pg_attribute WHERE attrelid = 'invoices'::regclass AND attname = 'customer_id'`)).rows[0]!.attnotnull).toBe(false);
      const { backups } = await runSteps(db.url, 1);
      expect(Object.fromEntries(backups.filter((b) => b.rows > 0).map((b) => [b.finding_id, [b.change, b.rows]]))).toEqual({
        'SHOP-FK': ['delete', 3],
        'SHOP-CHK': ['update', 4],
        'SHOP-AV': ['update', 3],
        'SHOP-CNT': ['update', 4],
      });
      expect(await dbState(db.url)).not.toEqual(before);

      const rb = await rollback(db, ['--run', '1', '--yes']);
      expect(rb.code, rb.stderr).toBe(0);
      expect(rb.stdout).toMatch(new RegExp(`^rolled back run 1: \\d+ statement\\(s\\), ${rows} row\\(s\\) restored\\n$`));
      expect(await dbState(db.url)).toEqual(before);
      expect((await db.query(`SELECT attnotnull FROM pg_attribute WHERE attrelid = 'invoices'::regclass AND attname = 'customer_id'`)).rows[0]!.attnotnull).toBe(true);

      const runs = await cliJournal(db.url);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ id: 1, status: 'rolled-back', rowsChanged: rows });
      expect(runs[0]!.rolledBackAt).toMatch(/^\d{4}-\d\d-\d\dT/);

      // The findings are open again, and can be applied again.
      const again = await planFor(db.url, SHOP_FINDINGS.filter((f) => MIX.includes(f.id)), mode as 'window' | 'online');
      expect(Object.fromEntries(again.findings.map((f) => [f.id, f.status]))).toEqual({ 'SHOP-FK': 'resolved', 'SHOP-CHK': 'resolved', 'SHOP-AV': 'resolved', 'SHOP-FK-SETNULL': 'ready', 'SHOP-CNT': 'ready' });
      const re = await apply(db, ['--findings', file, '--mode', mode, '--only', MIX.join(',')]);
      expect(re.code, re.stderr).toBe(0);
      expect(re.stdout).toContain(`applied 5 finding(s), ${rows} row(s) changed and backed up — journal run 2`);
    });
  });

  it('every finding at once (all playbooks), window mode: rollback restores exactly', async () => {
    await withDb(async (db) => {
      const file = await writeFindings(work.dir, SHOP_FINDINGS, 'all.yaml');
      const before = await dbState(db.url);
      expect((await apply(db, ['--findings', file])).code).toBe(0);
      const rb = await rollback(db, ['--run', '1', '--yes']);
      expect(rb.code, rb.stderr).toBe(0);
      expect(await dbState(db.url)).toEqual(before);
    });
  });

  it('an online run interrupted half-way (at several points) rolls back to the state before it', async () => {
    const plan = await withPlan();
    // Which point falls after the first committed change depends on how many statements apply
    // runs before it (journal, lease, backups), so the points are not tied to it; at least half of
    // them must interrupt a run that had already changed the shop's rows, or the test proves little.
    let changedBeforeFault = 0;
    const points = [4, 12, 20, 28, 36, 44, 52, 60];
    for (const k of points) {
      await withDb(async (db) => {
        const before = userState(await dbState(db.url));
        await armFault(db, k);
        const r = await applyApi(db.url, plan, snapshots());
        expect(r.status).toBe('failed');
        await armFault(db, 0);
        if (r.runId === null) return;
        if (JSON.stringify(userState(await dbState(db.url))) !== JSON.stringify(before)) changedBeforeFault++;
        const rb = await rollback(db, ['--run', String(r.runId), '--yes']);
        expect(rb.code, `point ${k}: ${rb.stderr}`).toBe(0);
        expect(userState(await dbState(db.url)), `point ${k}`).toEqual(before);
      });
    }
    expect(changedBeforeFault, 'interrupted runs that had changed rows before the fault').toBeGreaterThanOrEqual(points.length / 2);
  });
});

async function withPlan() {
  const db = await createTestDb(template.name);
  try {
    return await planFor(db.url, SHOP_FINDINGS, 'online');
  } finally {
    await db.drop();
  }
}

describe('rollback refuses, changing nothing', () => {
  const onPrices = { id: 'SHOP-IDX2', title: 'prices by amount', severity: 'low', playbook: 'index', params: { table: 'prices', columns: ['amount'], name: 'prices_amount_idx' } };

  it('a later run touched the same tables: refused unless --force; in order it restores exactly', async () => {
    await withDb(async (db) => {
      const file = await writeFindings(work.dir, [...SHOP_FINDINGS, onPrices], 'later.yaml');
      const before = await dbState(db.url);
      expect((await apply(db, ['--findings', file, '--only', 'SHOP-CHK'])).code).toBe(0);
      const middle = await dbState(db.url);
      expect((await apply(db, ['--findings', file, '--only', 'SHOP-IDX2'])).code).toBe(0);
      const after = await dbState(db.url);

      expectOneLineError(await rollback(db, ['--run', '1', '--yes']), 1, /^pgmend: refused: later run\(s\) 2 touched the same tables as run 1 — roll those back first, or pass --force to roll back anyway$/);
      expect(await dbState(db.url)).toEqual(after);

      expect((await rollback(db, ['--run', '2', '--yes'])).code).toBe(0);
      expect(await dbState(db.url)).toEqual(middle);
      expect((await rollback(db, ['--run', '1', '--yes'])).code).toBe(0);
      expect(await dbState(db.url)).toEqual(before);
    });
  });

  it('--force rolls back an earlier run under a later one; the later run stays in place', async () => {
    await withDb(async (db) => {
      const file = await writeFindings(work.dir, [...SHOP_FINDINGS, onPrices], 'later-force.yaml');
      expect((await apply(db, ['--findings', file, '--only', 'SHOP-CHK'])).code).toBe(0);
      expect((await apply(db, ['--findings', file, '--only', 'SHOP-IDX2'])).code).toBe(0);
      const rb = await rollback(db, ['--run', '1', '--yes', '--force']);
      expect(rb.code, rb.stderr).toBe(0);
      expect((await db.query(`SELECT count(*)::int AS n FROM prices WHERE amount < 0`)).rows[0]!.n).toBe(4);
      expect((await db.query(`SELECT to_regclass('prices_amount_nonneg') AS c, to_regclass('prices_amount_idx') IS NOT NULL AS ix`)).rows[0]).toEqual({ c: null, ix: true });
      expect((await cliJournal(db.url)).map((r) => r.status)).toEqual(['rolled-back', 'committed']);
    });
  });

  it('rows changed since the run (the new SET NULL rule was used): refused, nothing changed', async () => {
    await withDb(async (db) => {
      const file = await writeFindings(work.dir, SHOP_FINDINGS, 'used.yaml');
      expect((await apply(db, ['--findings', file, '--only', 'SHOP-FK-SETNULL'])).code).toBe(0);
      await db.query(`DELETE FROM orders WHERE customer_id = 3; DELETE FROM customers WHERE id = 3`);
      const used = await dbState(db.url);
      const r = await rollback(db, ['--run', '1', '--yes']);
      expectOneLineError(r, 1, /^pgmend: rollback of run 1 failed: .*customer_id.* — nothing was changed$/);
      expect(await dbState(db.url)).toEqual(used);
      expect((await cliJournal(db.url)).map((x) => x.status)).toEqual(['committed']);
    });
  });

  it('unknown, already rolled back, failed runs; no journal; no terminal', async () => {
    await withDb(async (db) => {
      const before = await dbState(db.url);
      expectOneLineError(await rollback(db, ['--run', '5', '--yes']), 1, /^pgmend: no run 5: this database has no pgmend journal — see pgmend journal$/);
      expectOneLineError(await rollback(db, ['--yes']), 2, /^pgmend: --run is required/);
      expectOneLineError(await rollback(db, ['--run', 'x', '--yes']), 2, /^pgmend: --run: expected a whole number/);
      expect(await dbState(db.url)).toEqual(before);

      const file = await writeFindings(work.dir, SHOP_FINDINGS, 'misc.yaml');
      expect((await apply(db, ['--findings', file, '--only', 'SHOP-CHK'])).code).toBe(0);
      const applied = await dbState(db.url);
      expectOneLineError(await rollback(db, ['--run', '9', '--yes']), 1, /^pgmend: no run 9 in the journal — see pgmend journal for run ids$/);
      expectOneLineError(await rollback(db, ['--run', '1']), 1, /^pgmend: refused: no terminal to confirm in — run again with --yes$/);
      expect(await dbState(db.url)).toEqual(applied);

      expect((await rollback(db, ['--run', '1', '--yes'])).code).toBe(0);
      const rolled = await dbState(db.url);
      expectOneLineError(await rollback(db, ['--run', '1', '--yes']), 1, /^pgmend: run 1 is already rolled back$/);

      // A failed window run changed nothing, so there is nothing to roll back.
      await db.query(`INSERT INTO prices VALUES (99, -1)`);
      const { file: planFile } = await cliPlan(db.url, file, 'window', work.dir);
      await armFault(db, 1, 'UPDATE public.prices');
      const failed = await apply(db, ['--plan', planFile, '--only', 'SHOP-CHK']);
      expect(failed.code).toBe(1);
      await armFault(db, 0);
      const state = await dbState(db.url);
      expect(state).not.toEqual(rolled);
      const failedRun = (await cliJournal(db.url)).find((x) => x.status === 'failed')!;
      expect(failedRun.error).toMatch(/fault injected at point 1: UPDATE public\.prices — nothing was changed \(rolled back\)$/);
      expectOneLineError(await rollback(db, ['--run', String(failedRun.id), '--yes']), 1, new RegExp(`^pgmend: run ${failedRun.id} failed and changed nothing: there is nothing to roll back$`));
      expect(userState(await dbState(db.url))).toEqual(userState(state));
    });
  });
});

describe('rows a resolution would change beyond what it backs up', () => {
  it.each(['window', 'online'])('%s mode: a delete that ON DELETE CASCADE / SET NULL would carry into other tables is refused at plan time; nothing changes', async (mode) => {
    await withDb(async (db) => {
      // Member 2 is a duplicate the unique resolution deletes; its notes would go with it, its
      // referral link would be cleared — rows pgmend does not back up, so rollback could not restore them.
      await db.query(`CREATE TABLE member_notes (id int PRIMARY KEY, member_id int NOT NULL REFERENCES members (id) ON DELETE CASCADE, body text);
                      INSERT INTO member_notes VALUES (1, 2, 'vip'), (2, 1, 'first');
                      CREATE TABLE referrals (id int PRIMARY KEY, member_id int REFERENCES members (id) ON DELETE SET NULL);
                      INSERT INTO referrals VALUES (1, 3)`);
      const file = await writeFindings(work.dir, SHOP_FINDINGS, `cascade-${mode}.yaml`);
      const before = await dbState(db.url);
      const r = await apply(db, ['--findings', file, '--mode', mode, '--only', 'SHOP-UQ']);
      expectOneLineError(r, 1, /^pgmend: refused: 1 finding\(s\) cannot be applied: SHOP-UQ \(error: .*public\.member_notes.*\)/);
      expect(await dbState(db.url)).toEqual(before);

      // An update resolution is fine: it deletes nothing.
      const upd = SHOP_FINDINGS.map((f) => (f.id === 'SHOP-UQ' ? { ...f, resolution: { strategy: 'update', keep: 'oldest', orderBy: 'created_at', set: { email: null } } } : f));
      const ok = await apply(db, ['--findings', await writeFindings(work.dir, upd, `cascade-upd-${mode}.yaml`), '--mode', mode, '--only', 'SHOP-UQ']);
      expect(ok.code, ok.stderr).toBe(0);
      expect((await rollback(db, ['--run', '1', '--yes'])).code).toBe(0);
      expect(await dbState(db.url)).toEqual(before);
    });
  });
});

