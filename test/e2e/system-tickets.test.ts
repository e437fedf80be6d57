import { expect } from 'vitest';
import { describeSystem } from './system-harness.js';

/**
 * Ticket service (seed 004, Node + PostgreSQL, multi-tenant), end to end. After each apply: the
 * ticket state machine, the inventory counter trigger and its floor, tenant isolation as the
 * service role, the role's statement_timeout, and one idempotency key per tenant.
 */

const tkId = (kind: number, n: number) => `${String(kind).padStart(8, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const TENANT_1 = tkId(1, 1);
const TENANT_2 = tkId(1, 2);

describeSystem({
  name: 'tickets',
  behaviours: {
    'a used ticket cannot be sold again (TK-SM-01)': async ({ expectError, one }) => {
      const { id } = await one<{ id: string }>(`SELECT id FROM tickets WHERE status = 'used' ORDER BY id LIMIT 1`);
      await expectError(`UPDATE tickets SET status = 'sold' WHERE id = '${id}'`, '23514', /invalid status transition.*used -> sold/);
    },
    'the inventory trigger keeps available_quantity right (TK-SQL-01)': async ({ client, drift, one }) => {
      const type = tkId(5, 1);
      const before = await one<{ n: number }>(`SELECT available_quantity AS n FROM ticket_types WHERE id = $1`, [type]);
      await client.query(`INSERT INTO tickets (tenant_id, ticket_type_id, ticket_number, status) VALUES ($1, $2, 'TKT-NEW', 'sold')`, [TENANT_1, type]);
      expect(await one(`SELECT available_quantity AS n FROM ticket_types WHERE id = $1`, [type])).toEqual({ n: before.n - 1 });
      await client.query(`UPDATE tickets SET status = 'refunded' WHERE ticket_number = 'TKT-NEW'`);
      expect(await one(`SELECT available_quantity AS n FROM ticket_types WHERE id = $1`, [type])).toEqual({ n: before.n });
      expect(await drift('TK-CNT-01')).toBe(0);
    },
    'inventory cannot be oversold (TK-CHK-03)': async ({ expectError }) => {
      await expectError(`UPDATE ticket_types SET available_quantity = available_quantity - 1000 WHERE id = '${tkId(5, 2)}'`, '23514', /ticket_types_available_non_negative/);
    },
    'the service role sees and writes its tenant only (TK-SQL-02)': async ({ client, expectError, one }) => {
      const { own } = await one<{ own: number }>(`SELECT count(*)::int AS own FROM tickets WHERE tenant_id = $1`, [TENANT_1]);
      await client.query(`SET LOCAL ROLE ticket_service`);
      await client.query(`SELECT set_config('app.current_tenant_id', $1, true)`, [TENANT_1]);
      expect(await one(`SELECT count(*)::int AS n, count(DISTINCT tenant_id)::int AS tenants FROM tickets`)).toEqual({ n: own, tenants: 1 });
      expect(await one(`SELECT count(*)::int AS n FROM orders WHERE tenant_id <> $1`, [TENANT_1])).toEqual({ n: 0 });
      await expectError(`INSERT INTO venues (tenant_id, name, slug, capacity) VALUES ('${TENANT_2}', 'Elsewhere', 'elsewhere', 10)`, '42501', /row-level security/);
    },
    'the service role has a statement_timeout in this database (TK-SQL-03)': async ({ one }) => {
      expect(
        await one(
          `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
           WHERE r.rolname = 'ticket_service' AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        ),
      ).toEqual({ setconfig: ['statement_timeout=30s'] });
    },
    'one idempotency key per tenant (TK-SQL-04, TK-UQ-03)': async ({ client, expectError }) => {
      await client.query(`INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, 'k-1', 'h')`, [TENANT_1]);
      await client.query(`INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ($1, 'k-1', 'h')`, [TENANT_2]);
      await expectError(`INSERT INTO idempotency_keys (tenant_id, key, request_hash) VALUES ('${TENANT_1}', 'k-1', 'h')`, '23505', /idempotency_keys_pkey/);
      await expectError(`INSERT INTO orders (tenant_id, user_id, idempotency_key) SELECT tenant_id, user_id, idempotency_key FROM orders WHERE idempotency_key = 'idem-4'`, '23505', /orders_tenant_idempotency_key_key/);
    },
  },
});
