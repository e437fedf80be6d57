import type pg from 'pg';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { PgmendError, Refusal } from '../../util/errors.js';
import { osUser } from './journal.js';

/**
 * Who is applying, without depending on a session. Online mode commits step by step, and through
 * a transaction pooler each transaction may run on a different backend: a session-level advisory
 * lock would stay behind on whichever backend took it. So mutual exclusion is a row in the
 * journal (`pgmend.lease`: holder, heartbeat, expiry) plus pgmend's transaction-level advisory
 * lock in every transaction that reads or writes it. A heartbeat keeps the lease alive; a holder
 * that stopped (killed, machine gone) loses it once it expires, and its run reads `interrupted`.
 */

/** How long a lease lives without a heartbeat (PGMEND_LEASE_MS overrides, for tests). */
export function leaseTtlMs(): number {
  const v = Number(process.env.PGMEND_LEASE_MS);
  return Number.isFinite(v) && v >= 1000 ? v : 30_000;
}

export interface LeaseHolder {
  token: string;
}

export const newHolder = (): LeaseHolder => ({ token: randomUUID() });

interface LeaseRow {
  holder: string;
  run_id: string | null;
  os_user: string | null;
  host: string | null;
  process_id: number | null;
  db_role: string;
  live: boolean;
  beat_secs: number;
  left_secs: number;
}

async function leaseTable(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query(`SELECT to_regclass('pgmend.lease') IS NOT NULL AS ok`);
  return rows[0].ok === true;
}

async function readLease(client: pg.Client, forUpdate: boolean): Promise<LeaseRow | undefined> {
  if (!(await leaseTable(client))) return undefined;
  const { rows } = await client.query<LeaseRow>(
    `SELECT holder, run_id::text, os_user, host, process_id, db_role, expires_at > clock_timestamp() AS live,
            round(extract(epoch FROM clock_timestamp() - heartbeat_at))::int AS beat_secs,
            greatest(0, ceil(extract(epoch FROM expires_at - clock_timestamp())))::int AS left_secs
     FROM pgmend.lease${forUpdate ? ' FOR UPDATE' : ''}`,
  );
  return rows[0];
}

/** "run 7 by alice@db1 (pgmend process 4242, role app)": the process that holds it, not a backend. */
function who(l: LeaseRow): string {
  return `${l.run_id ? `run ${l.run_id}` : 'an apply starting'} by ${l.os_user ?? '?'}@${l.host ?? '?'} (pgmend process ${l.process_id ?? '?'}, role ${l.db_role})`;
}

/** The live lease of another process, as one sentence; undefined when there is none. */
export async function liveLeaseHolder(client: pg.Client, me?: LeaseHolder): Promise<string | undefined> {
  const l = await readLease(client, false);
  if (!l || !l.live || l.holder === me?.token) return undefined;
  return `${who(l)}, last heartbeat ${l.beat_secs} s ago`;
}

/**
 * In a transaction holding pgmend's advisory lock: refuses if another process holds a live lease;
 * takes over an expired one (its run marked interrupted, one line through `say`). With `hold`,
 * the lease becomes this process's (for `runId`, when known); without, an expired lease is just
 * cleared (window mode and rollback run in one transaction: the advisory lock is enough).
 */
export async function claimLease(client: pg.Client, me: LeaseHolder, opts: { hold: boolean; runId?: number | null; say: (line: string) => void }): Promise<void> {
  const l = await readLease(client, true);
  if (l && l.holder !== me.token) {
    if (l.live) {
      throw new Refusal(
        `another pgmend apply is running: ${who(l)}, last heartbeat ${l.beat_secs} s ago`,
        `wait for it to finish; if that process is gone, its lease expires in ${l.left_secs} s and the run can be resumed or rolled back`,
      );
    }
    if (l.run_id) {
      await client.query(
        `UPDATE pgmend.runs SET status = 'interrupted', error = coalesce(error, 'stopped: no heartbeat from its pgmend process since ' || $2 || ' s before the lease was taken over') WHERE id = $1 AND status = 'running'`,
        [l.run_id, String(l.beat_secs)],
      );
    }
    opts.say(`took over the lease of ${who(l)}: no heartbeat for ${l.beat_secs} s, so that process is gone${l.run_id ? `; run ${l.run_id} is interrupted` : ''}`);
    await client.query(`DELETE FROM pgmend.lease`);
  }
  if (!opts.hold) return;
  await client.query(
    `INSERT INTO pgmend.lease (id, holder, run_id, os_user, host, process_id, expires_at)
     VALUES (1, $1, $2, $3, $4, $5, clock_timestamp() + make_interval(secs => $6))
     ON CONFLICT (id) DO UPDATE SET run_id = coalesce(EXCLUDED.run_id, pgmend.lease.run_id), heartbeat_at = clock_timestamp(), expires_at = EXCLUDED.expires_at`,
    [me.token, opts.runId ?? null, osUser(), os.hostname(), process.pid, leaseTtlMs() / 1000],
  );
}

/** In each online step's transaction: the lease is still this process's (not expired and taken over). */
export async function assertLease(client: pg.Client, me: LeaseHolder): Promise<void> {
  const l = await readLease(client, false);
  if (l?.holder === me.token) return;
  throw new PgmendError(l ? `lost the apply lease: it is now held by ${who(l)} (this process missed its heartbeats)` : 'lost the apply lease: it was cleared by another pgmend (this process missed its heartbeats)');
}

export async function releaseLease(client: pg.Client, me: LeaseHolder): Promise<void> {
  if (await leaseTable(client)) await client.query(`DELETE FROM pgmend.lease WHERE holder = $1`, [me.token]);
}

/**
 * Renews the lease every third of its life, on a connection of its own (one statement per
 * transaction: safe through any pooler), while steps run on the main one — including index builds
 * that run outside any transaction and so hold no advisory lock.
 */
export async function startHeartbeat(connectFn: () => Promise<pg.Client>, me: LeaseHolder): Promise<{ stop: () => Promise<void> }> {
  const client = await connectFn();
  const ttl = leaseTtlMs();
  let busy: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    busy = client
      .query(`UPDATE pgmend.lease SET heartbeat_at = clock_timestamp(), expires_at = clock_timestamp() + make_interval(secs => $2) WHERE holder = $1`, [me.token, ttl / 1000])
      .catch(() => {});
  }, Math.max(250, Math.floor(ttl / 3)));
  return {
    stop: async () => {
      clearInterval(timer);
      await busy;
      await client.end().catch(() => {});
    },
  };
}
