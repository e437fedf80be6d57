-- ActorHub demo data: deterministic (no random(), no now()), with defects of known counts for
-- every finding in findings.yaml. expected.json holds the counts; README.md explains them.
--
-- Ids are readable UUIDs: pg_temp.ah_id(kind, n) = '<kind as 8 digits>-0000-4000-8000-<n as 12 digits>'
--   kind: 1 users, 2 identities, 3 api_keys, 4 licenses, 5 transactions, 6 notifications,
--         7 audit_logs, 8 subscriptions, 9 payouts, 10 actor_packs, 11 listings, 12 usage_logs,
--         13 webhook_events
-- so user 42 is 00000001-0000-4000-8000-000000000042. Base rows come from generate_series;
-- each defect is a separate, commented statement naming the rows it touches. Defect row sets
-- of one table never overlap, so each count holds whatever order findings are fixed in.
-- The helpers live in pg_temp and are dropped at the end: nothing is left in the schema.

CREATE OR REPLACE FUNCTION pg_temp.ah_id(kind int, n int) RETURNS uuid
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT (lpad(kind::text, 8, '0') || '-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$;

CREATE OR REPLACE FUNCTION pg_temp.ah_ids(kind int, ns int[]) RETURNS uuid[]
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT array_agg(pg_temp.ah_id(kind, n)) FROM unnest(ns) AS n $$;

-- ---------------------------------------------------------------------------------------------
-- users: 200 regular users + 5 junk sign-ups (201-205) with malformed emails and nothing else.
-- ---------------------------------------------------------------------------------------------
INSERT INTO users (id, email, password_hash, first_name, last_name, display_name, role, tier,
                   is_active, is_verified, stripe_customer_id, last_login_at, created_at, updated_at)
SELECT pg_temp.ah_id(1, g),
       CASE WHEN g % 50 = 0 THEN format('User%s@Example.COM', g)              -- valid (regex is ~*)
            WHEN g % 40 = 0 THEN format('first.last+%s@mail.example.co.uk', g) -- valid
            ELSE format('user%s@example.com', g) END,
       'pbkdf2$' || md5('pw' || g),
       'First' || g, 'Last' || g, 'user' || g,
       CASE WHEN g <= 5 THEN 'ADMIN' WHEN g <= 156 THEN 'CREATOR' ELSE 'USER' END,
       (ARRAY['FREE', 'PRO', 'CREATOR', 'ENTERPRISE'])[g % 4 + 1],
       g % 25 <> 0, g % 3 <> 0,
       'cus_' || lpad(g::text, 10, '0'),
       timestamp '2024-12-01 00:00' + g * interval '1 hour',
       timestamp '2024-01-01 00:00' + g * interval '1 hour',
       timestamp '2024-06-01 00:00' + g * interval '1 hour'
FROM generate_series(1, 200) AS g;

-- AH-CHK-21 chk_email_format: 5 violations (users 201-205, no rows reference them).
INSERT INTO users (id, email, first_name, role, tier, created_at, updated_at) VALUES
    (pg_temp.ah_id(1, 201), 'user201@example',       'Junk', 'USER', 'FREE', '2024-11-01 10:00', '2024-11-01 10:00'),
    (pg_temp.ah_id(1, 202), 'user202.example.com',   'Junk', 'USER', 'FREE', '2024-11-01 11:00', '2024-11-01 11:00'),
    (pg_temp.ah_id(1, 203), 'user 203@example.com',  'Junk', 'USER', 'FREE', '2024-11-01 12:00', '2024-11-01 12:00'),
    (pg_temp.ah_id(1, 204), 'user204@@example.com',  'Junk', 'USER', 'FREE', '2024-11-01 13:00', '2024-11-01 13:00'),
    (pg_temp.ah_id(1, 205), 'user205@example.c',     'Junk', 'USER', 'FREE', '2024-11-01 14:00', '2024-11-01 14:00');

-- ---------------------------------------------------------------------------------------------
-- identities: 300 base rows (users 1-150, one or two each; 8 soft-deleted: n % 37 = 0;
-- 13 with hourly_rate NULL: n % 23 = 0) + 13 rows (301-313) for the duplicate-name finding.
-- ---------------------------------------------------------------------------------------------
INSERT INTO identities (id, user_id, display_name, legal_name, bio, profile_image_url, status,
                        protection_level, allow_commercial_use, allow_ai_training,
                        revenue_share_percent, base_license_fee, hourly_rate, per_image_rate,
                        verified_at, deleted_at, created_at, updated_at)
SELECT pg_temp.ah_id(2, g),
       pg_temp.ah_id(1, (g - 1) % 150 + 1),
       'Actor ' || g,
       'Legal Name ' || g,
       'Bio of actor ' || g,
       format('https://cdn.actorhub.example/identities/%s.jpg', g),
       CASE g % 10 WHEN 1 THEN 'PENDING' WHEN 2 THEN 'PROCESSING' WHEN 3 THEN 'REJECTED'
                   WHEN 4 THEN 'SUSPENDED' ELSE 'VERIFIED' END,
       (ARRAY['FREE', 'PRO', 'ENTERPRISE'])[g % 3 + 1],
       g % 3 <> 0,
       g % 4 = 0,
       70 + (g % 3) * 5,
       10 + (g % 5) * 5,
       CASE WHEN g % 23 = 0 THEN NULL ELSE 50 + g % 10 END,
       2.50,
       CASE WHEN g % 10 IN (0, 5, 6, 7, 8, 9) THEN timestamp '2024-02-01 00:00' + g * interval '1 hour' END,
       CASE WHEN g % 37 = 0 THEN timestamp '2024-10-01 00:00' + g * interval '1 hour' END,
       timestamp '2024-01-15 00:00' + g * interval '1 hour',
       timestamp '2024-07-01 00:00' + g * interval '1 hour'
FROM generate_series(1, 300) AS g;

-- AH-UQ-01 idx_identity_user_display_name (user_id, lower(display_name)) WHERE deleted_at IS NULL:
-- 3 groups / 7 rows: 301+302 (same name), 303+304+305 (case only), 306+307 (case only).
-- Not duplicates: 309 (soft-deleted twin of 308), 310 (same name, other user), 311 (trailing
-- space), 312+313 (both soft-deleted).
INSERT INTO identities (id, user_id, display_name, status, allow_commercial_use, revenue_share_percent,
                        base_license_fee, hourly_rate, per_image_rate, deleted_at, created_at, updated_at) VALUES
    (pg_temp.ah_id(2, 301), pg_temp.ah_id(1, 151), 'Maya Chen',   'VERIFIED', true,  70, 20, 60, 2.50, NULL, '2024-03-01 09:00', '2024-03-01 09:00'),
    (pg_temp.ah_id(2, 302), pg_temp.ah_id(1, 151), 'Maya Chen',   'PENDING',  true,  70, 20, 60, 2.50, NULL, '2024-03-05 09:00', '2024-03-05 09:00'),
    (pg_temp.ah_id(2, 303), pg_temp.ah_id(1, 152), 'Alex Stone',  'VERIFIED', false, 70, 15, 55, 2.50, NULL, '2024-03-02 09:00', '2024-03-02 09:00'),
    (pg_temp.ah_id(2, 304), pg_temp.ah_id(1, 152), 'alex stone',  'PENDING',  false, 70, 15, 55, 2.50, NULL, '2024-03-06 09:00', '2024-03-06 09:00'),
    (pg_temp.ah_id(2, 305), pg_temp.ah_id(1, 152), 'ALEX STONE',  'PENDING',  false, 70, 15, 55, 2.50, NULL, '2024-03-09 09:00', '2024-03-09 09:00'),
    (pg_temp.ah_id(2, 306), pg_temp.ah_id(1, 153), 'Jordan Lee',  'VERIFIED', true,  75, 25, 65, 2.50, NULL, '2024-03-03 09:00', '2024-03-03 09:00'),
    (pg_temp.ah_id(2, 307), pg_temp.ah_id(1, 153), 'JORDAN Lee',  'PENDING',  true,  75, 25, 65, 2.50, NULL, '2024-03-07 09:00', '2024-03-07 09:00'),
    (pg_temp.ah_id(2, 308), pg_temp.ah_id(1, 154), 'Sam Rivera',  'VERIFIED', true,  70, 20, 60, 2.50, NULL, '2024-03-04 09:00', '2024-03-04 09:00'),
    (pg_temp.ah_id(2, 309), pg_temp.ah_id(1, 154), 'sam rivera',  'SUSPENDED', true, 70, 20, 60, 2.50, '2024-09-01 00:00', '2024-03-08 09:00', '2024-09-01 00:00'),
    (pg_temp.ah_id(2, 310), pg_temp.ah_id(1, 155), 'Maya Chen',   'VERIFIED', true,  70, 20, 60, 2.50, NULL, '2024-03-10 09:00', '2024-03-10 09:00'),
    (pg_temp.ah_id(2, 311), pg_temp.ah_id(1, 153), 'Jordan Lee ', 'PENDING',  true,  75, 25, 65, 2.50, NULL, '2024-03-11 09:00', '2024-03-11 09:00'),
    (pg_temp.ah_id(2, 312), pg_temp.ah_id(1, 156), 'Kim Park',    'SUSPENDED', false, 70, 10, 50, 2.50, '2024-09-02 00:00', '2024-03-12 09:00', '2024-09-02 00:00'),
    (pg_temp.ah_id(2, 313), pg_temp.ah_id(1, 156), 'Kim Park',    'SUSPENDED', false, 70, 10, 50, 2.50, '2024-09-03 00:00', '2024-03-13 09:00', '2024-09-03 00:00');

-- AH-AV-01 chk_identity_status / AH-SM-01: 10 rows outside the list, 4 distinct values.
UPDATE identities SET status = 'ACTIVE'    WHERE id = ANY (pg_temp.ah_ids(2, '{201,202,203,204}'));
UPDATE identities SET status = 'verified'  WHERE id = ANY (pg_temp.ah_ids(2, '{205,206,207}'));
UPDATE identities SET status = 'VERIFIED ' WHERE id = ANY (pg_temp.ah_ids(2, '{208,209}'));  -- trailing space
UPDATE identities SET status = 'DELETED'   WHERE id = ANY (pg_temp.ah_ids(2, '{210}'));
-- ... and 2 rows with NULL status: not violations (CHECK passes NULL; no state at all).
UPDATE identities SET status = NULL        WHERE id = ANY (pg_temp.ah_ids(2, '{211,212}'));

-- AH-CHK-06 chk_identity_revenue_share: 3 violations; 2 NULLs pass.
UPDATE identities SET revenue_share_percent = 120  WHERE id = ANY (pg_temp.ah_ids(2, '{213,214}'));
UPDATE identities SET revenue_share_percent = -5   WHERE id = ANY (pg_temp.ah_ids(2, '{215}'));
UPDATE identities SET revenue_share_percent = NULL WHERE id = ANY (pg_temp.ah_ids(2, '{216,217}'));

-- AH-CHK-07 chk_identity_prices_positive: 3 violations (negative base_license_fee). Identity 230
-- also has hourly_rate NULL: FALSE AND NULL is FALSE, so it still violates. The other 12 rows with
-- hourly_rate NULL pass.
UPDATE identities SET base_license_fee = -10 WHERE id = ANY (pg_temp.ah_ids(2, '{218,219,230}'));

-- ---------------------------------------------------------------------------------------------
-- api_keys: 250 base keys (users 1-120; 25 inactive: n % 10 = 0) + 8 rows (251-258).
-- ---------------------------------------------------------------------------------------------
INSERT INTO api_keys (id, user_id, name, key_hash, key_prefix, scopes, rate_limit, is_active,
                      usage_count, last_used_at, expires_at, created_at, updated_at)
SELECT pg_temp.ah_id(3, g),
       pg_temp.ah_id(1, (g - 1) % 120 + 1),
       'key-' || g,
       'sha256:' || md5('api-key-' || g),
       'ah_' || lpad(g::text, 6, '0'),
       '["verify", "generate"]',
       100 * (1 + g % 5),
       g % 10 <> 0,
       g * 3,
       timestamp '2024-12-01 00:00' + g * interval '1 hour',
       CASE WHEN g % 6 = 0 THEN timestamp '2025-06-01 00:00' END,
       timestamp '2024-02-01 00:00' + g * interval '1 hour',
       timestamp '2024-08-01 00:00' + g * interval '1 hour'
FROM generate_series(1, 250) AS g;

-- AH-UQ-04 idx_apikey_user_name (user_id, lower(name)) WHERE is_active = true:
-- 2 groups / 5 rows: 251+252 ('Production'/'production'), 253+254+255 ('CI key'/'CI Key'/'ci key').
-- Not duplicates: 256 (inactive), 257 (other user), 258 (other user).
INSERT INTO api_keys (id, user_id, name, key_hash, key_prefix, is_active, created_at, updated_at) VALUES
    (pg_temp.ah_id(3, 251), pg_temp.ah_id(1, 160), 'Production', 'sha256:dup251', 'ah_000251', true,  '2024-04-01 08:00', '2024-04-01 08:00'),
    (pg_temp.ah_id(3, 252), pg_temp.ah_id(1, 160), 'production', 'sha256:dup252', 'ah_000252', true,  '2024-04-03 08:00', '2024-04-03 08:00'),
    (pg_temp.ah_id(3, 253), pg_temp.ah_id(1, 161), 'CI key',     'sha256:dup253', 'ah_000253', true,  '2024-04-02 08:00', '2024-04-02 08:00'),
    (pg_temp.ah_id(3, 254), pg_temp.ah_id(1, 161), 'CI Key',     'sha256:dup254', 'ah_000254', true,  '2024-04-04 08:00', '2024-04-04 08:00'),
    (pg_temp.ah_id(3, 255), pg_temp.ah_id(1, 161), 'ci key',     'sha256:dup255', 'ah_000255', true,  '2024-04-06 08:00', '2024-04-06 08:00'),
    (pg_temp.ah_id(3, 256), pg_temp.ah_id(1, 161), 'ci key',     'sha256:dup256', 'ah_000256', false, '2024-04-08 08:00', '2024-04-08 08:00'),
    (pg_temp.ah_id(3, 257), pg_temp.ah_id(1, 162), 'Production', 'sha256:dup257', 'ah_000257', true,  '2024-04-05 08:00', '2024-04-05 08:00'),
    (pg_temp.ah_id(3, 258), pg_temp.ah_id(1, 163), 'production', 'sha256:dup258', 'ah_000258', true,  '2024-04-07 08:00', '2024-04-07 08:00');

-- ---------------------------------------------------------------------------------------------
-- actor_packs: one per identity 1-250 (pack n belongs to identity n).
-- ---------------------------------------------------------------------------------------------
INSERT INTO actor_packs (id, identity_id, name, description, version, training_status, training_progress,
                         training_started_at, training_completed_at, training_images_count,
                         training_audio_seconds, training_video_seconds, quality_score,
                         authenticity_score, consistency_score, file_size_bytes, s3_bucket, s3_key,
                         base_price_usd, price_per_second_usd, price_per_image_usd, is_public,
                         is_available, created_at, updated_at)
SELECT pg_temp.ah_id(10, g),
       pg_temp.ah_id(2, g),
       'Pack ' || g,
       'Actor pack for actor ' || g,
       format('1.%s.0', g % 4),
       s.status,
       CASE s.status WHEN 'COMPLETED' THEN 100 WHEN 'PROCESSING' THEN 50 WHEN 'FAILED' THEN 30 ELSE 0 END,
       CASE WHEN s.status <> 'PENDING' THEN timestamp '2024-03-01 00:00' + g * interval '1 hour' END,
       CASE WHEN s.status = 'COMPLETED' THEN timestamp '2024-03-02 00:00' + g * interval '1 hour' END,
       20 + g % 30, g % 120, g % 60,
       CASE WHEN s.status = 'COMPLETED' THEN 80 + g % 20 END,
       CASE WHEN s.status = 'COMPLETED' THEN 85 + g % 15 END,
       CASE WHEN s.status = 'COMPLETED' THEN 75 + g % 25 END,
       CASE WHEN s.status = 'COMPLETED' THEN 100000000 + g * 1000 END,
       'actorhub-packs',
       format('packs/%s/pack.tar', g),
       25 + (g % 4) * 5, 0.50, 1.00,
       g % 2 = 0,
       s.status = 'COMPLETED',
       timestamp '2024-02-15 00:00' + g * interval '1 hour',
       timestamp '2024-08-15 00:00' + g * interval '1 hour'
FROM generate_series(1, 250) AS g
CROSS JOIN LATERAL (SELECT CASE g % 10 WHEN 1 THEN 'PENDING' WHEN 2 THEN 'QUEUED' WHEN 3 THEN 'PROCESSING'
                                       WHEN 4 THEN 'FAILED' ELSE 'COMPLETED' END AS status) AS s;

-- AH-AV-02 chk_training_status / AH-SM-02: 6 rows outside the list, 3 distinct values; 1 NULL passes.
UPDATE actor_packs SET training_status = 'TRAINING'  WHERE id = ANY (pg_temp.ah_ids(10, '{201,202,203}'));
UPDATE actor_packs SET training_status = 'done'      WHERE id = ANY (pg_temp.ah_ids(10, '{204,205}'));
UPDATE actor_packs SET training_status = 'CANCELLED' WHERE id = ANY (pg_temp.ah_ids(10, '{206}'));
UPDATE actor_packs SET training_status = NULL        WHERE id = ANY (pg_temp.ah_ids(10, '{207}'));

-- AH-CHK-08 chk_pack_progress_range: 3 violations; 1 NULL passes.
UPDATE actor_packs SET training_progress = 120  WHERE id = ANY (pg_temp.ah_ids(10, '{208,209}'));
UPDATE actor_packs SET training_progress = 101  WHERE id = ANY (pg_temp.ah_ids(10, '{210}'));
UPDATE actor_packs SET training_progress = NULL WHERE id = ANY (pg_temp.ah_ids(10, '{211}'));

-- AH-CHK-09 chk_pack_quality_range: 3 violations (the non-COMPLETED packs' NULL scores pass).
UPDATE actor_packs SET quality_score = 105.5 WHERE id = ANY (pg_temp.ah_ids(10, '{212,213}'));
UPDATE actor_packs SET quality_score = -1    WHERE id = ANY (pg_temp.ah_ids(10, '{214}'));

-- AH-CHK-10 chk_pack_authenticity_range: no violations. The 100 packs that are not COMPLETED
-- have authenticity_score NULL and pass, so this finding is ready, not blocked.

-- AH-CHK-11 chk_pack_file_size: 2 violations.
UPDATE actor_packs SET file_size_bytes = -1 WHERE id = ANY (pg_temp.ah_ids(10, '{217,218}'));

-- AH-CHK-12 chk_pack_prices_positive: 3 violations (negative per-image price); 2 NULL
-- per-second prices pass.
UPDATE actor_packs SET price_per_image_usd = -1.00  WHERE id = ANY (pg_temp.ah_ids(10, '{219,220,221}'));
UPDATE actor_packs SET price_per_second_usd = NULL  WHERE id = ANY (pg_temp.ah_ids(10, '{222,223}'));

-- ---------------------------------------------------------------------------------------------
-- listings: one per identity 1-280 (listing n belongs to identity n; 31 inactive: n % 9 = 0)
-- + 8 rows (281-288).
-- ---------------------------------------------------------------------------------------------
INSERT INTO listings (id, identity_id, title, description, category, tags, pricing_tiers, thumbnail_url,
                      is_active, is_featured, view_count, favorite_count, published_at, created_at, updated_at)
SELECT pg_temp.ah_id(11, g),
       pg_temp.ah_id(2, g),
       'Listing for Actor ' || g,
       'License the likeness of actor ' || g,
       (ARRAY['film', 'advertising', 'gaming', 'education'])[g % 4 + 1],
       '["actor"]',
       '[{"name": "basic", "price": 25}]',
       format('https://cdn.actorhub.example/listings/%s.jpg', g),
       g % 9 <> 0,
       g % 20 = 0,
       g * 7 % 500,
       g % 40,
       timestamp '2024-03-01 00:00' + g * interval '1 hour',
       timestamp '2024-03-01 00:00' + g * interval '1 hour',
       timestamp '2024-09-01 00:00' + g * interval '1 hour'
FROM generate_series(1, 280) AS g;

-- AH-UQ-02 idx_listing_identity_unique (identity_id) WHERE is_active = true:
-- 4 groups / 9 rows: identity 10 (listings 10, 281), 20 (20, 282), 30 (30, 283), 40 (40, 284, 285).
-- Not duplicates: 286 (identity 18's base listing is inactive), 287 (inactive), 288 (is_active NULL).
INSERT INTO listings (id, identity_id, title, is_active, created_at, updated_at) VALUES
    (pg_temp.ah_id(11, 281), pg_temp.ah_id(2, 10), 'Listing for Actor 10 (relisted)',  true,  '2024-11-01 10:00', '2024-11-01 10:00'),
    (pg_temp.ah_id(11, 282), pg_temp.ah_id(2, 20), 'Listing for Actor 20 (relisted)',  true,  '2024-11-02 10:00', '2024-11-02 10:00'),
    (pg_temp.ah_id(11, 283), pg_temp.ah_id(2, 30), 'Listing for Actor 30 (relisted)',  true,  '2024-11-03 10:00', '2024-11-03 10:00'),
    (pg_temp.ah_id(11, 284), pg_temp.ah_id(2, 40), 'Listing for Actor 40 (relisted)',  true,  '2024-11-04 10:00', '2024-11-04 10:00'),
    (pg_temp.ah_id(11, 285), pg_temp.ah_id(2, 40), 'Listing for Actor 40 (again)',     true,  '2024-11-05 10:00', '2024-11-05 10:00'),
    (pg_temp.ah_id(11, 286), pg_temp.ah_id(2, 18), 'Listing for Actor 18 (relisted)',  true,  '2024-11-06 10:00', '2024-11-06 10:00'),
    (pg_temp.ah_id(11, 287), pg_temp.ah_id(2, 50), 'Listing for Actor 50 (draft)',     false, '2024-11-07 10:00', '2024-11-07 10:00'),
    (pg_temp.ah_id(11, 288), pg_temp.ah_id(2, 60), 'Listing for Actor 60 (imported)',  NULL,  '2024-11-08 10:00', '2024-11-08 10:00');

-- ---------------------------------------------------------------------------------------------
-- licenses: 1200 (identities 1-260, licensees = users 1-200). Defect rows are 1001-1045.
-- ---------------------------------------------------------------------------------------------
INSERT INTO licenses (id, identity_id, licensee_id, license_type, usage_type, project_name,
                      max_impressions, max_outputs, current_uses, current_impressions, valid_from,
                      valid_until, price_usd, platform_fee_percent, creator_payout_usd, payment_status,
                      stripe_payment_intent_id, paid_at, payout_status, is_active, created_at, updated_at)
SELECT pg_temp.ah_id(4, g),
       pg_temp.ah_id(2, (g - 1) % 260 + 1),
       pg_temp.ah_id(1, (g - 1) % 200 + 1),
       (ARRAY['SINGLE_USE', 'SUBSCRIPTION', 'UNLIMITED', 'CUSTOM'])[g % 4 + 1],
       (ARRAY['PERSONAL', 'COMMERCIAL', 'EDITORIAL', 'EDUCATIONAL'])[(g / 4) % 4 + 1],
       'Project ' || g,
       NULL,
       CASE WHEN g % 3 = 0 THEN NULL ELSE 10 END,
       g % 7,
       0,
       timestamp '2024-02-01 00:00' + g * interval '1 hour',
       CASE WHEN g % 5 = 0 THEN NULL ELSE timestamp '2025-02-01 00:00' + g * interval '1 hour' END,
       10 + g % 50,
       20,
       (10 + g % 50) * 0.80,
       p.status,
       'pi_' || lpad(g::text, 10, '0'),
       CASE WHEN p.status IN ('COMPLETED', 'REFUNDED') THEN timestamp '2024-02-01 01:00' + g * interval '1 hour' END,
       CASE WHEN g % 2 = 0 THEN 'paid' ELSE 'pending' END,
       true,
       timestamp '2024-02-01 00:00' + g * interval '1 hour',
       timestamp '2024-02-01 00:00' + g * interval '1 hour'
FROM generate_series(1, 1200) AS g
CROSS JOIN LATERAL (SELECT CASE WHEN g % 25 = 0 THEN 'REFUNDED'
                                WHEN g % 10 = 7 THEN 'PENDING'
                                WHEN g % 10 = 8 THEN 'PROCESSING'
                                WHEN g % 10 = 9 THEN 'FAILED'
                                ELSE 'COMPLETED' END AS status) AS p;

-- AH-AV-03 chk_payment_status / AH-SM-03: 10 rows outside the list, 3 distinct values; 2 NULLs pass.
UPDATE licenses SET payment_status = 'PAID'      WHERE id = ANY (pg_temp.ah_ids(4, '{1001,1002,1003,1004,1005}'));
UPDATE licenses SET payment_status = 'completed' WHERE id = ANY (pg_temp.ah_ids(4, '{1006,1007,1008}'));
UPDATE licenses SET payment_status = 'REFUND'    WHERE id = ANY (pg_temp.ah_ids(4, '{1009,1010}'));
UPDATE licenses SET payment_status = NULL        WHERE id = ANY (pg_temp.ah_ids(4, '{1011,1012}'));

-- AH-AV-04 chk_license_type: 5 rows, 2 distinct values.
UPDATE licenses SET license_type = 'single'     WHERE id = ANY (pg_temp.ah_ids(4, '{1013,1014,1015}'));
UPDATE licenses SET license_type = 'ENTERPRISE' WHERE id = ANY (pg_temp.ah_ids(4, '{1016,1017}'));

-- AH-AV-05 chk_usage_type: 5 rows, 2 distinct values.
UPDATE licenses SET usage_type = 'commercial' WHERE id = ANY (pg_temp.ah_ids(4, '{1018,1019,1020,1021}'));
UPDATE licenses SET usage_type = 'INTERNAL'   WHERE id = ANY (pg_temp.ah_ids(4, '{1022}'));

-- AH-CHK-01 chk_license_price_positive: 3 violations. Their creator_payout_usd is NULL, so
-- chk_license_payout_valid is NULL (passes) on them and the two row sets stay apart.
UPDATE licenses SET price_usd = -10, creator_payout_usd = NULL WHERE id = ANY (pg_temp.ah_ids(4, '{1023,1024,1025}'));

-- AH-CHK-02 chk_license_payout_valid: 4 violations (3 payouts above the price, 1 negative);
-- 2 more NULL payouts pass.
UPDATE licenses SET creator_payout_usd = price_usd + 5 WHERE id = ANY (pg_temp.ah_ids(4, '{1026,1027,1028}'));
UPDATE licenses SET creator_payout_usd = -5            WHERE id = ANY (pg_temp.ah_ids(4, '{1029}'));
UPDATE licenses SET creator_payout_usd = NULL          WHERE id = ANY (pg_temp.ah_ids(4, '{1030,1031}'));

-- AH-CHK-03 chk_license_fee_percent: 3 violations; 1 NULL passes.
UPDATE licenses SET platform_fee_percent = 150  WHERE id = ANY (pg_temp.ah_ids(4, '{1032,1033}'));
UPDATE licenses SET platform_fee_percent = -10  WHERE id = ANY (pg_temp.ah_ids(4, '{1034}'));
UPDATE licenses SET platform_fee_percent = NULL WHERE id = ANY (pg_temp.ah_ids(4, '{1035}'));

-- AH-CHK-04 chk_license_uses_positive: 2 violations; 1 NULL passes.
UPDATE licenses SET current_uses = -1   WHERE id = ANY (pg_temp.ah_ids(4, '{1036,1037}'));
UPDATE licenses SET current_uses = NULL WHERE id = ANY (pg_temp.ah_ids(4, '{1038}'));

-- AH-CHK-05 chk_license_dates_valid: 4 violations (ends before it starts). The 238 open-ended
-- licenses (valid_until NULL) pass, and so do the 3 rows below with valid_from NULL.
UPDATE licenses SET valid_until = valid_from - interval '30 days' WHERE id = ANY (pg_temp.ah_ids(4, '{1039,1040,1041,1042}'));

-- AH-NN-01 licenses.valid_from NOT NULL: 3 NULLs (they slip through chk_license_dates_valid).
UPDATE licenses SET valid_from = NULL, valid_until = '2025-06-01 00:00' WHERE id = ANY (pg_temp.ah_ids(4, '{1043,1044,1045}'));

-- ---------------------------------------------------------------------------------------------
-- transactions: 1500 (1-1200 pay for license n; 1201-1500 are subscription charges).
-- ---------------------------------------------------------------------------------------------
INSERT INTO transactions (id, user_id, license_id, type, amount_usd, currency, status,
                          stripe_payment_intent_id, description, created_at, updated_at)
SELECT pg_temp.ah_id(5, g),
       pg_temp.ah_id(1, (g - 1) % 200 + 1),
       CASE WHEN g <= 1200 THEN pg_temp.ah_id(4, g) END,
       CASE WHEN g <= 1200 THEN 'LICENSE_PURCHASE' ELSE 'SUBSCRIPTION' END,
       CASE WHEN g <= 1200 THEN 10 + g % 50 ELSE 29.00 END,
       'USD',
       'COMPLETED',
       'pi_t' || lpad(g::text, 10, '0'),
       'Transaction ' || g,
       timestamp '2024-02-01 00:05' + g * interval '1 hour',
       timestamp '2024-02-01 00:05' + g * interval '1 hour'
FROM generate_series(1, 1500) AS g;

-- AH-CHK-18 chk_transaction_nonzero: 6 zero-value rows. 4 refunds (negative) are fine.
UPDATE transactions SET amount_usd = 0 WHERE id = ANY (pg_temp.ah_ids(5, '{1401,1402,1403,1404,1405,1406}'));
UPDATE transactions SET amount_usd = -15.00, type = 'REFUND' WHERE id = ANY (pg_temp.ah_ids(5, '{1407,1408,1409,1410}'));

-- ---------------------------------------------------------------------------------------------
-- notifications: 600, no defects.
-- ---------------------------------------------------------------------------------------------
INSERT INTO notifications (id, user_id, type, title, message, action_url, is_read, created_at)
SELECT pg_temp.ah_id(6, g),
       pg_temp.ah_id(1, (g - 1) % 200 + 1),
       (ARRAY['LICENSE', 'PAYOUT', 'SYSTEM', 'VERIFICATION'])[g % 4 + 1],
       'Notification ' || g,
       'Something happened (' || g || ')',
       '/dashboard',
       g % 3 = 0,
       timestamp '2024-04-01 00:00' + g * interval '1 hour'
FROM generate_series(1, 600) AS g;

-- ---------------------------------------------------------------------------------------------
-- audit_logs: 800 (80 system rows with user_id NULL; 200 with a real api key, the rest NULL).
-- ---------------------------------------------------------------------------------------------
INSERT INTO audit_logs (id, user_id, api_key_id, action, resource_type, resource_id, old_values,
                        new_values, description, ip_address, user_agent, request_id, success, created_at)
SELECT pg_temp.ah_id(7, g),
       CASE WHEN g % 10 = 0 THEN NULL ELSE pg_temp.ah_id(1, (g - 1) % 200 + 1) END,
       CASE WHEN g % 4 = 0 THEN pg_temp.ah_id(3, (g - 1) % 250 + 1) END,
       (ARRAY['CREATE', 'UPDATE', 'LOGIN', 'VERIFY', 'LICENSE'])[g % 5 + 1]::audit_action,
       'identity',
       pg_temp.ah_id(2, (g - 1) % 300 + 1),
       NULL,
       jsonb_build_object('n', g),
       'Audit event ' || g,
       '10.0.' || (g / 256) || '.' || (g % 256),
       'actorhub-sdk/1.0',
       'req_' || lpad(g::text, 8, '0'),
       g % 50 <> 0,
       timestamp '2024-05-01 00:00' + g * interval '1 hour'
FROM generate_series(1, 800) AS g;

-- AH-FK-17 audit_logs.api_key_id (no FK yet): 6 orphans, keys 9101-9106 were hard-deleted.
UPDATE audit_logs SET api_key_id = pg_temp.ah_id(3, 9100 + (right(id::text, 12)::int - 790))
WHERE id = ANY (pg_temp.ah_ids(7, '{791,792,793,794,795,796}'));

-- ---------------------------------------------------------------------------------------------
-- subscriptions: one per user 1-200 (status by n % 10: 0-5 ACTIVE, 6 CANCELED, 7 PAST_DUE,
-- 8 TRIALING, 9 INCOMPLETE) + 8 rows (201-208).
-- ---------------------------------------------------------------------------------------------
INSERT INTO subscriptions (id, user_id, plan, status, stripe_subscription_id, stripe_customer_id, amount,
                           currency, interval, identities_limit, api_calls_limit, storage_limit_mb,
                           current_period_start, current_period_end, canceled_at, created_at, updated_at)
SELECT pg_temp.ah_id(8, g),
       pg_temp.ah_id(1, g),
       (ARRAY['FREE', 'PRO', 'STUDIO'])[g % 3 + 1],
       CASE WHEN g % 10 < 6 THEN 'ACTIVE' WHEN g % 10 = 6 THEN 'CANCELED' WHEN g % 10 = 7 THEN 'PAST_DUE'
            WHEN g % 10 = 8 THEN 'TRIALING' ELSE 'INCOMPLETE' END,
       'sub_' || lpad(g::text, 10, '0'),
       'cus_' || lpad(g::text, 10, '0'),
       (ARRAY[0, 29, 99])[g % 3 + 1],
       'USD', 'month',
       (ARRAY[1, 5, 20])[g % 3 + 1],
       (ARRAY[1000, 10000, 100000])[g % 3 + 1],
       (ARRAY[512, 2048, 10240])[g % 3 + 1],
       '2024-12-01 00:00', '2025-01-01 00:00',
       CASE WHEN g % 10 = 6 THEN timestamp '2024-10-01 00:00' + g * interval '1 hour' END,
       timestamp '2024-01-10 00:00' + g * interval '1 hour',
       timestamp '2024-10-01 00:00' + g * interval '1 hour'
FROM generate_series(1, 200) AS g;

-- AH-UQ-03 idx_subscription_user_active (user_id) WHERE status = 'ACTIVE':
-- 3 groups / 6 rows: users 1, 2, 3 each have a second ACTIVE subscription (201, 202, 203).
-- Not duplicates: user 4's extra CANCELED / PAST_DUE rows (204, 205), user 6's CANCELED + one
-- ACTIVE (206, 207: one ACTIVE only), user 5's 'active' lowercase (208: outside the predicate).
INSERT INTO subscriptions (id, user_id, plan, status, amount, identities_limit, api_calls_limit, storage_limit_mb,
                           canceled_at, created_at, updated_at) VALUES
    (pg_temp.ah_id(8, 201), pg_temp.ah_id(1, 1), 'PRO',    'ACTIVE',   29, 5, 10000, 2048, NULL, '2024-11-01 00:00', '2024-11-01 00:00'),
    (pg_temp.ah_id(8, 202), pg_temp.ah_id(1, 2), 'STUDIO', 'ACTIVE',   99, 20, 100000, 10240, NULL, '2024-11-02 00:00', '2024-11-02 00:00'),
    (pg_temp.ah_id(8, 203), pg_temp.ah_id(1, 3), 'PRO',    'ACTIVE',   29, 5, 10000, 2048, NULL, '2024-11-03 00:00', '2024-11-03 00:00'),
    (pg_temp.ah_id(8, 204), pg_temp.ah_id(1, 4), 'PRO',    'CANCELED', 29, 5, 10000, 2048, '2024-11-10 00:00', '2024-11-04 00:00', '2024-11-10 00:00'),
    (pg_temp.ah_id(8, 205), pg_temp.ah_id(1, 4), 'PRO',    'PAST_DUE', 29, 5, 10000, 2048, NULL, '2024-11-05 00:00', '2024-11-05 00:00'),
    (pg_temp.ah_id(8, 206), pg_temp.ah_id(1, 6), 'PRO',    'CANCELED', 29, 5, 10000, 2048, '2024-11-11 00:00', '2024-11-06 00:00', '2024-11-11 00:00'),
    (pg_temp.ah_id(8, 207), pg_temp.ah_id(1, 6), 'STUDIO', 'ACTIVE',   99, 20, 100000, 10240, NULL, '2024-11-07 00:00', '2024-11-07 00:00'),
    (pg_temp.ah_id(8, 208), pg_temp.ah_id(1, 5), 'PRO',    'active',   29, 5, 10000, 2048, NULL, '2024-11-08 00:00', '2024-11-08 00:00');

-- AH-CHK-16 chk_subscription_amount_positive: 2 violations; 1 NULL passes.
UPDATE subscriptions SET amount = -29.00 WHERE id = ANY (pg_temp.ah_ids(8, '{190,191}'));
UPDATE subscriptions SET amount = NULL   WHERE id = ANY (pg_temp.ah_ids(8, '{192}'));

-- AH-CHK-17 chk_subscription_limits_positive: no violations, only 2 NULLs (they pass): ready.
UPDATE subscriptions SET storage_limit_mb = NULL WHERE id = ANY (pg_temp.ah_ids(8, '{193,196}'));

-- ---------------------------------------------------------------------------------------------
-- payouts: users 1-100, four monthly periods each (payout n: user (n-1) % 100 + 1, month
-- (n-1) / 100 of 2024; months 0-2 COMPLETED, month 3 PENDING) + 8 rows (401-408).
-- ---------------------------------------------------------------------------------------------
INSERT INTO payouts (id, user_id, amount, currency, fee, net_amount, status, method, stripe_transfer_id,
                     period_start, period_end, transaction_count, processed_at, completed_at, created_at, updated_at)
SELECT pg_temp.ah_id(9, g),
       pg_temp.ah_id(1, (g - 1) % 100 + 1),
       100 + g % 50,
       'USD',
       2.50,
       100 + g % 50 - 2.50,
       CASE WHEN (g - 1) / 100 < 3 THEN 'COMPLETED' ELSE 'PENDING' END,
       'stripe',
       'tr_' || lpad(g::text, 10, '0'),
       m.period_start,
       (m.period_start + interval '1 month' - interval '1 day')::date,
       1 + g % 9,
       CASE WHEN (g - 1) / 100 < 3 THEN m.period_start + interval '1 month 2 days' END,
       CASE WHEN (g - 1) / 100 < 3 THEN m.period_start + interval '1 month 3 days' END,
       m.period_start + interval '1 month 1 day' + (g % 100) * interval '1 minute',
       m.period_start + interval '1 month 1 day' + (g % 100) * interval '1 minute'
FROM generate_series(1, 400) AS g
CROSS JOIN LATERAL (SELECT (date '2024-01-01' + ((g - 1) / 100) * interval '1 month')::date AS period_start) AS m;

-- AH-UQ-05 idx_payout_user_period (user_id, period_start, period_end) WHERE status != 'CANCELED':
-- 3 groups / 6 rows: 401 repeats payout 1, 402 repeats 102, 403 repeats 203 (created later).
-- Not duplicates: 404 (CANCELED), 405+406 (period_end NULL: NULLs are distinct),
-- 407+408 (status NULL: `NULL != 'CANCELED'` is not true, outside the partial index).
INSERT INTO payouts (id, user_id, amount, fee, net_amount, status, period_start, period_end, created_at, updated_at) VALUES
    (pg_temp.ah_id(9, 401), pg_temp.ah_id(1, 1), 101, 2.50,  98.50, 'COMPLETED', '2024-01-01', '2024-01-31', '2024-02-05 00:00', '2024-02-05 00:00'),
    (pg_temp.ah_id(9, 402), pg_temp.ah_id(1, 2), 102, 2.50,  99.50, 'COMPLETED', '2024-02-01', '2024-02-29', '2024-03-05 00:00', '2024-03-05 00:00'),
    (pg_temp.ah_id(9, 403), pg_temp.ah_id(1, 3), 103, 2.50, 100.50, 'PENDING',   '2024-03-01', '2024-03-31', '2024-04-05 00:00', '2024-04-05 00:00'),
    (pg_temp.ah_id(9, 404), pg_temp.ah_id(1, 4), 104, 2.50, 101.50, 'CANCELED',  '2024-01-01', '2024-01-31', '2024-02-06 00:00', '2024-02-06 00:00'),
    (pg_temp.ah_id(9, 405), pg_temp.ah_id(1, 5), 105, 2.50, 102.50, 'PENDING',   '2024-06-01', NULL,         '2024-07-02 00:00', '2024-07-02 00:00'),
    (pg_temp.ah_id(9, 406), pg_temp.ah_id(1, 5), 105, 2.50, 102.50, 'PENDING',   '2024-06-01', NULL,         '2024-07-03 00:00', '2024-07-03 00:00'),
    (pg_temp.ah_id(9, 407), pg_temp.ah_id(1, 6), 106, 2.50, 103.50, NULL,        '2024-07-01', '2024-07-31', '2024-08-02 00:00', '2024-08-02 00:00'),
    (pg_temp.ah_id(9, 408), pg_temp.ah_id(1, 6), 106, 2.50, 103.50, NULL,        '2024-07-01', '2024-07-31', '2024-08-03 00:00', '2024-08-03 00:00');

-- AH-CHK-13 chk_payout_amount_positive: 3 violations (two zero, one negative). Their net_amount
-- is NULL and fee 0, so the other payout checks pass on them.
UPDATE payouts SET amount = 0,   fee = 0, net_amount = NULL WHERE id = ANY (pg_temp.ah_ids(9, '{391,392}'));
UPDATE payouts SET amount = -50, fee = 0, net_amount = NULL WHERE id = ANY (pg_temp.ah_ids(9, '{393}'));

-- AH-CHK-14 chk_payout_net_valid: 3 violations (2 net above gross, 1 negative); 1 more NULL passes.
UPDATE payouts SET net_amount = amount + 10 WHERE id = ANY (pg_temp.ah_ids(9, '{394,395}'));
UPDATE payouts SET net_amount = -1          WHERE id = ANY (pg_temp.ah_ids(9, '{396}'));
UPDATE payouts SET net_amount = NULL        WHERE id = ANY (pg_temp.ah_ids(9, '{397}'));

-- AH-CHK-15 chk_payout_fee_positive: 2 violations (net kept equal to amount); 1 NULL fee passes.
UPDATE payouts SET fee = -1.00, net_amount = amount WHERE id = ANY (pg_temp.ah_ids(9, '{398,399}'));
UPDATE payouts SET fee = NULL                       WHERE id = ANY (pg_temp.ah_ids(9, '{400}'));

-- ---------------------------------------------------------------------------------------------
-- usage_logs: 4000 (action by n % 10: 0-3 verify, 4-5 download, 6-8 generate, 9 search).
-- ---------------------------------------------------------------------------------------------
INSERT INTO usage_logs (id, identity_id, license_id, actor_pack_id, api_key_id, requester_id, action, matched,
                        similarity_score, response_time_ms, amount_charged_usd, requester_ip, created_at)
SELECT pg_temp.ah_id(12, g),
       CASE WHEN a.action <> 'search' THEN pg_temp.ah_id(2, (g - 1) % 250 + 1) END,
       CASE WHEN a.action = 'generate' THEN pg_temp.ah_id(4, (g - 1) % 1200 + 1) END,
       CASE WHEN a.action IN ('download', 'generate') THEN pg_temp.ah_id(10, (g - 1) % 250 + 1) END,
       CASE WHEN g % 3 = 0 THEN pg_temp.ah_id(3, (g - 1) % 250 + 1) END,
       pg_temp.ah_id(1, (g - 1) % 200 + 1),
       a.action,
       CASE WHEN a.action = 'verify' THEN g % 7 <> 0 END,
       CASE WHEN a.action = 'verify' THEN 0.5 + (g % 50) / 100.0 END,
       CASE WHEN g % 97 = 0 THEN NULL ELSE 40 + g % 300 END,
       CASE WHEN a.action = 'generate' THEN 0.25 * (1 + g % 4) ELSE 0 END,
       '192.0.2.' || (g % 250),
       timestamp '2024-06-01 00:00' + g * interval '10 minutes'
FROM generate_series(1, 4000) AS g
CROSS JOIN LATERAL (SELECT CASE WHEN g % 10 < 4 THEN 'verify' WHEN g % 10 < 6 THEN 'download'
                                WHEN g % 10 < 9 THEN 'generate' ELSE 'search' END AS action) AS a;

-- AH-CHK-19 chk_usage_response_time: 4 violations; the 41 NULLs (n % 97 = 0) pass.
UPDATE usage_logs SET response_time_ms = -1   WHERE id = ANY (pg_temp.ah_ids(12, '{3901,3902,3903}'));
UPDATE usage_logs SET response_time_ms = -250 WHERE id = ANY (pg_temp.ah_ids(12, '{3904}'));

-- AH-CHK-20 chk_usage_similarity: 3 violations (verify rows); non-verify rows are NULL and pass.
UPDATE usage_logs SET similarity_score = 1.25 WHERE id = ANY (pg_temp.ah_ids(12, '{3920,3921}'));
UPDATE usage_logs SET similarity_score = -0.1 WHERE id = ANY (pg_temp.ah_ids(12, '{3922}'));

-- AH-FK-15 usage_logs.api_key_id (no FK yet): 4 orphans, keys 9001-9004 were hard-deleted.
-- They are plain 'search' calls, so no counter depends on them.
UPDATE usage_logs
SET api_key_id = pg_temp.ah_id(3, 9000 + (right(id::text, 12)::int - 3910)),
    action = 'search', identity_id = NULL, license_id = NULL, actor_pack_id = NULL,
    matched = NULL, similarity_score = NULL, amount_charged_usd = 0
WHERE id = ANY (pg_temp.ah_ids(12, '{3911,3912,3913,3914}'));

-- ---------------------------------------------------------------------------------------------
-- webhook_events: 200, no defects.
-- ---------------------------------------------------------------------------------------------
INSERT INTO webhook_events (id, source, event_type, event_id, payload, status, processed_at, created_at, updated_at)
SELECT pg_temp.ah_id(13, g),
       'stripe',
       (ARRAY['payment_intent.succeeded', 'checkout.session.completed', 'transfer.paid', 'invoice.paid'])[g % 4 + 1],
       'evt_' || lpad(g::text, 12, '0'),
       jsonb_build_object('n', g),
       CASE WHEN g % 20 = 0 THEN 'failed' ELSE 'processed' END,
       timestamp '2024-06-01 00:01' + g * interval '1 hour',
       timestamp '2024-06-01 00:00' + g * interval '1 hour',
       timestamp '2024-06-01 00:01' + g * interval '1 hour'
FROM generate_series(1, 200) AS g;

-- ---------------------------------------------------------------------------------------------
-- Denormalized counters: first exactly right everywhere, then drift on known rows.
-- ---------------------------------------------------------------------------------------------
UPDATE identities SET
    total_verifications = (SELECT count(*) FROM usage_logs
                           WHERE usage_logs.identity_id = identities.id
                             AND usage_logs.action = 'verify' AND usage_logs.matched = true),
    total_licenses = (SELECT count(*) FROM licenses WHERE licenses.identity_id = identities.id),
    total_revenue = COALESCE((SELECT sum(licenses.creator_payout_usd) FROM licenses
                              WHERE licenses.identity_id = identities.id
                                AND licenses.payment_status = 'COMPLETED'), 0);

UPDATE actor_packs SET
    total_downloads = (SELECT count(*) FROM usage_logs
                       WHERE usage_logs.actor_pack_id = actor_packs.id AND usage_logs.action = 'download'),
    total_uses = (SELECT count(*) FROM usage_logs
                  WHERE usage_logs.actor_pack_id = actor_packs.id AND usage_logs.action = 'generate'),
    total_revenue_usd = COALESCE((SELECT sum(usage_logs.amount_charged_usd) FROM usage_logs
                                  WHERE usage_logs.actor_pack_id = actor_packs.id), 0);

UPDATE listings SET
    license_count = (SELECT count(*) FROM licenses WHERE licenses.identity_id = listings.identity_id);

-- AH-CNT-01 identities.total_verifications: 7 drifting rows.
UPDATE identities SET total_verifications = total_verifications + 2
WHERE id = ANY (pg_temp.ah_ids(2, '{11,22,33,44,55,66,77}'));
-- AH-CNT-02 identities.total_licenses: 5 drifting rows.
UPDATE identities SET total_licenses = total_licenses + 1
WHERE id = ANY (pg_temp.ah_ids(2, '{12,24,36,48,60}'));
-- AH-CNT-03 identities.total_revenue: 6 drifting rows, 2 of them NULL (a naive `!=`, like the
-- report's own reconciliation query, misses those two).
UPDATE identities SET total_revenue = total_revenue + 10.00
WHERE id = ANY (pg_temp.ah_ids(2, '{13,26,39,52}'));
UPDATE identities SET total_revenue = NULL
WHERE id = ANY (pg_temp.ah_ids(2, '{290,291}'));
-- AH-CNT-04 actor_packs.total_downloads: 4 drifting rows.
UPDATE actor_packs SET total_downloads = total_downloads + 1
WHERE id = ANY (pg_temp.ah_ids(10, '{14,28,42,56}'));
-- AH-CNT-05 actor_packs.total_uses: 3 drifting rows.
UPDATE actor_packs SET total_uses = total_uses + 3
WHERE id = ANY (pg_temp.ah_ids(10, '{15,30,45}'));
-- AH-CNT-06 actor_packs.total_revenue_usd: 5 drifting rows, 1 of them NULL.
UPDATE actor_packs SET total_revenue_usd = total_revenue_usd + 5.00
WHERE id = ANY (pg_temp.ah_ids(10, '{16,32,48,64}'));
UPDATE actor_packs SET total_revenue_usd = NULL
WHERE id = ANY (pg_temp.ah_ids(10, '{80}'));
-- AH-CNT-07 listings.license_count: 8 drifting rows.
UPDATE listings SET license_count = license_count + 1
WHERE id = ANY (pg_temp.ah_ids(11, '{17,34,51,68,85,102,119,136}'));

DROP FUNCTION pg_temp.ah_ids(int, int[]);
DROP FUNCTION pg_temp.ah_id(int, int);

ANALYZE;
