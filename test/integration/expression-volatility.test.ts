import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../support/db.js';
import { planOf } from '../support/plan-engine.js';

/**
 * Expressions from a finding may call only what PostgreSQL resolves to an IMMUTABLE or STABLE
 * function (expression-safety.ts): the side-effecting built-ins the parser guard once denied by
 * name are refused by their volatility, however they are spelled and wherever they hide.
 */

let db: TestDb;

beforeAll(async () => {
  db = await createTestDb();
  await db.query(`CREATE TABLE "Invoice" (id int PRIMARY KEY, amount numeric, note text); INSERT INTO "Invoice" VALUES (1, 5, 'a'), (2, -1, null)`);
  await db.query(`CREATE SCHEMA "Billing"; CREATE TABLE "Billing"."Line Item" (id int PRIMARY KEY, qty int); INSERT INTO "Billing"."Line Item" VALUES (1, 2), (2, -3)`);
});

afterAll(async () => {
  await db?.drop();
});

const check = (id: string, expression: string) => ({ id, title: id, severity: 'low', playbook: 'check', params: { table: 'Invoice', name: `c_${id.toLowerCase()}`, expression } });
const counter = (id: string, expression: string) => ({ id, title: id, severity: 'low', playbook: 'counter', params: { table: 'Invoice', column: 'id', expression } });

describe('volatile functions in expressions', () => {
  it('are refused with their name, however they are spelled and wherever they hide; the rest plan', async () => {
    const cases: Array<[ReturnType<typeof check>, RegExp]> = [
      [check('SLEEP', 'pg_sleep(10) IS NULL'), /calls pg_sleep\(double precision\), which is VOLATILE/],
      [check('SLEEP-UPPER', 'PG_SLEEP(10) IS NULL'), /calls pg_sleep\(double precision\), which is VOLATILE/],
      [check('SLEEP-QUALIFIED', 'pg_catalog.pg_sleep(10) IS NULL'), /calls pg_sleep\(double precision\), which is VOLATILE/],
      [check('SLEEP-QUOTED', '"pg_sleep"(1) IS NULL'), /calls pg_sleep\(double precision\), which is VOLATILE/],
      [check('SET-CONFIG', "set_config('a.b', 'c', false) IS NULL"), /calls set_config\(text,text,boolean\), which is VOLATILE/],
      [check('LO-IMPORT', "lo_import('/etc/passwd') IS NOT NULL"), /calls lo_import\(text\), which is VOLATILE/],
      [check('ADVISORY', 'pg_advisory_lock_shared(1) IS NULL'), /calls pg_advisory_lock_shared\(bigint\), which is VOLATILE/],
      [check('TERMINATE', 'pg_terminate_backend(1)'), /calls pg_terminate_backend\(integer(,bigint)?\), which is VOLATILE/],
      [counter('SUB-SLEEP', '(SELECT count(*)::int FROM pg_sleep(5))'), /calls pg_sleep\(double precision\), which is VOLATILE/],
    ];
    const plan = await planOf(db.url, { findings: [...cases.map(([f]) => f), check('OK', "amount >= 0 AND lower(coalesce(note, '')) <> 'x'")] }, { rehearse: false });
    for (const [finding, message] of cases) {
      const f = plan.findings.find((x) => x.id === finding.id)!;
      expect(f.status, finding.id).toBe('error');
      expect(f.error, finding.id).toMatch(message);
    }
    const ok = plan.findings.find((x) => x.id === 'OK')!;
    expect(ok.status).toBe('blocked');
    expect(ok.checks[0]!.rows).toBe(1);
  });

  it('one probe per table clears its expressions together (key lists repeating a column too); a volatile one among them is still refused by name', async () => {
    const unique = (id: string, columns: string[]) => ({ id, title: id, severity: 'low', playbook: 'unique', params: { table: 'Invoice', columns } });
    const clean = [check('C1', 'amount >= 0'), unique('U1', ['id', 'lower(note)']), unique('U2', ['id', 'note']), { ...counter('CNT', '(SELECT count(*)::numeric FROM "Invoice" i WHERE i.id = "Invoice".id)'), params: { table: 'Invoice', column: 'amount', expression: '(SELECT count(*)::numeric FROM "Invoice" i WHERE i.id = "Invoice".id)' } }];
    const probes: string[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text?.startsWith('CREATE TEMP VIEW pgmend_expression_probe')) probes.push(text);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      const alone = await planOf(db.url, { findings: clean }, { rehearse: false });
      expect(alone.findings.filter((f) => f.status === 'error').map((f) => [f.id, f.error])).toEqual([]);
      expect(alone.findings).toHaveLength(4);
      expect(probes).toHaveLength(1);
      probes.length = 0;
      const mixed = await planOf(db.url, { findings: [...clean.slice(0, 2), check('SLEEP', 'pg_sleep(0) IS NULL'), ...clean.slice(2)] }, { rehearse: false });
      expect(mixed.findings.find((f) => f.id === 'SLEEP')!.error).toMatch(/calls pg_sleep\(double precision\), which is VOLATILE/);
      expect(mixed.findings.filter((f) => f.status === 'error').map((f) => f.id)).toEqual(['SLEEP']);
      // The table's view calls pg_sleep: each expression is probed on its own, as before.
      expect(probes).toHaveLength(1 + 5);
    } finally {
      pg.Client.prototype.query = original;
    }
  });

  it('several tables: all their views at once in one savepoint and one read of their functions; a volatile one on any table falls back to each table alone, and is refused by name', async () => {
    const line = (id: string, expression: string) => ({ id, title: id, severity: 'low', playbook: 'check', params: { table: '"Billing"."Line Item"', name: `c_${id.toLowerCase()}`, expression } });
    const clean = [check('C1', 'amount >= 0'), line('L1', 'qty > 0'), line('L2', 'abs(qty) < 100')];
    const probes: string[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text?.startsWith('CREATE TEMP VIEW pgmend_expression_probe')) probes.push(text.split(' AS ')[0]!.split(' (')[0]!);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      const alone = await planOf(db.url, { findings: clean }, { rehearse: false });
      expect(alone.findings.filter((f) => f.status === 'error').map((f) => [f.id, f.error])).toEqual([]);
      expect(alone.findings.map((f) => f.checks[0]?.rows)).toEqual([1, 1, 0]);
      expect(probes).toEqual(['CREATE TEMP VIEW pgmend_expression_probe_0', 'CREATE TEMP VIEW pgmend_expression_probe_1']);
      probes.length = 0;
      const mixed = await planOf(db.url, { findings: [...clean, line('LSLEEP', 'pg_sleep(0) IS NULL OR qty > 0')] }, { rehearse: false });
      expect(mixed.findings.find((f) => f.id === 'LSLEEP')!.error).toMatch(/calls pg_sleep\(double precision\), which is VOLATILE/);
      expect(mixed.findings.filter((f) => f.status === 'error').map((f) => f.id)).toEqual(['LSLEEP']);
      // All at once (2), then each table alone (2), then each expression of the table whose view is not clear (3).
      expect(probes).toHaveLength(2 + 2 + 3);
    } finally {
      pg.Client.prototype.query = original;
    }
  });

  it('are probed on a connection of their own while the plan locks its tables and takes its snapshot, closed with the plan', async () => {
    const sent: { client: pg.Client; text: string }[] = [];
    // The plan's snapshot is held back until the probe is sent (at most 10 s): a probe that is
    // started only after the snapshot would never be sent in time, whatever the machine's load.
    let probeSent!: () => void;
    const probeWasSent = new Promise<void>((resolve) => (probeSent = resolve));
    let snapshotWaited = 0;
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text) sent.push({ client: this, text });
      if (text?.startsWith('CREATE TEMP VIEW pgmend_expression_probe')) probeSent();
      if (text?.includes('pg_current_snapshot()')) {
        const t0 = performance.now();
        const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
        return Promise.race([probeWasSent, timeout]).then(() => {
          snapshotWaited = performance.now() - t0;
          return (original as (...a: unknown[]) => unknown).apply(this, args);
        });
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    let plan;
    try {
      plan = await planOf(db.url, { findings: [check('C1', 'amount >= 0'), check('SLEEP', 'pg_sleep(0) IS NULL')] }, { rehearse: false });
    } finally {
      pg.Client.prototype.query = original;
    }
    expect(plan.findings.map((f) => [f.id, f.status])).toEqual([['C1', 'blocked'], ['SLEEP', 'error']]);
    const probe = sent.findIndex((q) => q.text.startsWith('CREATE TEMP VIEW pgmend_expression_probe'));
    const snapshot = sent.findIndex((q) => q.text.includes('pg_current_snapshot()'));
    expect(probe).toBeGreaterThanOrEqual(0);
    expect(snapshot).toBeGreaterThanOrEqual(0);
    expect(sent[probe]!.client).not.toBe(sent[snapshot]!.client);
    // The probe was sent while the snapshot waited for it: the two run side by side, not one after the other.
    expect(snapshotWaited).toBeLessThan(9_000);
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pgmend'`);
    expect(rows[0].n).toBe(0);
  });

  it('a table another session holds: its findings fail on the lock, and the others are probed again without it (resolved, not decided by name)', async () => {
    const line = (id: string, expression: string) => ({ id, title: id, severity: 'low', playbook: 'check', params: { table: '"Billing"."Line Item"', name: `c_${id.toLowerCase()}`, expression } });
    const holder = new pg.Client({ connectionString: db.url, application_name: 'test-holder' });
    await holder.connect();
    let plan;
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "Billing"."Line Item" IN ACCESS EXCLUSIVE MODE`);
      plan = await planOf(db.url, { findings: [line('HELD', 'qty > 0'), check('SLEEP', 'pg_sleep(0) IS NULL')] }, { rehearse: false, lockTimeoutMs: 300 });
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
    const byId = (id: string) => plan.findings.find((f) => f.id === id)!;
    expect(byId('HELD').error).toMatch(/^lock not granted on Billing\.Line Item: another session holds it/);
    expect(byId('SLEEP').error).toMatch(/calls pg_sleep\(double precision\), which is VOLATILE — /);
    expect(byId('SLEEP').error).not.toMatch(/by name/);
  });
});
