-- Ticket service: the multi-tenant Node + PostgreSQL database of the audit
-- test/seeds/004_ddfcc4a99278647f.txt (06-database-integrity.md, 2025-12-23), reconstructed as
-- that audit finds it: before any of its remediation.
--
-- What the audit's "before" implies, and this file reproduces:
-- - "Foreign keys defined: PARTIAL — JOINs imply FKs, unverified": the tables join on
--   events.venue_id, ticket_types.event_id, orders.user_id, tickets.ticket_type_id and
--   tickets.order_id, and none of them is a foreign key;
-- - "NOT NULL on required: PARTIAL — app validates, DB unverified": tenant_id is nullable everywhere;
-- - "tenant_id in unique constraints: PARTIAL": users.email, venues.slug and orders.idempotency_key
--   are unique only in the application; tickets.ticket_number is UNIQUE ("Unique ticket numbers: PASS");
-- - "CHECK constraints: PARTIAL": there are none;
-- - "RLS enabled: users, venues, tickets" with user-based policies (enable_rls.sql), and a
--   `service_role` that bypasses RLS for background jobs; the service connects as `ticket_service`
--   with no statement_timeout;
-- - ticket_types.available_quantity is decremented atomically by the purchase path, without a
--   trigger or a check: nothing repairs it when a ticket is cancelled or a request fails halfway.
--
-- Roles belong to the server, not the database: they are created here when missing.
-- Plain SQL only: loads with `psql -v ON_ERROR_STOP=1 -f` and with one node-postgres query.

DO $$
BEGIN
    CREATE ROLE ticket_service NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database on this server created it first
END $$;
DO $$
BEGIN
    CREATE ROLE service_role NOLOGIN BYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $$;

CREATE TABLE tenants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    slug        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid,
    email       text NOT NULL,
    name        text,
    role        text NOT NULL DEFAULT 'customer',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_users_tenant ON users (tenant_id);

CREATE TABLE venues (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid,
    name        text NOT NULL,
    slug        text NOT NULL,
    capacity    integer NOT NULL,
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_venues_tenant ON venues (tenant_id);

CREATE TABLE events (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid,
    venue_id    uuid,                          -- joins venues; no foreign key
    name        text NOT NULL,
    starts_at   timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'on_sale',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_events_tenant ON events (tenant_id);
CREATE INDEX idx_events_venue ON events (venue_id);

CREATE TABLE ticket_types (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid,
    event_id            uuid NOT NULL,         -- joins events; no foreign key
    name                text NOT NULL,
    price_cents         integer NOT NULL,
    total_quantity      integer NOT NULL,
    available_quantity  integer NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_ticket_types_event ON ticket_types (event_id);

CREATE TABLE orders (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id           uuid,
    user_id             uuid,                  -- joins users; no foreign key
    status              text NOT NULL DEFAULT 'pending',
    total_cents         integer,
    idempotency_key     text,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_orders_tenant_user ON orders (tenant_id, user_id);

CREATE TABLE tickets (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id       uuid,
    ticket_type_id  uuid NOT NULL,             -- joins ticket_types; no foreign key
    order_id        uuid,                      -- joins orders; no foreign key (NULL: comp tickets)
    user_id         uuid,
    ticket_number   text NOT NULL UNIQUE,
    status          text NOT NULL DEFAULT 'reserved',
    reserved_until  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tickets_tenant ON tickets (tenant_id);
CREATE INDEX idx_tickets_user ON tickets (user_id);

-- enable_rls.sql: RLS on users, venues and tickets, with policies keyed on the user, not the tenant.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE venues ENABLE ROW LEVEL SECURITY;
ALTER TABLE tickets ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_self ON users
    USING (id = nullif(current_setting('app.current_user_id', true), '')::uuid);
CREATE POLICY venues_owner ON venues
    USING (created_by = nullif(current_setting('app.current_user_id', true), '')::uuid);
CREATE POLICY tickets_owner ON tickets
    USING (user_id = nullif(current_setting('app.current_user_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ticket_service, service_role;
