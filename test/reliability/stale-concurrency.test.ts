import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { type TestDb, withTestDb } from '../support/db.js';
import { dbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { SHOP_SQL, SHOP_FINDINGS, BLOCKING_SQL } from '../support/apply-shop.js';
import { makeTemplate, workDir, writeFindings, openWindow, cliPlan, expectOneLineError } from '../support/apply-helpers.js';
import { journalStatuses, startPaused } from './support/fault-run.js';
import { recordSection } from './support/figures.js';
import type { Mode, Plan } from '../../src/engine/plan/plan-model.js';

/**
 * Stale plans: what changed between plan and apply — new duplicates, violations, orphans, fewer of
 * them, a schema change — is refused and named, in both modes, and changes nothing.
 * Concurrency: two applies at once (one held at a known point of its run by the test seam): the
 * second is refused naming the first. A plan made while an apply runs works and sees committed
 * state only.
 */

let template: Awaited<ReturnType<typeof makeTemplate>>;
let work: Awaited<ReturnType<typeof workDir>>;
let findingsFile: string;
const stale: { mode: Mode; change: string; said: string }[] = [];
const concurrency: string[] = [];

beforeAll(async () => {
  template = await makeTemplate(SHOP_SQL);
  work = await workDir();
  findingsFile = await writeFindings(work.dir, SHOP_FINDINGS);
});

afterAll(async () => {
  await recordSection({
    id: 'stale-concurrency',
    title: 'Stale plans and concurrent sessions',
    headline: {},
    lines: [
      `${stale.length} stale plans refused, each naming what differs, nothing changed (checksums) and nothing journaled:`,
      '',
      '| mode | between plan and apply | apply says |',
      '|---|---|---|',
      ...stale.map((s) => `| ${s.mode} | ${s.change} | ${s.said.replace(/\|/g, '\\|')} |`),
      '',
      ...concurrency.map((c) => `- ${c}`),
    ],
  });
  await work?.remove();
  await template?.drop();
});

const withDb = (fn: (db: TestDb) => Promise<void>) => withTestDb(template.name, fn);

const snapshots = () => path.join(work.dir, 'snapshots');
const applyArgs = (db: TestDb, planFile: string, extra: string[] = []) => ['apply', '--db', db.url, '--plan', planFile, '--window', openWindow(), '--yes', '--snapshots', snapshots(), ...extra];

const STALE_CASES: { change: string; sql: string; expect: RegExp[] }[] = [
  {
    change: 'two rows that duplicate an existing email (ignoring case)',
    sql: `INSERT INTO members VALUES (20, 'CY@x.io', '2024-05-01'), (21, 'cy@X.IO', '2024-05-02')`,
    expect: [/SHOP-UQ duplicates: 5 rows in the plan, 8 now/, /SHOP-UQ duplicates: 2 groups in the plan, 3 now/],
  },
  {
    change: 'a negative price and a ticket in an unknown state',
    sql: `INSERT INTO prices VALUES (26, -3); INSERT INTO tickets VALUES (20, 'lost')`,
    expect: [/SHOP-CHK violations: 4 rows in the plan, 5 now/, /SHOP-AV violations: 3 rows in the plan, 4 now/],
  },
  {
    change: 'an orphan fixed by hand (fewer blocking rows)',
    sql: `INSERT INTO customers VALUES (901, 'late customer')`,
    expect: [/SHOP-FK orphans: 3 rows in the plan, 2 now/],
  },
  {
    change: 'a NULL nickname and a new orphan order',
    sql: `UPDATE profiles SET nickname = NULL WHERE id = 1; INSERT INTO orders VALUES (104, 999, 1)`,
    expect: [/SHOP-NN nulls: 2 rows in the plan, 3 now/, /SHOP-FK orphans: 3 rows in the plan, 4 now/],
  },
  {
    change: 'a column added to a table of the plan',
    sql: `ALTER TABLE prices ADD COLUMN currency text`,
    expect: [/schema changed since the plan: public\.prices: \+ currency text/],
  },
  {
    change: 'an index and a constraint created by someone else',
    sql: `CREATE INDEX events_kind_idx ON events (kind); ALTER TABLE tickets ADD CONSTRAINT tickets_id_positive CHECK (id > 0)`,
    expect: [/\+ ?CREATE INDEX events_kind_idx ON public\.events/, /public\.tickets: \+ CONSTRAINT tickets_id_positive CHECK \(\(id > 0\)\)/],
  },
  {
    change: 'a column type changed',
    sql: `ALTER TABLE members ALTER COLUMN email TYPE varchar(200)`,
    expect: [/schema changed since the plan: public\.members: - email text \| public\.members: \+ email character varying\(200\)/],
  },
];

describe('stale plans are refused, saying what differs', () => {
  // One plan per mode, made on a copy of the same template: same schema, same counts.
  const plans: Partial<Record<Mode, string>> = {};
  beforeAll(async () => {
    await withDb(async (db) => {
      for (const mode of ['window', 'online'] as const) plans[mode] = (await cliPlan(db.url, findingsFile, mode, work.dir, ['--no-rehearse'])).file;
    });
  });

  for (const mode of ['window', 'online'] as const) {
    it.each(STALE_CASES.map((c) => [c.change, c] as const))(`${mode} mode: %s`, async (_change, c) => {
      await withDb(async (db) => {
        const file = plans[mode]!;
        await db.query(c.sql);
        const before = await dbState(db.url);
        const r = await runCli(applyArgs(db, file));
        const line = expectOneLineError(r, 1, /^pgmend: refused: the plan is stale — .* — run plan again and review the new counts$/);
        for (const e of c.expect) expect(line).toMatch(e);
        expect(await dbState(db.url)).toEqual(before);
        expect(await journalStatuses(db.url)).toEqual([]);
        stale.push({ mode, change: c.change, said: line.replace(/^pgmend: /, '') });
      });
    });
  }
});

/** Counts of blocking rows now, independently of pgmend. */
async function blocking(db: TestDb, ids: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = Number((await db.query(BLOCKING_SQL[id]!)).rows[0]!.n);
  return out;
}

function planCounts(plan: Plan, ids: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of ids) {
    const f = plan.findings.find((x) => x.id === id)!;
    out[id] = f.checks.filter((c) => c.blocking || c.id === 'drift').reduce((a, c) => a + c.rows, 0);
  }
  return out;
}

describe('concurrency', () => {
  it.each([
    ['window', 'window'],
    ['window', 'online'],
    ['online', 'window'],
    ['online', 'online'],
  ] as const)('two applies at once (%s, then %s): the second is refused naming the first; the first commits', async (first, second) => {
    await withDb(async (db) => {
      const plans = { window: (await cliPlan(db.url, findingsFile, 'window', work.dir, ['--no-rehearse'])).file, online: (await cliPlan(db.url, findingsFile, 'online', work.dir, ['--no-rehearse'])).file };
      // The first is held at a known point: online, half-way (its first finding's rows deleted and
      // committed); window, right after its advisory lock (later, its table locks would keep the
      // test's own checksums waiting).
      const a = await startPaused(applyArgs(db, plans[first], ['--only', 'SHOP-FK,SHOP-CHK']), first === 'online' ? 'after-step:4' : 'after-lock');
      expect(a.reached).toBe(true);
      const { rows } = await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pgmend'`);
      expect(rows).toHaveLength(1);
      const before = await dbState(db.url);
      const b = await runCli(applyArgs(db, plans[second], ['--only', 'SHOP-IDX']));
      // Window mode is named by its backend; online mode, between its transactions, by its lease (the pgmend process).
      expectOneLineError(
        b,
        1,
        first === 'window'
          ? new RegExp(`^pgmend: refused: another pgmend apply is running \\(pid ${rows[0]!.pid}, application_name "pgmend"\\) — wait for it to finish`)
          : new RegExp(`^pgmend: refused: another pgmend apply is running: run 1 by [^@ ]+@[^ ]+ \\(pgmend process ${a.pid}, role postgres\\), last heartbeat \\d+ s ago — wait for it to finish`),
      );
      expect(await dbState(db.url), 'the refused apply changed nothing').toEqual(before);
      a.resume();
      const done = await a.done;
      expect(done.code, done.stderr).toBe(0);
      expect((await journalStatuses(db.url)).map((x) => x.status)).toEqual(['committed']);
      expect((await db.query(`SELECT to_regclass('events_kind_at_idx') AS ix`)).rows[0]!.ix).toBeNull();
      // And afterwards the second goes through (planned again: the first changed tables its plan covers).
      const again = await runCli(['apply', '--db', db.url, '--findings', findingsFile, '--mode', second, '--only', 'SHOP-IDX', '--window', openWindow(), '--yes', '--snapshots', snapshots()]);
      expect(again.code, again.stderr).toBe(0);
    });
    concurrency.push(`two applies at once (${first}, then ${second}): the second refused with the first's pid, changing nothing; the first committed; the second then applied`);
  });

  it('a plan during an online apply works and sees what is committed, not what is in flight', async () => {
    await withDb(async (db) => {
      const ids = ['SHOP-FK', 'SHOP-CHK', 'SHOP-UQ', 'SHOP-CNT'];
      const { file } = await cliPlan(db.url, findingsFile, 'online', work.dir, ['--no-rehearse']);
      // Paused inside a batch: SHOP-FK's orphans deleted and committed, SHOP-CHK's rows backed up, not yet changed.
      const a = await startPaused(applyArgs(db, file, ['--only', 'SHOP-FK,SHOP-CHK']), 'after-step:7');
      expect(a.reached).toBe(true);
      const during = path.join(work.dir, 'plan-during.json');
      const p = await runCli(['plan', '--db', db.url, '--findings', findingsFile, '--mode', 'online', '--format', 'json', '--out', during]);
      expect(p.code, p.stderr).toBe(0);
      const plan = JSON.parse(await readFile(during, 'utf8')) as Plan;
      const now = await blocking(db, ids);
      expect(now).toEqual({ 'SHOP-FK': 0, 'SHOP-CHK': 4, 'SHOP-UQ': 5, 'SHOP-CNT': 4 });
      expect(planCounts(plan, ids)).toEqual(now);
      expect(plan.findings.every((f) => f.status !== 'error')).toBe(true);
      a.resume();
      expect((await a.done).code).toBe(0);
    });
    concurrency.push('a plan (with rehearsal) made while an online apply was paused mid-run: exit 0, its counts equal the committed state counted independently (SHOP-FK orphans 0 after its committed resolution; SHOP-CHK still 4 while its backed-up rows were not yet changed)');
  });

  it('a plan during a window apply: never waits behind it by default, and with a long lock_timeout sees the committed result, never the transaction in flight', async () => {
    await withDb(async (db) => {
      const ids = ['SHOP-FK', 'SHOP-CHK'];
      const { file } = await cliPlan(db.url, findingsFile, 'window', work.dir, ['--no-rehearse']);
      const a = await startPaused(applyArgs(db, file, ['--only', 'SHOP-FK,SHOP-CHK']), 'before-commit');
      expect(a.reached).toBe(true);
      const t0 = performance.now();
      const quick = await runCli(['plan', '--db', db.url, '--findings', findingsFile, '--format', 'json']);
      // No statement waits past lock_timeout (1 s): the findings the apply's locks reach give up, one by one.
      expect(performance.now() - t0).toBeLessThan(20_000);
      // The findings on the tables the apply holds error, each naming the lock; none waited.
      expect(quick.code, quick.stderr).toBe(1);
      const held = quick.stderr.split('\n').filter((l) => /^pgmend: SHOP-[A-Z]+: /.test(l));
      expect(held.length, quick.stderr).toBeGreaterThan(0);
      for (const l of held) expect(l).toMatch(/^pgmend: SHOP-[A-Z]+: (lock not granted on public\.(orders|prices): another session holds it — pid \d+|.*a table it reads is locked by another session).*lock_timeout 1000 ms, not waited for — /);
      expect(quick.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

      const waiting = runCli(['plan', '--db', db.url, '--findings', findingsFile, '--format', 'json', '--lock-timeout', '30000', '--no-rehearse']);
      await new Promise((r) => setTimeout(r, 500));
      a.resume();
      expect((await a.done).code).toBe(0);
      const p = await waiting;
      expect(p.code, p.stderr).toBe(0);
      const plan = JSON.parse(p.stdout) as Plan;
      expect(planCounts(plan, ids)).toEqual(await blocking(db, ids));
      expect(plan.findings.filter((f) => ids.includes(f.id)).map((f) => f.status)).toEqual(['applied', 'applied']);
    });
    concurrency.push('a plan made while a window apply was paused before COMMIT: with the default lock_timeout it did not queue behind the apply (exit 1, the findings on the locked tables in error, each naming the lock); with a long one it waited, and once the apply committed it reported the committed result (both findings applied, counts equal to an independent count)');
  });
});
