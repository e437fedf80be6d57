import { expect } from 'vitest';
import { describeSystem } from './system-harness.js';

/**
 * ActorHub (seed 000, SQLAlchemy + PostgreSQL): the demo database, all 76 findings, end to end.
 * The state machines, the soft-delete cascade, the audit trigger and the counter triggers of the
 * report's migrations are exercised after each apply.
 */

const ahId = (kind: number, n: number) => `${String(kind).padStart(8, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;

describeSystem({
  name: 'actorhub',
  applyRows: {
    // AH-AV-0x and AH-SM-0x resolve the same rows: the allowed-values resolutions run first, so in
    // the one-run apply the state machines find nothing left to change.
    'AH-SM-01': 0,
    'AH-SM-02': 0,
    'AH-SM-03': 0,
    // Resolutions run before counters are repaired: AH-CHK-02 zeroes the payout of COMPLETED license
    // 1026 (41.00 > its price), so identity 246's total_revenue drifts too by then (6 + 1).
    'AH-CNT-03': 7,
  },
  behaviours: {
    'an invalid identity status transition raises (AH-SM-01)': async ({ expectError, one }) => {
      const { id } = await one<{ id: string }>(`SELECT id FROM identities WHERE status = 'VERIFIED' ORDER BY id LIMIT 1`);
      await expectError(`UPDATE identities SET status = 'PENDING' WHERE id = '${id}'`, '23514', /invalid status transition on public\.identities: VERIFIED -> PENDING/);
      // A named transition passes.
      await one(`UPDATE identities SET status = 'SUSPENDED' WHERE id = '${id}' RETURNING id`);
    },
    'soft-deleting an identity deactivates its listings and pack (AH-SQL-01)': async ({ client, one }) => {
      const { id } = await one<{ id: string }>(
        `SELECT i.id FROM identities i
         WHERE i.deleted_at IS NULL AND EXISTS (SELECT 1 FROM listings l WHERE l.identity_id = i.id AND l.is_active)
           AND EXISTS (SELECT 1 FROM actor_packs p WHERE p.identity_id = i.id AND p.is_available AND p.training_status = 'COMPLETED')
         ORDER BY i.id LIMIT 1`,
      );
      await client.query(`UPDATE identities SET deleted_at = '2025-01-01 00:00' WHERE id = $1`, [id]);
      const after = await one<{ active: number; available: number }>(
        `SELECT (SELECT count(*)::int FROM listings WHERE identity_id = $1 AND is_active IS NOT FALSE) AS active,
                (SELECT count(*)::int FROM actor_packs WHERE identity_id = $1 AND is_available) AS available`,
        [id],
      );
      expect(after).toEqual({ active: 0, available: 0 });
    },
    'soft-deleting a user soft-deletes their identities (AH-SQL-02)': async ({ client, one }) => {
      // A user whose live identities are all VERIFIED: VERIFIED -> SUSPENDED is a named transition.
      const { id } = await one<{ id: string }>(
        `SELECT u.id FROM users u WHERE EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id AND i.deleted_at IS NULL)
           AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.user_id = u.id AND i.deleted_at IS NULL AND i.status IS DISTINCT FROM 'VERIFIED')
           AND NOT EXISTS (SELECT 1 FROM identities i JOIN actor_packs p ON p.identity_id = i.id WHERE i.user_id = u.id AND p.training_status IN ('PENDING', 'QUEUED'))
         ORDER BY u.id LIMIT 1`,
      );
      await client.query(`UPDATE users SET deleted_at = '2025-01-01 00:00' WHERE id = $1`, [id]);
      expect(await one(`SELECT count(*)::int AS live FROM identities WHERE user_id = $1 AND deleted_at IS NULL`, [id])).toEqual({ live: 0 });
    },
    'the audit trigger writes a row (AH-SQL-13)': async ({ client, one }) => {
      const user = ahId(1, 42);
      const before = await one<{ n: number }>(`SELECT count(*)::int AS n FROM audit_logs WHERE resource_type = 'users' AND resource_id = $1`, [user]);
      await client.query(`UPDATE users SET first_name = 'Audited' WHERE id = $1`, [user]);
      const row = await one(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE action = 'UPDATE' AND new_values ->> 'first_name' = 'Audited')::int AS audited
         FROM audit_logs WHERE resource_type = 'users' AND resource_id = $1`,
        [user],
      );
      expect(row).toEqual({ n: before.n + 1, audited: 1 });
    },
    'counter triggers keep the counters right after an insert (AH-SQL-04, AH-SQL-07)': async ({ client, drift, one }) => {
      const identity = ahId(2, 5);
      const pack = ahId(10, 5);
      const before = await one<{ v: number; d: number }>(`SELECT total_verifications AS v, (SELECT total_downloads FROM actor_packs WHERE id = $2) AS d FROM identities WHERE id = $1`, [identity, pack]);
      await client.query(`INSERT INTO usage_logs (identity_id, action, matched) VALUES ($1, 'verify', true)`, [identity]);
      await client.query(`INSERT INTO usage_logs (identity_id, actor_pack_id, action) VALUES ($1, $2, 'download')`, [identity, pack]);
      expect(await one(`SELECT total_verifications AS v, (SELECT total_downloads FROM actor_packs WHERE id = $2) AS d FROM identities WHERE id = $1`, [identity, pack])).toEqual({ v: before.v + 1, d: before.d + 1 });
      expect(await drift('AH-CNT-01')).toBe(0);
      expect(await drift('AH-CNT-04')).toBe(0);
    },
  },
});
