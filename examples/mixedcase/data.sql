-- Deterministic rows with defects of known counts (expected.json); every name schema-qualified,
-- as the database's search_path (app, "Billing") is set for new sessions only.
INSERT INTO app."User" ("id", "email", "displayName", "postCount", "createdAt")
SELECT g, 'user' || g || '@example.com', 'User ' || g, 0, timestamptz '2024-01-01' + g * interval '1 day' FROM generate_series(1, 20) g;
-- duplicates of lower("email"): 2 groups, 5 rows (users 21-23 repeat 1, 24 repeats 2 and 25 repeats it again)
INSERT INTO app."User" ("id", "email", "displayName", "postCount", "createdAt") VALUES
  (21, 'USER1@example.com', 'User 1 again', 0, '2024-06-01'),
  (22, 'User1@Example.com', 'User 1 thrice', 0, '2024-06-02'),
  (23, 'user2@EXAMPLE.com', 'User 2 again', 0, '2024-06-03');
SELECT setval(pg_get_serial_sequence('app."User"', 'id'), 23);

INSERT INTO app."Post" ("id", "authorId", "title", "publishedAt")
SELECT g, 1 + g % 10, 'Post ' || g, timestamptz '2024-02-01' + g * interval '1 hour' FROM generate_series(1, 40) g;
SELECT setval(pg_get_serial_sequence('app."Post"', 'id'), 40);
-- postCount right for users 1-10 except 3 drifting ones (4, 5, 6), 0 posts for 11-23
UPDATE app."User" u SET "postCount" = (SELECT count(*) FROM app."Post" p WHERE p."authorId" = u."id");
UPDATE app."User" SET "postCount" = "postCount" + 2 WHERE "id" IN (4, 5, 6);

INSERT INTO app."user" (id, "name", "group") SELECT g, 'login' || g, 1 + g % 3 FROM generate_series(1, 9) g;
INSERT INTO app."group" (id, "order", "user") SELECT g, g * 10, g FROM generate_series(1, 6) g;

-- orders: 3 of unknown users (901, 902, 902); 2 with status 'PAID' and 1 'Shipped'
INSERT INTO app."order" (id, "userId", status, total) SELECT g, 1 + g % 20, (ARRAY['new', 'paid', 'shipped'])[1 + g % 3], g * 2.5 FROM generate_series(1, 30) g;
INSERT INTO app."order" (id, "userId", status, total) VALUES (31, 901, 'new', 1), (32, 902, 'paid', 2), (33, 902, 'new', 3), (34, 5, 'PAID', 4), (35, 6, 'PAID', 5), (36, 7, 'Shipped', 6);

-- order items: 2 of orders that do not exist (77, 78); 2 with a negative "unit price"
INSERT INTO app."Order Item" (id, "orderId", "unit price", qty) SELECT g, 1 + g % 30, g * 1.25, 1 + g % 4 FROM generate_series(1, 50) g;
INSERT INTO app."Order Item" (id, "orderId", "unit price", qty) VALUES (51, 77, 3, 1), (52, 78, 4, 1), (53, 3, -1, 2), (54, 4, -2.5, 1);

-- no key at all; 2 rows (one of them twice) whose n is negative
INSERT INTO app."Quote""d" ("say ""hi""", n) VALUES ('hello', 1), ('"quoted"', 2), ('it''s', 3), ('minus', -1), ('minus', -1), ('other', -7);

INSERT INTO app."v1.2" (id, "build.no", label) SELECT g, 100 + g, 'build ' || g FROM generate_series(1, 8) g;
-- builds 9 and 10 repeat build.no 101 and 102
INSERT INTO app."v1.2" (id, "build.no", label) VALUES (9, 101, 'rebuild 1'), (10, 102, 'rebuild 2');

-- no key at all; 3 rows without a "Straße", two of them identical
INSERT INTO app."Café" ("Straße", "città", "größe") VALUES ('Hauptstraße 1', 'Zürich', 12), ('Bahnhofstraße 5', 'Genève', 30), (NULL, 'München', 8), (NULL, 'München', 8), (NULL, 'Köln', 20), ('Rue de l''Église 2', 'Besançon', 16);

INSERT INTO app."Invoice" (id, "userId", note) SELECT g, 1 + g % 20, 'app invoice ' || g FROM generate_series(1, 10) g;
INSERT INTO public.notes (id, body) VALUES (1, 'public is not on the search_path'), (2, 'write public.notes');

-- Billing: invoices keyed by "number" (no primary key); 2 with a negative total; state machine draft -> sent -> paid|void, 2 'Sent' and 1 'cancelled'
INSERT INTO "Billing"."Invoice" ("number", "customerId", total, status)
SELECT 'INV-' || lpad(g::text, 4, '0'), 1 + g % 20, g * 10, (ARRAY['draft', 'sent', 'paid', 'void'])[1 + g % 4] FROM generate_series(1, 24) g;
UPDATE "Billing"."Invoice" SET total = -5 WHERE "number" IN ('INV-0003', 'INV-0007');
UPDATE "Billing"."Invoice" SET status = 'Sent' WHERE "number" IN ('INV-0010', 'INV-0014');
UPDATE "Billing"."Invoice" SET status = 'cancelled' WHERE "number" = 'INV-0020';
-- lines: 3 of invoices that do not exist, 2 without an invoice (NULL, never orphans)
INSERT INTO "Billing"."InvoiceLine" ("invoiceNumber", amount) SELECT 'INV-' || lpad((1 + g % 24)::text, 4, '0'), g FROM generate_series(1, 48) g;
INSERT INTO "Billing"."InvoiceLine" ("invoiceNumber", amount) VALUES ('INV-9001', 1), ('INV-9002', 2), ('INV-9002', 3), (NULL, 4), (NULL, 5);

-- payments across both partitions; 2 without a "method" (one per partition)
INSERT INTO "Billing"."Payment" ("id", "paidAt", "invoiceNumber", "method")
SELECT g, date '2024-07-01' + g * 10, 'INV-' || lpad((1 + g % 24)::text, 4, '0'), (ARRAY['card', 'transfer'])[1 + g % 2] FROM generate_series(1, 30) g;
UPDATE "Billing"."Payment" SET "method" = NULL WHERE "id" IN (5, 25);

-- events: parent rows and inherited click events; 2 click events of users that do not exist
INSERT INTO app."Event" (id, "userId", kind) SELECT g, 1 + g % 20, 'view' FROM generate_series(1, 10) g;
INSERT INTO app."ClickEvent" (id, "userId", kind, "targetUrl") SELECT 100 + g, 1 + g % 20, 'click', 'https://example.com/' || g FROM generate_series(1, 10) g;
INSERT INTO app."ClickEvent" (id, "userId", kind, "targetUrl") VALUES (111, 801, 'click', 'https://example.com/x'), (112, 802, 'click', 'https://example.com/y');
