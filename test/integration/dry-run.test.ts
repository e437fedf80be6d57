import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import path from 'node:path';
import { createTestDb, type TestDb } from '../support/db.js';
import { dbState, type DbState } from '../support/checksum.js';
import { runCli } from '../support/cli.js';
import { ACTORHUB, planOf } from '../support/plan-engine.js';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';

/**
 * `plan` is a dry run: whatever the format and mode, with resolutions rehearsed (deletes, updates,
 * backups into `pgmend`, DDL), the database afterwards is exactly what it was. And a rehearsal
 * never queues behind another session's lock: it gives up after lock_timeout and says so.
 */

const RESOLVED = path.join(ACTORHUB, 'findings-resolved.yaml');

/** stderr lines that are errors: not progress (`…`) and not the closing summary. */
function errorLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() && !l.endsWith('…') && !/^pgmend: \d+ findings?: /.test(l));
}

async function pgmendSchemaExists(db: TestDb): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'pgmend'");
  return rows.length > 0;
}

describe('plan never changes the database', () => {
  let db: TestDb;
  let before: DbState;

  beforeAll(async () => {
    db = await createTestDb('tpl_actorhub');
    before = await dbState(db.url, { includePgmend: true });
    expect(await pgmendSchemaExists(db)).toBe(false);
  });

  afterAll(async () => {
    await db?.drop();
  });

  const runs: [string, string[]][] = [
    ['md, window', ['--format', 'md', '--mode', 'window']],
    ['json, window', ['--format', 'json', '--mode', 'window']],
    ['sql, window', ['--format', 'sql', '--mode', 'window']],
    ['md, online', ['--format', 'md', '--mode', 'online']],
    ['json, online', ['--format', 'json', '--mode', 'online']],
    ['sql, online', ['--format', 'sql', '--mode', 'online']],
    ['json, --no-rehearse', ['--format', 'json', '--no-rehearse']],
  ];

  it.each(runs)('plan --findings findings-resolved.yaml (%s): exit 0, database identical, no pgmend schema', async (_, args) => {
    const r = await runCli(['plan', '--db', db.url, '--findings', RESOLVED, ...args]);
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1000);
    if (args.includes('json') && !args.includes('--no-rehearse')) {
      // It did rehearse the resolutions (backups into pgmend, deletes, updates) — and rolled them back.
      const plan = JSON.parse(r.stdout) as { findings: FindingPlan[] };
      const resolved = plan.findings.filter((f) => f.status === 'resolved');
      expect(resolved).toHaveLength(35);
      for (const f of resolved) {
        expect(f.rehearsal?.ok, `${f.id}: ${f.rehearsal?.error}`).toBe(true);
        expect(f.rehearsal!.rowCounts.some((n) => n > 0), f.id).toBe(true);
      }
    }
    expect(await dbState(db.url, { includePgmend: true })).toEqual(before);
    expect(await pgmendSchemaExists(db)).toBe(false);
    const { rows: prepared } = await db.query('SELECT gid FROM pg_prepared_xacts');
    expect(prepared).toEqual([]);
  });
});

describe('rehearsal and locks held by another session', () => {
  let db: TestDb;
  let other: pg.Client;

  beforeAll(async () => {
    db = await createTestDb('tpl_actorhub');
  });

  afterAll(async () => {
    await other?.end().catch(() => {});
    await db?.drop();
  });

  async function holdLock(mode: string): Promise<pg.Client> {
    other = new pg.Client({ connectionString: db.url });
    await other.connect();
    await other.query('BEGIN');
    await other.query(`LOCK TABLE licenses IN ${mode} MODE`);
    return other;
  }

  /** The other session still holds its lock (the plan neither waited it out nor took it over). */
  async function stillHeld(mode: string): Promise<boolean> {
    const lockName = mode.split(' ').map((w) => w[0] + w.slice(1).toLowerCase()).join('') + 'Lock';
    const { rows } = await db.query(
      // Relation oids repeat across databases cloned from one template: this database's locks only.
      "SELECT 1 FROM pg_locks WHERE relation = 'public.licenses'::regclass AND mode = $1 AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      [lockName],
    );
    return rows.length === 1;
  }

  const findings = [
    { id: 'L-FK', title: 'licenses.identity_id SET NULL', severity: 'high', playbook: 'foreign-key', params: { table: 'licenses', columns: ['identity_id'], references: { table: 'identities', columns: ['id'] }, onDelete: 'set-null' } },
    { id: 'L-AV', title: 'license types', severity: 'high', playbook: 'allowed-values', params: { table: 'licenses', column: 'license_type', values: ['SINGLE', 'CUSTOM'] }, resolution: { strategy: 'update', set: { license_type: 'CUSTOM' } } },
    { id: 'P-CHK', title: 'payout amounts', severity: 'high', playbook: 'check', params: { table: 'payouts', name: 'chk_payout_amount_positive', expression: 'amount > 0' }, resolution: { strategy: 'delete' } },
  ];

  // ROW EXCLUSIVE: what any open writer holds. EXCLUSIVE: the strongest lock that still lets the plan read.
  it.each(['ROW EXCLUSIVE', 'EXCLUSIVE'])('%s held on licenses: the plan completes in ~lock_timeout, those rehearsals fail with a lock message', async (mode) => {
    const lockTimeoutMs = 500;
    await holdLock(mode);
    const before = await dbState(db.url);
    const t0 = performance.now();
    const plan: Plan = await planOf(db.url, { findings }, { lockTimeoutMs });
    const elapsed = performance.now() - t0;
    expect(await stillHeld(mode)).toBe(true);
    // Two rehearsals that each give up after lock_timeout, plus the plan itself — not a wait.
    expect(elapsed).toBeLessThan(2 * lockTimeoutMs + 6000);

    for (const id of ['L-FK', 'L-AV']) {
      const f = plan.findings.find((x) => x.id === id)!;
      expect(f.status, id).not.toBe('error');
      expect(f.rehearsal?.ok, id).toBe(false);
      expect(f.rehearsal!.error).toMatch(/lock/);
      expect(f.rehearsal!.error).toMatch(new RegExp(`lock_timeout ${lockTimeoutMs} ms`));
      expect(f.rehearsal!.error!.split('\n')).toHaveLength(1);
      expect(f.rehearsal!.ms).toBeLessThan(lockTimeoutMs + 1500);
    }
    // The finding on another table rehearses as usual.
    const p = plan.findings.find((x) => x.id === 'P-CHK')!;
    expect(p.rehearsal?.ok, p.rehearsal?.error).toBe(true);
    await other.query('ROLLBACK');
    await other.end();
    expect(await dbState(db.url)).toEqual(before);
  });

  it('ACCESS EXCLUSIVE on licenses: `plan` ends while the lock is held; the findings that read licenses error naming the lock, the others are planned; nothing changed', async () => {
    const before = await dbState(db.url);
    await holdLock('ACCESS EXCLUSIVE');
    const file = path.join(ACTORHUB, 'findings-resolved.yaml');
    const t0 = performance.now();
    const r = await runCli(['plan', '--db', db.url, '--findings', file, '--format', 'json', '--lock-timeout', '500'], { timeoutMs: 60_000 });
    const elapsed = performance.now() - t0;
    expect(await stillHeld('ACCESS EXCLUSIVE')).toBe(true);
    expect(elapsed).toBeLessThan(20_000);
    expect(r.code).toBe(1);
    const lines = errorLines(r.stderr);
    expect(lines.length, r.stderr).toBeGreaterThan(0);
    // One line per finding that reads licenses (its own table, a counter's child, a cascade), naming the lock.
    for (const l of lines) expect(l).toMatch(/^pgmend: [A-Z]+-[A-Z]+-\d+: .*lock.*licenses.*lock_timeout 500 ms, not waited for/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const plan = JSON.parse(r.stdout) as Plan;
    const errors = plan.findings.filter((f) => f.status === 'error');
    expect(errors.map((f) => f.id).sort()).toEqual(lines.map((l) => /^pgmend: ([A-Z]+-[A-Z]+-\d+)/.exec(l)![1]).sort());
    // Every finding on licenses itself errors; findings that never read it are planned.
    for (const f of plan.findings.filter((x) => x.table === 'public.licenses')) expect(f.status, f.id).toBe('error');
    for (const id of ['AH-UQ-02', 'AH-UQ-03']) expect(plan.findings.find((f) => f.id === id)?.status, id).not.toBe('error');
    await other.query('ROLLBACK');
    await other.end();
    expect(await dbState(db.url)).toEqual(before);
  });
});
