-- ActorHub demo database: the schema as the audit report 000_41b1b5a0410f4d20.txt finds it,
-- before any of its migrations (001-009) ran.
--
-- What the report's "before" implies, and this file reproduces:
-- - every foreign key is named <table>_<column>_fkey and has no ON DELETE rule (NO ACTION);
-- - licenses.identity_id, licenses.licensee_id, transactions.user_id and payouts.user_id are
--   NOT NULL (migration 001 drops NOT NULL when it switches them to SET NULL);
-- - usage_logs.api_key_id and audit_logs.api_key_id were created WITHOUT their foreign keys
--   (the keys were dropped to let API keys be hard-deleted), so they hold orphans;
-- - status columns are VARCHAR with no CHECK; no CHECK constraints at all;
-- - actor_packs.identity_id is already UNIQUE (SQLAlchemy unique=True);
-- - users has no deleted_at; notifications, usage_logs and audit_logs have no updated_at;
-- - audit_logs.action uses the enum type audit_action, ids are UUIDs.
--
-- Plain SQL only (no psql meta-commands): loads with `psql -v ON_ERROR_STOP=1 -f` and with a
-- single node-postgres client.query(text). gen_random_uuid() is built in since PostgreSQL 13.

CREATE TYPE audit_action AS ENUM (
    'CREATE', 'READ', 'UPDATE', 'DELETE', 'LOGIN', 'LOGOUT', 'VERIFY', 'LICENSE', 'EXPORT'
);

CREATE TABLE users (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email               VARCHAR(255) NOT NULL,
    password_hash       VARCHAR(255),
    first_name          VARCHAR(100),
    last_name           VARCHAR(100),
    display_name        VARCHAR(100),
    avatar_url          VARCHAR(500),
    role                VARCHAR(50) NOT NULL DEFAULT 'USER',
    tier                VARCHAR(50) NOT NULL DEFAULT 'FREE',
    is_active           BOOLEAN NOT NULL DEFAULT true,
    is_verified         BOOLEAN NOT NULL DEFAULT false,
    stripe_customer_id  VARCHAR(255),
    last_login_at       TIMESTAMP,
    created_at          TIMESTAMP NOT NULL DEFAULT now(),
    updated_at          TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE identities (
    id                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                 UUID NOT NULL,
    display_name            VARCHAR(255) NOT NULL,
    legal_name              VARCHAR(255),
    bio                     TEXT,
    profile_image_url       VARCHAR(500),
    status                  VARCHAR(50) DEFAULT 'PENDING',
    protection_level        VARCHAR(50) DEFAULT 'FREE',
    allow_commercial_use    BOOLEAN NOT NULL DEFAULT false,
    allow_ai_training       BOOLEAN NOT NULL DEFAULT false,
    revenue_share_percent   NUMERIC(5, 2) DEFAULT 70,
    base_license_fee        NUMERIC(10, 2) DEFAULT 0,
    hourly_rate             NUMERIC(10, 2),
    per_image_rate          NUMERIC(10, 2),
    total_verifications     INTEGER NOT NULL DEFAULT 0,
    total_licenses          INTEGER NOT NULL DEFAULT 0,
    total_revenue           NUMERIC(12, 2) DEFAULT 0,
    verified_at             TIMESTAMP,
    deleted_at              TIMESTAMP,
    created_at              TIMESTAMP NOT NULL DEFAULT now(),
    updated_at              TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT identities_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX ix_identities_user_id ON identities (user_id);

CREATE TABLE api_keys (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         UUID NOT NULL,
    name            VARCHAR(100) NOT NULL,
    key_hash        VARCHAR(255) NOT NULL,
    key_prefix      VARCHAR(12) NOT NULL,
    scopes          JSONB NOT NULL DEFAULT '[]',
    rate_limit      INTEGER NOT NULL DEFAULT 100,
    is_active       BOOLEAN NOT NULL DEFAULT true,
    usage_count     INTEGER NOT NULL DEFAULT 0,
    last_used_at    TIMESTAMP,
    expires_at      TIMESTAMP,
    created_at      TIMESTAMP NOT NULL DEFAULT now(),
    updated_at      TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX ix_api_keys_user_id ON api_keys (user_id);

CREATE TABLE actor_packs (
    id                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    identity_id             UUID NOT NULL,
    name                    VARCHAR(255) NOT NULL,
    description             TEXT,
    version                 VARCHAR(20) NOT NULL DEFAULT '1.0.0',
    training_status         VARCHAR(50) DEFAULT 'PENDING',
    training_progress       INTEGER DEFAULT 0,
    training_error          TEXT,
    training_started_at     TIMESTAMP,
    training_completed_at   TIMESTAMP,
    training_images_count   INTEGER NOT NULL DEFAULT 0,
    training_audio_seconds  INTEGER NOT NULL DEFAULT 0,
    training_video_seconds  INTEGER NOT NULL DEFAULT 0,
    quality_score           NUMERIC(5, 2),
    authenticity_score      NUMERIC(5, 2),
    consistency_score       NUMERIC(5, 2),
    file_size_bytes         BIGINT,
    s3_bucket               VARCHAR(255),
    s3_key                  VARCHAR(500),
    components              JSONB NOT NULL DEFAULT '{}',
    base_price_usd          NUMERIC(10, 2) DEFAULT 0,
    price_per_second_usd    NUMERIC(10, 2),
    price_per_image_usd     NUMERIC(10, 2),
    total_downloads         INTEGER NOT NULL DEFAULT 0,
    total_uses              INTEGER NOT NULL DEFAULT 0,
    total_revenue_usd       NUMERIC(12, 2) DEFAULT 0,
    is_public               BOOLEAN NOT NULL DEFAULT false,
    is_available            BOOLEAN NOT NULL DEFAULT false,
    created_at              TIMESTAMP NOT NULL DEFAULT now(),
    updated_at              TIMESTAMP NOT NULL DEFAULT now(),
    -- "Already has unique=True" (report §2.1): one actor pack per identity.
    CONSTRAINT actor_packs_identity_id_key UNIQUE (identity_id),
    CONSTRAINT actor_packs_identity_id_fkey FOREIGN KEY (identity_id) REFERENCES identities (id)
);

CREATE TABLE listings (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    identity_id     UUID NOT NULL,
    title           VARCHAR(255) NOT NULL,
    description     TEXT,
    category        VARCHAR(100),
    tags            JSONB NOT NULL DEFAULT '[]',
    pricing_tiers   JSONB NOT NULL DEFAULT '[]',
    thumbnail_url   VARCHAR(500),
    is_active       BOOLEAN DEFAULT true,
    is_featured     BOOLEAN NOT NULL DEFAULT false,
    view_count      INTEGER NOT NULL DEFAULT 0,
    favorite_count  INTEGER NOT NULL DEFAULT 0,
    license_count   INTEGER NOT NULL DEFAULT 0,
    published_at    TIMESTAMP,
    created_at      TIMESTAMP NOT NULL DEFAULT now(),
    updated_at      TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT listings_identity_id_fkey FOREIGN KEY (identity_id) REFERENCES identities (id)
);
-- A plain (non-unique) index: it does NOT make "one listing per identity" hold.
CREATE INDEX ix_listings_identity_id ON listings (identity_id);

CREATE TABLE licenses (
    id                          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    identity_id                 UUID NOT NULL,
    licensee_id                 UUID NOT NULL,
    license_type                VARCHAR(50) NOT NULL DEFAULT 'SINGLE_USE',
    usage_type                  VARCHAR(50) NOT NULL DEFAULT 'PERSONAL',
    project_name                VARCHAR(255),
    project_description         TEXT,
    allowed_platforms           JSONB NOT NULL DEFAULT '[]',
    max_impressions             INTEGER,
    max_outputs                 INTEGER,
    current_uses                INTEGER DEFAULT 0,
    current_impressions         INTEGER NOT NULL DEFAULT 0,
    valid_from                  TIMESTAMP,
    valid_until                 TIMESTAMP,
    price_usd                   NUMERIC(10, 2) NOT NULL,
    platform_fee_percent        NUMERIC(5, 2) DEFAULT 20,
    creator_payout_usd          NUMERIC(10, 2),
    payment_status              VARCHAR(50) DEFAULT 'PENDING',
    stripe_payment_intent_id    VARCHAR(255),
    stripe_checkout_session_id  VARCHAR(255),
    paid_at                     TIMESTAMP,
    payout_status               VARCHAR(50) DEFAULT 'pending',
    is_active                   BOOLEAN NOT NULL DEFAULT true,
    created_at                  TIMESTAMP NOT NULL DEFAULT now(),
    updated_at                  TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT licenses_identity_id_fkey FOREIGN KEY (identity_id) REFERENCES identities (id),
    CONSTRAINT licenses_licensee_id_fkey FOREIGN KEY (licensee_id) REFERENCES users (id)
);
CREATE INDEX ix_licenses_identity_id ON licenses (identity_id);
CREATE INDEX ix_licenses_licensee_id ON licenses (licensee_id);

CREATE TABLE transactions (
    id                          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                     UUID NOT NULL,
    license_id                  UUID,
    type                        VARCHAR(50) NOT NULL,
    amount_usd                  NUMERIC(10, 2) NOT NULL,
    currency                    VARCHAR(3) NOT NULL DEFAULT 'USD',
    status                      VARCHAR(50) NOT NULL DEFAULT 'PENDING',
    stripe_payment_intent_id    VARCHAR(255),
    description                 TEXT,
    created_at                  TIMESTAMP NOT NULL DEFAULT now(),
    updated_at                  TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT transactions_license_id_fkey FOREIGN KEY (license_id) REFERENCES licenses (id)
);
CREATE INDEX ix_transactions_user_id ON transactions (user_id);

CREATE TABLE notifications (
    id          UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     UUID NOT NULL,
    type        VARCHAR(50) NOT NULL,
    title       VARCHAR(255) NOT NULL,
    message     TEXT,
    action_url  VARCHAR(500),
    is_read     BOOLEAN NOT NULL DEFAULT false,
    created_at  TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX ix_notifications_user_id ON notifications (user_id);

CREATE TABLE audit_logs (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         UUID,
    api_key_id      UUID,           -- no foreign key (see header)
    action          audit_action NOT NULL,
    resource_type   VARCHAR(100),
    resource_id     UUID,
    old_values      JSONB,
    new_values      JSONB,
    description     TEXT,
    ip_address      VARCHAR(45),
    user_agent      VARCHAR(500),
    request_id      VARCHAR(100),
    success         BOOLEAN NOT NULL DEFAULT true,
    error_message   TEXT,
    created_at      TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT audit_logs_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX ix_audit_logs_user_id ON audit_logs (user_id);

CREATE TABLE subscriptions (
    id                      UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id                 UUID NOT NULL,
    plan                    VARCHAR(50) NOT NULL DEFAULT 'FREE',
    status                  VARCHAR(50) NOT NULL DEFAULT 'ACTIVE',
    stripe_subscription_id  VARCHAR(255),
    stripe_customer_id      VARCHAR(255),
    amount                  NUMERIC(10, 2),
    currency                VARCHAR(3) NOT NULL DEFAULT 'USD',
    interval                VARCHAR(20) NOT NULL DEFAULT 'month',
    identities_limit        INTEGER,
    api_calls_limit         INTEGER,
    storage_limit_mb        INTEGER,
    current_period_start    TIMESTAMP,
    current_period_end      TIMESTAMP,
    cancel_at_period_end    BOOLEAN NOT NULL DEFAULT false,
    canceled_at             TIMESTAMP,
    created_at              TIMESTAMP NOT NULL DEFAULT now(),
    updated_at              TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT subscriptions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX ix_subscriptions_user_id ON subscriptions (user_id);

CREATE TABLE payouts (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id             UUID NOT NULL,
    amount              NUMERIC(10, 2) NOT NULL,
    currency            VARCHAR(3) NOT NULL DEFAULT 'USD',
    fee                 NUMERIC(10, 2) DEFAULT 0,
    net_amount          NUMERIC(10, 2),
    status              VARCHAR(50) DEFAULT 'PENDING',
    method              VARCHAR(50) NOT NULL DEFAULT 'stripe',
    stripe_transfer_id  VARCHAR(255),
    period_start        DATE NOT NULL,
    period_end          DATE,
    transaction_count   INTEGER NOT NULL DEFAULT 0,
    processed_at        TIMESTAMP,
    completed_at        TIMESTAMP,
    failure_reason      TEXT,
    created_at          TIMESTAMP NOT NULL DEFAULT now(),
    updated_at          TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT payouts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX ix_payouts_user_id ON payouts (user_id);

CREATE TABLE usage_logs (
    id                  UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    identity_id         UUID,
    license_id          UUID,
    actor_pack_id       UUID,
    api_key_id          UUID,           -- no foreign key (see header)
    requester_id        UUID,
    action              VARCHAR(50) NOT NULL,
    matched             BOOLEAN,
    similarity_score    NUMERIC(5, 4),
    response_time_ms    INTEGER,
    amount_charged_usd  NUMERIC(10, 2) NOT NULL DEFAULT 0,
    requester_ip        VARCHAR(45),
    created_at          TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT usage_logs_identity_id_fkey FOREIGN KEY (identity_id) REFERENCES identities (id),
    CONSTRAINT usage_logs_license_id_fkey FOREIGN KEY (license_id) REFERENCES licenses (id),
    CONSTRAINT usage_logs_actor_pack_id_fkey FOREIGN KEY (actor_pack_id) REFERENCES actor_packs (id)
);
CREATE INDEX ix_usage_logs_identity_id ON usage_logs (identity_id);
CREATE INDEX ix_usage_logs_actor_pack_id ON usage_logs (actor_pack_id);
CREATE INDEX ix_usage_logs_created_at ON usage_logs (created_at);

CREATE TABLE webhook_events (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    source          VARCHAR(50) NOT NULL,
    event_type      VARCHAR(100) NOT NULL,
    event_id        VARCHAR(255) NOT NULL,
    payload         JSONB NOT NULL DEFAULT '{}',
    status          VARCHAR(50) NOT NULL DEFAULT 'received',
    processed_at    TIMESTAMP,
    error           TEXT,
    created_at      TIMESTAMP NOT NULL DEFAULT now(),
    updated_at      TIMESTAMP NOT NULL DEFAULT now(),
    CONSTRAINT webhook_events_event_id_key UNIQUE (event_id)
);
