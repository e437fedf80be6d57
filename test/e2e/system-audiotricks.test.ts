import { expect } from 'vitest';
import { describeSystem } from './system-harness.js';

/**
 * AudioTricks (seed 002, Prisma + PostgreSQL), end to end. After each apply: the subscription state
 * machine, the audit trigger on users, the storage counter trigger, and the workspace_isolation
 * row-level security policy as the authenticated_users role.
 */

describeSystem({
  name: 'audiotricks',
  behaviours: {
    'a canceled subscription cannot become active again (AT-SM-01)': async ({ expectError, one }) => {
      await expectError(`UPDATE subscriptions SET status = 'active' WHERE id = 'sub_46'`, '23514', /invalid status transition.*canceled -> active/);
      expect(await one(`UPDATE subscriptions SET status = 'past_due' WHERE id = 'sub_01' AND status = 'active' RETURNING status`)).toEqual({ status: 'past_due' });
    },
    'the audit trigger writes a row for a user change (AT-SQL-02)': async ({ client, one }) => {
      await client.query(`SELECT set_config('app.current_user_id', 'usr_002', true)`);
      await client.query(`UPDATE users SET name = 'Renamed' WHERE id = 'usr_001'`);
      expect(await one(`SELECT actor_id, action, entity_type, old_values ->> 'name' AS old, new_values ->> 'name' AS new FROM audit_logs WHERE entity_id = 'usr_001' AND action = 'user.update'`)).toEqual({
        actor_id: 'usr_002',
        action: 'user.update',
        entity_type: 'user',
        old: 'User 1',
        new: 'Renamed',
      });
    },
    'the storage counter follows uploads and deletions (AT-SQL-03)': async ({ client, drift, one }) => {
      const used = async () => Number((await one(`SELECT current_storage_bytes AS n FROM storage_quotas WHERE workspace_id = 'ws_01'`)).n);
      const before = await used();
      await client.query(`INSERT INTO audio_uploads (id, workspace_id, user_id, file_name, file_size, mime_type) VALUES ('upl_new', 'ws_01', 'usr_001', 'new.wav', 10000000, 'audio/wav')`);
      expect(await used()).toBe(before + 10000000);
      await client.query(`UPDATE audio_uploads SET deleted_at = '2024-02-01 00:00' WHERE id = 'upl_00001'`);
      expect(await drift('AT-CNT-01')).toBe(0);
    },
    'a quota cannot be exceeded (AT-CHK-03)': async ({ expectError }) => {
      await expectError(`INSERT INTO audio_uploads (id, workspace_id, user_id, file_name, file_size, mime_type) VALUES ('upl_huge', 'ws_40', 'usr_040', 'huge.wav', 2000000000, 'audio/wav')`, '23514', /chk_storage_limits/);
    },
    'authenticated users see only their workspaces uploads (AT-SQL-01)': async ({ client, one }) => {
      const { own } = await one<{ own: number }>(
        `SELECT count(*)::int AS own FROM audio_uploads WHERE workspace_id IN (SELECT workspace_id FROM workspace_users WHERE user_id = 'usr_003')`,
      );
      expect(own).toBeGreaterThan(0);
      await client.query(`SET LOCAL ROLE authenticated_users`);
      await client.query(`SELECT set_config('app.current_user_id', 'usr_003', true)`);
      expect(await one(`SELECT count(*)::int AS n FROM audio_uploads`)).toEqual({ n: own });
      await client.query(`SELECT set_config('app.current_user_id', '', true)`);
      expect(await one(`SELECT count(*)::int AS n FROM audio_uploads`)).toEqual({ n: 0 });
    },
  },
});
