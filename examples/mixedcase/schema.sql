-- Identifier styles real schemas use, every one of them on purpose:
--   app."User", app."Post" ............ Prisma defaults: PascalCase tables, camelCase columns
--   "Billing" ......................... a mixed-case schema
--   app."order", app."user", app."group" reserved words as table names (and app.user beside app."User")
--   app."Order Item"."unit price" ..... a space
--   app."Quote""d"."say ""hi""" ....... a double quote
--   app."v1.2"."build.no" ............. a dot
--   app."Café"."Straße" ............... non-ASCII letters
--   app."Invoice", "Billing"."Invoice"  the same table name in two schemas
--   public.notes ...................... public exists but is not on the search_path (app, "Billing")
--   "Billing"."Payment" ............... partitioned (two partitions)
--   app."Event" <- app."ClickEvent" ... inheritance
-- Keys: most tables have a primary key; "Billing"."Invoice" only a NOT NULL unique key; app."Café"
-- and app."Quote""d" none at all (rollback matches their rows by the whole row).
CREATE SCHEMA app;
CREATE SCHEMA "Billing";
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = app, "Billing"', current_database()); END $$;

CREATE TABLE app."User" (
  "id" serial PRIMARY KEY,
  "email" text NOT NULL,
  "displayName" text,
  "postCount" integer NOT NULL DEFAULT 0,
  "createdAt" timestamptz NOT NULL
);
CREATE TABLE app."Post" (
  "id" serial PRIMARY KEY,
  "authorId" integer NOT NULL,
  "title" text NOT NULL,
  "publishedAt" timestamptz
);
-- reserved words
CREATE TABLE app."user" (id int PRIMARY KEY, "name" text NOT NULL, "group" int);
CREATE TABLE app."group" (id int PRIMARY KEY, "order" int NOT NULL, "user" int);
CREATE TABLE app."order" (
  id int PRIMARY KEY,
  "userId" integer NOT NULL,
  status text NOT NULL,
  total numeric(10,2) NOT NULL
);
CREATE TABLE app."Order Item" (
  id int PRIMARY KEY,
  "orderId" integer NOT NULL,
  "unit price" numeric(10,2) NOT NULL,
  qty int NOT NULL
);
CREATE TABLE app."Quote""d" ("say ""hi""" text, n int);
CREATE TABLE app."v1.2" (id int PRIMARY KEY, "build.no" int, label text);
CREATE TABLE app."Café" ("Straße" text, "città" text NOT NULL, "größe" int);
CREATE TABLE app."Invoice" (id int PRIMARY KEY, "userId" integer NOT NULL, note text);
CREATE TABLE public.notes (id int PRIMARY KEY, body text);

CREATE TABLE "Billing"."Invoice" (
  "number" text NOT NULL UNIQUE,
  "customerId" integer,
  total numeric(10,2) NOT NULL,
  status text NOT NULL
);
CREATE TABLE "Billing"."InvoiceLine" (
  "id" serial PRIMARY KEY,
  "invoiceNumber" text,
  amount numeric(10,2) NOT NULL
);
CREATE TABLE "Billing"."Payment" (
  "id" integer NOT NULL,
  "paidAt" date NOT NULL,
  "invoiceNumber" text NOT NULL,
  "method" text,
  PRIMARY KEY ("id", "paidAt")
) PARTITION BY RANGE ("paidAt");
CREATE TABLE "Billing"."Payment_2024" PARTITION OF "Billing"."Payment" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE "Billing"."Payment_2025" PARTITION OF "Billing"."Payment" FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');

CREATE TABLE app."Event" (id int PRIMARY KEY, "userId" integer, kind text NOT NULL);
CREATE TABLE app."ClickEvent" ("targetUrl" text) INHERITS (app."Event");
ALTER TABLE app."ClickEvent" ADD PRIMARY KEY (id);
