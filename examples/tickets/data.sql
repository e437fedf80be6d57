-- Ticket service data: deterministic (no random(), no now()), with defects of known counts for every
-- finding in findings.yaml. expected.json holds the counts; README.md explains them.
--
-- Ids are readable UUIDs: pg_temp.tk_id(kind, n) = '<kind as 8 digits>-0000-4000-8000-<n as 12 digits>'
--   kind: 1 tenants, 2 users, 3 venues, 4 events, 5 ticket_types, 6 orders, 7 tickets
-- so tenant 1 is 00000001-0000-4000-8000-000000000001. Three tenants; row n of users, venues, events
-- and orders belongs to tenant (n - 1) % 3 + 1 (an order to its user's tenant). Defect row sets of
-- one finding never overlap another's. The helpers live in pg_temp and are dropped at the end.

CREATE OR REPLACE FUNCTION pg_temp.tk_id(kind int, n int) RETURNS uuid
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT (lpad(kind::text, 8, '0') || '-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$;

INSERT INTO tenants (id, name, slug, created_at)
SELECT pg_temp.tk_id(1, t), 'Tenant ' || t, 'tenant-' || t, timestamptz '2025-01-01 00:00+00'
FROM generate_series(1, 3) AS t;

-- ---------------------------------------------------------------------------------------------
-- users: 300 customers.
-- ---------------------------------------------------------------------------------------------
INSERT INTO users (id, tenant_id, email, name, role, created_at)
SELECT pg_temp.tk_id(2, u), pg_temp.tk_id(1, (u - 1) % 3 + 1), format('user%s@mail.example', u), 'User ' || u,
       CASE WHEN u <= 3 THEN 'admin' ELSE 'customer' END, timestamptz '2025-02-01 00:00+00' + u * interval '1 hour'
FROM generate_series(1, 300) AS u;

-- TK-NN-01 users.tenant_id NOT NULL: 2 sign-ups without a tenant (no orders). 301 has user 1's
-- email: it is no duplicate of user 1 (a NULL tenant never conflicts).
INSERT INTO users (id, tenant_id, email, name, created_at) VALUES
    (pg_temp.tk_id(2, 301), NULL, 'user1@mail.example', 'Orphan signup', '2025-06-01 10:00+00'),
    (pg_temp.tk_id(2, 302), NULL, 'walk-in@mail.example', 'Orphan signup', '2025-06-01 11:00+00');

-- TK-UQ-01 unique (tenant_id, lower(email)): 2 groups / 5 rows, accounts created twice with the
-- email typed differently (no orders). 303 and 304 repeat user 4 (tenant 1), 305 repeats user 7
-- (tenant 1). Not a duplicate: 306 has user 10's email in tenant 2 (user 10 is in tenant 1).
INSERT INTO users (id, tenant_id, email, name, created_at) VALUES
    (pg_temp.tk_id(2, 303), pg_temp.tk_id(1, 1), 'User4@Mail.example', 'User 4', '2025-06-02 10:00+00'),
    (pg_temp.tk_id(2, 304), pg_temp.tk_id(1, 1), 'USER4@mail.example', 'User 4', '2025-06-02 11:00+00'),
    (pg_temp.tk_id(2, 305), pg_temp.tk_id(1, 1), 'user7@MAIL.example', 'User 7', '2025-06-02 12:00+00'),
    (pg_temp.tk_id(2, 306), pg_temp.tk_id(1, 2), 'user10@mail.example', 'User 10 (tenant 2)', '2025-06-02 13:00+00');

-- ---------------------------------------------------------------------------------------------
-- venues: 12. Venues 1 and 2 are both "main-hall", in tenants 1 and 2: not duplicates.
-- ---------------------------------------------------------------------------------------------
INSERT INTO venues (id, tenant_id, name, slug, capacity, created_by, created_at)
SELECT pg_temp.tk_id(3, v), pg_temp.tk_id(1, (v - 1) % 3 + 1), 'Venue ' || v,
       CASE WHEN v <= 2 THEN 'main-hall' ELSE 'venue-' || v END, 500 + v * 100,
       pg_temp.tk_id(2, (v - 1) % 3 + 1), timestamptz '2025-01-15 00:00+00' + v * interval '1 day'
FROM generate_series(1, 12) AS v;

-- ---------------------------------------------------------------------------------------------
-- events: 40, event e at venue (e - 1) % 12 + 1 (same tenant).
-- ---------------------------------------------------------------------------------------------
INSERT INTO events (id, tenant_id, venue_id, name, starts_at, status, created_at)
SELECT pg_temp.tk_id(4, e), pg_temp.tk_id(1, (e - 1) % 3 + 1), pg_temp.tk_id(3, (e - 1) % 12 + 1), 'Event ' || e,
       timestamptz '2026-03-01 19:00+00' + e * interval '3 days', 'on_sale',
       timestamptz '2025-03-01 00:00+00' + e * interval '1 day'
FROM generate_series(1, 40) AS e;

-- TK-NN-03 events.tenant_id NOT NULL: 2 events created by an import without a tenant; both are
-- tenant 1's (their venues 1 and 4 are).
UPDATE events SET tenant_id = NULL WHERE id IN (pg_temp.tk_id(4, 37), pg_temp.tk_id(4, 40));
-- TK-FK-04 events.venue_id → venues: 2 events at venues deleted since (ids 901, 902).
UPDATE events SET venue_id = pg_temp.tk_id(3, 900 + (CASE id WHEN pg_temp.tk_id(4, 38) THEN 1 ELSE 2 END))
WHERE id IN (pg_temp.tk_id(4, 38), pg_temp.tk_id(4, 39));

-- ---------------------------------------------------------------------------------------------
-- ticket_types: 120, three per event: t (GA), t + 40 (VIP), t + 80 (Early bird) for event t.
-- ---------------------------------------------------------------------------------------------
INSERT INTO ticket_types (id, tenant_id, event_id, name, price_cents, total_quantity, available_quantity, created_at)
SELECT pg_temp.tk_id(5, t), pg_temp.tk_id(1, ((t - 1) % 40) % 3 + 1), pg_temp.tk_id(4, (t - 1) % 40 + 1),
       (ARRAY['General admission', 'VIP', 'Early bird'])[(t - 1) / 40 + 1],
       (ARRAY[2500, 9900, 1500])[(t - 1) / 40 + 1], (ARRAY[200, 50, 100])[(t - 1) / 40 + 1], 0,
       timestamptz '2025-03-02 00:00+00' + t * interval '1 hour'
FROM generate_series(1, 120) AS t;

-- TK-CHK-01 price_cents >= 0: 2 ticket types with a negative price (a discount applied twice).
UPDATE ticket_types SET price_cents = -100 WHERE id IN (pg_temp.tk_id(5, 45), pg_temp.tk_id(5, 90));

-- ---------------------------------------------------------------------------------------------
-- orders: 800, order o by user (o - 1) % 300 + 1. Status by o % 10: 0 refunded, 1 failed,
-- 2 pending (no total yet), 3 cancelled, otherwise paid. Every fourth order carries an
-- idempotency key.
-- ---------------------------------------------------------------------------------------------
INSERT INTO orders (id, tenant_id, user_id, status, total_cents, idempotency_key, created_at)
SELECT pg_temp.tk_id(6, o), pg_temp.tk_id(1, ((o - 1) % 300) % 3 + 1), pg_temp.tk_id(2, (o - 1) % 300 + 1),
       CASE o % 10 WHEN 0 THEN 'refunded' WHEN 1 THEN 'failed' WHEN 2 THEN 'pending' WHEN 3 THEN 'cancelled' ELSE 'paid' END,
       CASE WHEN o % 10 <> 2 THEN 5000 + (o % 7) * 100 END,
       CASE WHEN o % 4 = 0 THEN 'idem-' || o END,
       timestamptz '2025-04-01 00:00+00' + o * interval '30 minutes'
FROM generate_series(1, 800) AS o;

-- TK-NN-05 orders.tenant_id NOT NULL: 3 abandoned carts without a tenant (no tickets).
INSERT INTO orders (id, tenant_id, user_id, status, total_cents, created_at)
SELECT pg_temp.tk_id(6, 800 + n), NULL, pg_temp.tk_id(2, n), 'pending', NULL, timestamptz '2025-07-01 00:00+00' + n * interval '1 hour'
FROM generate_series(1, 3) AS n;
-- TK-UQ-03 unique (tenant_id, idempotency_key): 2 groups / 4 rows, purchases retried with the
-- same key that created a second (failed, ticketless) order: 804 repeats order 4's key, 805 order
-- 8's. Not a duplicate: 806 reuses order 12's key (tenant 3) in tenant 1. The 600 orders without
-- a key (NULL) never conflict.
INSERT INTO orders (id, tenant_id, user_id, status, total_cents, idempotency_key, created_at)
SELECT pg_temp.tk_id(6, 800 + d.n), CASE WHEN d.n = 6 THEN pg_temp.tk_id(1, 1) ELSE o.tenant_id END,
       CASE WHEN d.n = 6 THEN pg_temp.tk_id(2, 1) ELSE o.user_id END, 'failed', o.total_cents, o.idempotency_key,
       o.created_at + interval '2 seconds'
FROM (VALUES (4, 4), (5, 8), (6, 12)) AS d(n, src)
JOIN orders o ON o.id = pg_temp.tk_id(6, d.src);

-- TK-AV-01 orders.status: 3 paid orders written by a payment webhook as 'PAID' (2) and 'Paid' (1).
UPDATE orders SET status = 'PAID' WHERE id IN (pg_temp.tk_id(6, 104), pg_temp.tk_id(6, 204));
UPDATE orders SET status = 'Paid' WHERE id = pg_temp.tk_id(6, 304);
-- TK-CHK-02 total_cents >= 0: 2 orders with a negative total (refund booked on the order).
-- Pending orders have no total yet (NULL passes).
UPDATE orders SET total_cents = -500 WHERE id IN (pg_temp.tk_id(6, 150), pg_temp.tk_id(6, 250));

-- ---------------------------------------------------------------------------------------------
-- tickets: 1,600, two per order, of ticket types of the order's tenant. Status follows the
-- order: paid → sold (used for every fifth), pending → reserved, refunded → refunded, failed and
-- cancelled → cancelled.
-- ---------------------------------------------------------------------------------------------
INSERT INTO tickets (id, tenant_id, ticket_type_id, order_id, user_id, ticket_number, status, reserved_until, created_at)
SELECT pg_temp.tk_id(7, k), o.tenant_id,
       pg_temp.tk_id(5, (r + 1 + 3 * ((o_n * 7 + k) % 13)) + 40 * (k % 3)),
       o.id, o.user_id, 'TKT-' || lpad(k::text, 6, '0'),
       CASE o.status WHEN 'paid' THEN CASE WHEN k % 5 = 0 THEN 'used' ELSE 'sold' END
                     WHEN 'pending' THEN 'reserved' WHEN 'refunded' THEN 'refunded' ELSE 'cancelled' END,
       CASE WHEN o.status = 'pending' THEN o.created_at + interval '15 minutes' END,
       o.created_at + interval '1 second'
FROM generate_series(1, 1600) AS k
CROSS JOIN LATERAL (SELECT (k - 1) / 2 + 1 AS o_n) AS n
JOIN orders o ON o.id = pg_temp.tk_id(6, n.o_n)
CROSS JOIN LATERAL (SELECT ((n.o_n - 1) % 300) % 3 AS r) AS rr;

-- TK-FK-01 tickets.ticket_type_id → ticket_types: 3 comp tickets of a ticket type deleted since.
INSERT INTO tickets (id, tenant_id, ticket_type_id, order_id, user_id, ticket_number, status, created_at)
SELECT pg_temp.tk_id(7, 1600 + n), pg_temp.tk_id(1, 1), pg_temp.tk_id(5, 9000 + n), NULL, pg_temp.tk_id(2, n),
       'COMP-' || n, 'sold', timestamptz '2025-08-01 00:00+00' + n * interval '1 hour'
FROM generate_series(1, 3) AS n;
-- TK-FK-02 tickets.order_id → orders: 2 sold tickets whose orders a cleanup job deleted.
INSERT INTO tickets (id, tenant_id, ticket_type_id, order_id, user_id, ticket_number, status, created_at)
SELECT pg_temp.tk_id(7, 1603 + n), pg_temp.tk_id(1, 1), pg_temp.tk_id(5, 1), pg_temp.tk_id(6, 9000 + n), pg_temp.tk_id(2, 1),
       'TKT-X' || n, 'sold', timestamptz '2025-08-02 00:00+00' + n * interval '1 hour'
FROM generate_series(1, 2) AS n;

-- TK-NN-06 tickets.tenant_id NOT NULL: 4 tickets of tenant 1's orders 4 and 7 lost their tenant.
UPDATE tickets SET tenant_id = NULL WHERE id = ANY (ARRAY[pg_temp.tk_id(7, 7), pg_temp.tk_id(7, 8), pg_temp.tk_id(7, 13), pg_temp.tk_id(7, 14)]);
-- TK-SM-01 tickets.status: 5 cancelled tickets (of failed orders 1, 11, 21) spelt 'canceled' (3)
-- and 'CANCELLED' (2).
UPDATE tickets SET status = 'canceled' WHERE id = ANY (ARRAY[pg_temp.tk_id(7, 1), pg_temp.tk_id(7, 2), pg_temp.tk_id(7, 21)]);
UPDATE tickets SET status = 'CANCELLED' WHERE id = ANY (ARRAY[pg_temp.tk_id(7, 22), pg_temp.tk_id(7, 41)]);

-- Inventory as the purchase path left it: total minus the tickets that hold a seat.
UPDATE ticket_types tt SET available_quantity = tt.total_quantity
    - (SELECT count(*) FROM tickets t WHERE t.ticket_type_id = tt.id AND t.status IN ('reserved', 'sold', 'transferred', 'used'));
-- TK-CNT-01 available_quantity: 5 ticket types drifted. 10, 20, 30 were decremented twice by a
-- retried purchase; 50, 70 got seats released twice by a cancellation.
UPDATE ticket_types SET available_quantity = available_quantity - 1
WHERE id IN (pg_temp.tk_id(5, 10), pg_temp.tk_id(5, 20), pg_temp.tk_id(5, 30));
UPDATE ticket_types SET available_quantity = available_quantity + 2
WHERE id IN (pg_temp.tk_id(5, 50), pg_temp.tk_id(5, 70));

DROP FUNCTION pg_temp.tk_id(int, int);

ANALYZE;
