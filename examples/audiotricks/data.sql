-- AudioTricks data: deterministic (no random(), no now()), with defects of known counts for every
-- finding in findings.yaml. expected.json holds the counts; README.md explains them.
--
-- Ids are readable text, as Prisma's String @id allows: ws_07, usr_042, upl_00042, … Workspace w is
-- on plan (free, pro, team, enterprise)[w % 4 + 1]: enterprise workspaces (3, 7, 11, …) have no
-- storage limit (max_storage_bytes NULL). Defect rows of one finding never overlap another's.

INSERT INTO "subscription_plans" ("id", "name", "price_monthly", "max_storage_bytes") VALUES
    ('plan_free', 'Free', 0.00, 1073741824),          -- 1 GiB
    ('plan_pro', 'Pro', 29.00, 10737418240),          -- 10 GiB
    ('plan_team', 'Team', 99.00, 107374182400),       -- 100 GiB
    ('plan_enterprise', 'Enterprise', 499.00, NULL);  -- unlimited

-- 40 workspaces, 300 users.
INSERT INTO "workspaces" ("id", "name", "slug", "plan_id", "created_at", "updated_at")
SELECT format('ws_%s', lpad(w::text, 2, '0')), 'Workspace ' || w, 'workspace-' || w,
       (ARRAY['plan_free', 'plan_pro', 'plan_team', 'plan_enterprise'])[w % 4 + 1],
       timestamp '2023-06-01 00:00' + w * interval '1 day', timestamp '2024-01-01 00:00'
FROM generate_series(1, 40) AS w;

INSERT INTO "users" ("id", "email", "name", "role", "is_active", "last_login_at", "created_at", "updated_at")
SELECT format('usr_%s', lpad(u::text, 3, '0')), format('user%s@audiotricks.example', u), 'User ' || u,
       CASE WHEN u <= 40 THEN 'owner' ELSE 'member' END, u % 50 <> 0,
       timestamp '2024-01-10 00:00' + u * interval '1 hour', timestamp '2023-06-01 00:00' + u * interval '6 hours',
       timestamp '2024-01-01 00:00'
FROM generate_series(1, 300) AS u;

-- Memberships: user u belongs to workspace (u - 1) % 40 + 1; every third user also to (u + 6) % 40 + 1.
INSERT INTO "workspace_users" ("id", "workspace_id", "user_id", "role", "created_at")
SELECT format('wu_%s', lpad(n::text, 4, '0')), format('ws_%s', lpad(w::text, 2, '0')),
       format('usr_%s', lpad(u::text, 3, '0')), CASE WHEN u <= 40 AND n <= 300 THEN 'owner' ELSE 'member' END,
       timestamp '2023-07-01 00:00' + n * interval '1 hour'
FROM (SELECT u, (u - 1) % 40 + 1 AS w, u AS n FROM generate_series(1, 300) AS u
      UNION ALL
      SELECT u, (u + 6) % 40 + 1, 300 + u / 3 FROM generate_series(3, 300, 3) AS u) AS m;

-- AT-UQ-01 unique (workspace_id, user_id): 3 groups / 7 rows, memberships added twice by a retried
-- invite: wu_0401 repeats wu_0011, wu_0402 repeats wu_0012, wu_0403 and wu_0404 repeat wu_0013.
-- Users 3, 6, 9, … are in two workspaces: not duplicates.
INSERT INTO "workspace_users" ("id", "workspace_id", "user_id", "role", "created_at")
SELECT format('wu_%s', lpad((400 + d.n)::text, 4, '0')), m."workspace_id", m."user_id", 'member', m."created_at" + d.n * interval '1 minute'
FROM (VALUES (1, 'wu_0011'), (2, 'wu_0012'), (3, 'wu_0013'), (4, 'wu_0013')) AS d(n, src)
JOIN "workspace_users" m ON m."id" = d.src;

-- Subscriptions: sub_01-40 current (one per workspace), sub_41-60 canceled earlier ones of 1-20.
INSERT INTO "subscriptions" ("id", "workspace_id", "plan_id", "status", "trial_ends_at", "current_period_start",
                             "current_period_end", "canceled_at", "created_at", "updated_at")
SELECT format('sub_%s', lpad(s::text, 2, '0')), format('ws_%s', lpad(((s - 1) % 40 + 1)::text, 2, '0')),
       w."plan_id",
       CASE WHEN s > 40 THEN 'canceled'
            ELSE (ARRAY['active', 'active', 'trialing', 'past_due', 'active', 'unpaid', 'active', 'active'])[s % 8 + 1] END,
       timestamp '2023-07-15 00:00' + s * interval '1 day',
       timestamp '2024-01-01 00:00', timestamp '2024-02-01 00:00',
       CASE WHEN s > 40 THEN timestamp '2023-12-01 00:00' + s * interval '1 hour' END,
       timestamp '2023-07-01 00:00' + s * interval '1 day', timestamp '2024-01-01 00:00'
FROM generate_series(1, 60) AS s
JOIN "workspaces" w ON w."id" = format('ws_%s', lpad(((s - 1) % 40 + 1)::text, 2, '0'));

-- AT-SM-01 subscription states: 5 canceled subscriptions spelt another way by an old billing
-- webhook: 'cancelled' 2, 'CANCELED' 2, 'Canceled' 1.
UPDATE "subscriptions" SET "status" = 'cancelled' WHERE "id" IN ('sub_41', 'sub_42');
UPDATE "subscriptions" SET "status" = 'CANCELED' WHERE "id" IN ('sub_43', 'sub_44');
UPDATE "subscriptions" SET "status" = 'Canceled' WHERE "id" = 'sub_45';

-- 2,000 uploads, 50 per workspace, 0.1-5.1 MB each; every 17th is soft-deleted.
INSERT INTO "audio_uploads" ("id", "workspace_id", "user_id", "file_name", "file_size", "mime_type",
                             "storage_provider", "status", "checksum_sha256", "deleted_at", "created_at")
SELECT format('upl_%s', lpad(k::text, 5, '0')), format('ws_%s', lpad(((k - 1) % 40 + 1)::text, 2, '0')),
       format('usr_%s', lpad(((k - 1) % 40 + 1 + 40 * (k % 7))::text, 3, '0')),
       format('take-%s.wav', k), 100000 + (k * 7919) % 5000000, 'audio/wav',
       (ARRAY['local', 's3', 'gcs'])[k % 3 + 1], 'processed', md5('upload' || k),
       CASE WHEN k % 17 = 0 THEN timestamp '2024-01-05 00:00' + k * interval '1 minute' END,
       timestamp '2023-08-01 00:00' + k * interval '2 hours'
FROM generate_series(1, 2000) AS k;

-- AT-CHK-03 storage limit: 5 free workspaces (4, 8, 12, 16, 20; limit 1 GiB) really are over it,
-- each with one 1.2 GiB master. Not violations: enterprise workspaces 3 and 7 hold 2 GiB masters
-- and have no limit (NULL passes a CHECK).
INSERT INTO "audio_uploads" ("id", "workspace_id", "user_id", "file_name", "file_size", "mime_type", "created_at")
SELECT format('upl_%s', lpad((9000 + w)::text, 5, '0')), format('ws_%s', lpad(w::text, 2, '0')), format('usr_%s', lpad(w::text, 3, '0')),
       'master.wav', CASE WHEN w IN (3, 7) THEN 2147483648 ELSE 1288490189 END, 'audio/wav',
       timestamp '2024-01-08 00:00' + w * interval '1 hour'
FROM unnest(ARRAY[3, 4, 7, 8, 12, 16, 20]) AS w;

-- Storage quotas, as the quota job computed them: live uploads only.
INSERT INTO "storage_quotas" ("id", "workspace_id", "max_storage_bytes", "current_storage_bytes", "updated_at")
SELECT format('sq_%s', lpad(w::text, 2, '0')), ws."id", p."max_storage_bytes",
       (SELECT coalesce(sum("file_size"), 0) FROM "audio_uploads" a WHERE a."workspace_id" = ws."id" AND a."deleted_at" IS NULL),
       timestamp '2024-01-10 00:00'
FROM generate_series(1, 40) AS w
JOIN "workspaces" ws ON ws."id" = format('ws_%s', lpad(w::text, 2, '0'))
JOIN "subscription_plans" p ON p."id" = ws."plan_id";

-- AT-CNT-01 current_storage_bytes: 6 workspaces drifted. 1, 2, 5, 6 still count 5 MB of deleted
-- uploads; 9 and 10 were never computed (0). All stay within their limits.
UPDATE "storage_quotas" SET "current_storage_bytes" = "current_storage_bytes" + 5000000
WHERE "workspace_id" IN ('ws_01', 'ws_02', 'ws_05', 'ws_06');
UPDATE "storage_quotas" SET "current_storage_bytes" = 0 WHERE "workspace_id" IN ('ws_09', 'ws_10');

-- 3,000 usage metrics (one a day per workspace and user, 2024); 6 still open (quantity NULL).
INSERT INTO "usage_metrics" ("id", "workspace_id", "user_id", "metric_type", "quantity", "cost", "provider",
                             "period_start", "period_end")
SELECT format('um_%s', lpad(m::text, 5, '0')), format('ws_%s', lpad(((m - 1) % 40 + 1)::text, 2, '0')),
       format('usr_%s', lpad(((m - 1) % 40 + 1)::text, 3, '0')),
       (ARRAY['transcription_minutes', 'storage_gb', 'api_calls'])[m % 3 + 1],
       CASE WHEN m % 500 = 0 THEN NULL ELSE (m % 97) + (m % 10) / 10.0 END,
       round(((m % 97) * 0.006)::numeric, 4), (ARRAY['openai', 'aws', 'gcp'])[m % 3 + 1],
       timestamp '2024-01-01 00:00' + (m % 365) * interval '1 day',
       timestamp '2024-01-02 00:00' + (m % 365) * interval '1 day'
FROM generate_series(1, 3000) AS m;

-- AT-CHK-01 chk_quantity_positive: 4 negative quantities (refund adjustments booked as usage).
UPDATE "usage_metrics" SET "quantity" = -1.5 WHERE "id" IN ('um_00007', 'um_00014', 'um_00021', 'um_00028');

-- 480 billing records (12 a workspace); the current month's 5 drafts of workspaces 1-5 have no
-- total yet.
INSERT INTO "billing_records" ("id", "workspace_id", "subscription_id", "total_amount", "currency", "status",
                               "issued_at", "created_at")
SELECT format('bill_%s', lpad(b::text, 4, '0')), format('ws_%s', lpad(((b - 1) % 40 + 1)::text, 2, '0')),
       format('sub_%s', lpad(((b - 1) % 40 + 1)::text, 2, '0')), p."price_monthly", 'USD', 'paid',
       timestamp '2023-02-01 00:00' + ((b - 1) / 40) * interval '1 month',
       timestamp '2023-02-01 00:00' + ((b - 1) / 40) * interval '1 month'
FROM generate_series(1, 480) AS b
JOIN "workspaces" w ON w."id" = format('ws_%s', lpad(((b - 1) % 40 + 1)::text, 2, '0'))
JOIN "subscription_plans" p ON p."id" = w."plan_id";
UPDATE "billing_records" SET "total_amount" = NULL, "status" = 'draft', "issued_at" = NULL
WHERE "id" IN ('bill_0441', 'bill_0442', 'bill_0443', 'bill_0444', 'bill_0445');

-- AT-CHK-02 chk_total_positive: 3 credit notes stored as negative invoices.
UPDATE "billing_records" SET "total_amount" = -29.00, "status" = 'credit' WHERE "id" IN ('bill_0102', 'bill_0206', 'bill_0310');

-- 500 audit rows from the application's own logging.
INSERT INTO "audit_logs" ("id", "actor_id", "action", "entity_type", "entity_id", "new_values", "ip_address", "created_at")
SELECT a, format('usr_%s', lpad((a % 300 + 1)::text, 3, '0')), (ARRAY['upload.create', 'upload.delete', 'user.login'])[a % 3 + 1],
       'audio_upload', format('upl_%s', lpad(a::text, 5, '0')), '{}', '10.0.0.' || (a % 250), timestamp '2024-01-01 00:00' + a * interval '1 hour'
FROM generate_series(1, 500) AS a;
DO $$ BEGIN PERFORM setval(pg_get_serial_sequence('audit_logs', 'id'), 500); END $$;

ANALYZE;
