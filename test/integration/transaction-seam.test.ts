import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDb, type TestDb } from '../support/db.js';
import { ensureParser } from '../../src/playbooks/expression.js';
import { loadPlaybooks } from '../../src/playbooks/load.js';
import { loadCatalog } from '../../src/db/catalog.js';
import { withRolledBackSavepoint, withRollback, withSavepoint, withTransaction } from '../../src/db/session.js';
import { withPlanSnapshot } from '../../src/engine/plan/plan-snapshot.js';
import { prepareFinding, type PreparedFinding } from '../../src/engine/plan/prepare.js';
import { runPrechecks } from '../../src/engine/checks/prechecks.js';
import { verify } from '../../src/engine/apply/verify.js';
import type { Finding } from '../../src/findings/model.js';

/**
 * The transaction seam (db/session.ts): each savepoint is its own, so a check that fails after the
 * fix steps undoes only its own query — never the fix (window mode), and never leaves the
 * transaction aborted (online mode, where no savepoint was taken before the steps).
 */

let db: TestDb;

beforeAll(async () => {
  await ensureParser();
  db = await createTestDb();
  await db.query(`
    CREATE TABLE parent (id int PRIMARY KEY, n_children int, grp int);
    CREATE TABLE child (id int PRIMARY KEY, parent_id int);
    INSERT INTO parent SELECT g, 0, 0 FROM generate_series(1, 10) g;
    INSERT INTO child SELECT g, 1 + g % 10 FROM generate_series(1, 35) g;`);
});
afterAll(async () => {
  await db?.drop();
});

const FINDINGS = [
  { id: 'GOOD', title: 'child count', severity: 'low', playbook: 'counter', params: { table: 'parent', column: 'n_children', expression: '(SELECT count(*) FROM child WHERE child.parent_id = parent.id)' } },
  // Counted in the same scan of `parent`, and fails at run time (grp is 0 everywhere).
  { id: 'BAD', title: 'fails when counted', severity: 'low', playbook: 'counter', params: { table: 'parent', column: 'n_children', expression: '(SELECT count(*) FROM child WHERE child.parent_id = parent.id) / parent.grp' } },
] as Finding[];

async function withClient<T>(fn: (c: pg.Client, prepared: PreparedFinding[]) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const playbooks = await loadPlaybooks();
    const catalog = await loadCatalog(client);
    const prepared = FINDINGS.map((f) => prepareFinding(catalog, playbooks, f, 'window', 0)).map((p) => {
      if (!p.ok) throw new Error(p.error);
      return p.value;
    });
    return await fn(client, prepared);
  } finally {
    await client.end();
  }
}

const FIX = 'UPDATE parent SET n_children = (SELECT count(*) FROM child WHERE child.parent_id = parent.id)';

describe('a failing count after the fix', () => {
  it('undoes only its own query: the fix stays, the other finding is counted after it, the transaction stays usable', async () => {
    await withClient(async (client, prepared) => {
      await client.query('BEGIN');
      try {
        await client.query(FIX);
        const out = await runPrechecks(client, prepared, { sampleSize: 0 });
        const good = out.get('GOOD')!;
        if (!good.ok) throw new Error(good.error);
        expect(good.checks.find((c) => c.id === 'drift')!.rows).toBe(0);
        const bad = out.get('BAD')!;
        expect(bad.ok).toBe(false);
        expect(bad.ok ? '' : bad.error).toMatch(/division by zero/);
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM parent WHERE n_children = 0');
        expect(rows[0]!.n).toBe(0);
      } finally {
        await client.query('ROLLBACK');
      }
    });
  });

  it('verify names the failing check, and a transaction around it still commits what came before when asked', async () => {
    await withClient(async (client, prepared) => {
      await client.query('BEGIN');
      try {
        await client.query(FIX);
        const selected = FINDINGS.map((f) => ({ id: f.id, verify: [] })) as unknown as Parameters<typeof verify>[1];
        await expect(verify(client, selected, prepared)).rejects.toThrow('BAD: verification failed: check drift: division by zero');
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM parent WHERE n_children = 0');
        expect(rows[0]!.n).toBe(0);
      } finally {
        await client.query('ROLLBACK');
      }
    });
  });
});

describe('savepoints of their own', () => {
  it('a nested savepoint that fails rolls back only its own work; the outer one and the transaction keep theirs', async () => {
    await withClient(async (client) => {
      await expect(
        withTransaction(client, async () => {
          await client.query('UPDATE parent SET grp = 1 WHERE id = 1');
          await withSavepoint(client, async () => {
            await client.query('UPDATE parent SET grp = 2 WHERE id = 2');
            await withSavepoint(client, async () => {
              await client.query('UPDATE parent SET grp = 3 WHERE id = 3');
              await client.query('SELECT 1 / 0');
            }).catch((e: Error) => expect(e.message).toMatch(/division by zero/));
          });
        }),
      ).resolves.toBeUndefined();
      const { rows } = await client.query<{ id: number; grp: number }>('SELECT id, grp FROM parent WHERE id <= 3 ORDER BY id');
      expect(rows).toEqual([{ id: 1, grp: 1 }, { id: 2, grp: 2 }, { id: 3, grp: 0 }]);
      await client.query('UPDATE parent SET grp = 0');
    });
  });

  it('a transaction whose body fails commits nothing and rethrows', async () => {
    await withClient(async (client) => {
      await expect(
        withTransaction(client, async () => {
          await client.query('UPDATE parent SET grp = 7');
          throw new Error('stop');
        }),
      ).rejects.toThrow('stop');
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM parent WHERE grp = 7');
      expect(rows[0]!.n).toBe(0);
    });
  });
});

describe('savepoints always rolled back (rehearsals, probes)', () => {
  const grps = async (client: pg.Client) => (await client.query<{ grp: number }>('SELECT grp FROM parent WHERE id <= 2 ORDER BY id')).rows.map((r) => r.grp);
  const parentLocks = async (client: pg.Client) =>
    Number((await client.query(`SELECT count(*) AS n FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 'parent'::regclass`)).rows[0].n);

  it('undo their work and the locks it took on success, return its value, and leave the transaction around usable with its own work', async () => {
    await withClient(async (client) => {
      await withRollback(client, async () => {
        await client.query('UPDATE child SET parent_id = parent_id WHERE id = 1');
        expect(await parentLocks(client)).toBe(0);
        const out = await withRolledBackSavepoint(client, async () => {
          await client.query('UPDATE parent SET grp = 5 WHERE id = 1');
          await client.query('CREATE TEMP TABLE pgmend_probe (n int)');
          expect(await grps(client)).toEqual([5, 0]);
          return 'seen';
        });
        expect(out).toBe('seen');
        expect(await parentLocks(client)).toBe(0);
        expect(await grps(client)).toEqual([0, 0]);
        // The same name again: the probe went with its savepoint.
        await withRolledBackSavepoint(client, () => client.query('CREATE TEMP TABLE pgmend_probe (n int)'));
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM child WHERE id = 1');
        expect(rows[0]!.n).toBe(1);
      });
    });
  });

  it("rethrow fn's error after undoing its work; nested in withSavepoint, only the inner work goes", async () => {
    await withClient(async (client) => {
      await withRollback(client, async () => {
        await withSavepoint(client, async () => {
          await client.query('UPDATE parent SET grp = 1 WHERE id = 1');
          await expect(
            withRolledBackSavepoint(client, async () => {
              await client.query('UPDATE parent SET grp = 2 WHERE id = 2');
              await client.query('SELECT 1 / 0');
            }),
          ).rejects.toThrow('division by zero');
          expect(await grps(client)).toEqual([1, 0]);
        });
        expect(await grps(client)).toEqual([1, 0]);
      });
      expect(await grps(client)).toEqual([0, 0]);
    });
  });
});

describe('the plan snapshot', () => {
  const opts = { statementTimeoutMs: 10_000, lockTimeoutMs: 2_000 };

  it("passes fn's own errors through as they are: a 42P01 or 55P03 inside fn neither retries nor becomes a lock message", async () => {
    await withClient(async (client) => {
      for (const code of ['42P01', '55P03']) {
        let calls = 0;
        const err = Object.assign(new Error(`fn failed ${code}`), { code });
        await expect(
          withPlanSnapshot(client, opts, () => ['public.parent'], async () => {
            calls++;
            throw err;
          }),
        ).rejects.toBe(err);
        expect(calls).toBe(1);
        // Ended: the connection is outside any transaction again.
        const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 'parent'::regclass`);
        expect(rows[0]!.n).toBe(0);
      }
    });
  });

  it('a schema change between the catalog read and the locks, naming one more table: rolled back and locked again, fn runs once, in a snapshot holding every table it names', async () => {
    await withClient(async (client) => {
      const other = new pg.Client({ connectionString: db.url });
      await other.connect();
      try {
        let calls = 0;
        let altered: Promise<unknown> | undefined;
        const tablesOf = () => {
          calls++;
          // Queued behind the catalog read's locks; granted the moment that read commits.
          if (calls === 1) altered = other.query('ALTER TABLE parent ADD COLUMN note text');
          return calls === 1 ? ['public.parent'] : ['public.parent', 'public.child'];
        };
        // The catalog read's next statement waits (at most 10 s) until the ALTER has run, or is
        // queued on a lock that read holds (granted before the plan's own locks): sent from
        // JavaScript is neither, and an ALTER that reaches the server only after the plan has
        // locked its tables waits for the plan instead, whatever the machine's load.
        const query = client.query.bind(client) as (...a: unknown[]) => Promise<unknown>;
        let waited = false;
        client.query = (async (...args: unknown[]) => {
          if (calls === 1 && !waited) {
            waited = true;
            let done = false;
            void altered!.then(() => (done = true), () => (done = true));
            const queued = async () => (await db.query(`SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted`, [other.processID])).rows.length > 0;
            const t0 = Date.now();
            while (!done && Date.now() - t0 < 10_000 && !(await queued())) await new Promise((r) => setTimeout(r, 20));
          }
          return query(...args);
        }) as typeof client.query;
        let runs = 0;
        const seen = await withPlanSnapshot(client, opts, tablesOf, async (snapshot) => {
          runs++;
          const { rows } = await client.query<{ t: string }>(
            `SELECT relation::regclass::text AS t FROM pg_locks WHERE pid = pg_backend_pid() AND mode = 'AccessShareLock' AND relation IN ('parent'::regclass, 'child'::regclass) ORDER BY 1`,
          );
          return { locked: rows.map((r) => r.t), columns: snapshot.catalog.tables.find((t) => t.name === 'parent')!.columns.map((c) => c.name) };
        });
        await altered;
        expect(runs).toBe(1);
        expect(calls).toBeGreaterThanOrEqual(3);
        expect(seen.locked).toEqual(['child', 'parent']);
        expect(seen.columns).toContain('note');
      } finally {
        await other.query('ALTER TABLE parent DROP COLUMN IF EXISTS note').catch(() => {});
        await other.end();
      }
    });
  });
});
