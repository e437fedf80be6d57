import type { TestDb } from './db.js';

/**
 * A small shop schema with one finding per playbook, each on its own table(s) and with a known
 * number of blocking rows, so every playbook can be applied alone (`--only`) and its effect
 * counted exactly. `rows` is what the finding's resolution (or counter repair) changes.
 */

export const SHOP_SQL = String.raw`
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 10) g;

-- foreign-key: no constraint yet; 3 orders point at customers that do not exist.
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, total numeric(10,2) NOT NULL DEFAULT 0);
INSERT INTO orders SELECT g, 1 + g % 10, g * 1.5 FROM generate_series(1, 30) g;
INSERT INTO orders VALUES (101, 901, 5), (102, 902, 6), (103, 902, 7);

-- foreign-key rule change on a NOT NULL column: SET NULL has to drop the NOT NULL.
CREATE TABLE invoices (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), amount numeric(10,2) NOT NULL);
INSERT INTO invoices SELECT g, 1 + g % 10, g FROM generate_series(1, 20) g;

-- unique (lower(email)): two groups, 5 rows; NULL emails never conflict.
CREATE TABLE members (id int PRIMARY KEY, email text, created_at timestamptz NOT NULL);
INSERT INTO members VALUES
  (1, 'ann@x.io', '2024-01-01'), (2, 'ANN@x.io', '2024-02-01'), (3, 'Ann@X.io', '2024-03-01'),
  (4, 'bob@x.io', '2024-01-05'), (5, 'bob@x.io', '2024-01-04'),
  (6, NULL, '2024-01-01'), (7, NULL, '2024-01-01'), (8, 'cy@x.io', '2024-01-01'), (9, 'dee@x.io', '2024-01-01');

-- check (amount >= 0): 4 negative amounts; a NULL amount passes.
CREATE TABLE prices (id int PRIMARY KEY, amount numeric(10,2));
INSERT INTO prices SELECT g, g * 2 FROM generate_series(1, 20) g;
INSERT INTO prices VALUES (21, -1), (22, -2.5), (23, -100), (24, -0.01), (25, NULL);

-- allowed-values (open, closed): 3 offending values; a NULL status passes.
CREATE TABLE tickets (id int PRIMARY KEY, status text);
INSERT INTO tickets SELECT g, CASE WHEN g % 2 = 0 THEN 'open' ELSE 'closed' END FROM generate_series(1, 15) g;
INSERT INTO tickets VALUES (16, 'OPEN'), (17, 'OPEN'), (18, 'done'), (19, NULL);

-- not-null: 2 NULL nicknames.
CREATE TABLE profiles (id int PRIMARY KEY, nickname text);
INSERT INTO profiles SELECT g, 'user' || g FROM generate_series(1, 10) g;
UPDATE profiles SET nickname = NULL WHERE id IN (4, 9);

-- index: nothing blocks.
CREATE TABLE events (id int PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL);
INSERT INTO events SELECT g, 'kind' || g % 5, timestamptz '2024-01-01' + g * interval '1 hour' FROM generate_series(1, 50) g;

-- counter: posts 2, 5 and 7 have a wrong count, post 3 a NULL one.
CREATE TABLE posts (id int PRIMARY KEY, title text NOT NULL, comment_count int);
CREATE TABLE comments (id int PRIMARY KEY, post_id int NOT NULL REFERENCES posts (id), body text NOT NULL);
INSERT INTO posts SELECT g, 'post ' || g, 0 FROM generate_series(1, 8) g;
INSERT INTO comments SELECT g, 1 + g % 8, 'comment ' || g FROM generate_series(1, 29) g;
UPDATE posts SET comment_count = (SELECT count(*) FROM comments WHERE comments.post_id = posts.id);
UPDATE posts SET comment_count = comment_count + 2 WHERE id = 2;
UPDATE posts SET comment_count = NULL WHERE id = 3;
UPDATE posts SET comment_count = 0 WHERE id = 5;
UPDATE posts SET comment_count = 99 WHERE id = 7;

-- state-machine: 2 shipments in a state the machine does not name.
CREATE TABLE shipments (id int PRIMARY KEY, state text NOT NULL DEFAULT 'new');
INSERT INTO shipments SELECT g, (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4] FROM generate_series(1, 12) g;
INSERT INTO shipments VALUES (13, 'lost'), (14, 'lost');
`;

/** Independent counts of the rows that block each finding (not the engine's queries). */
export const BLOCKING_SQL: Record<string, string> = {
  'SHOP-FK': `SELECT count(*)::int AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.customer_id)`,
  'SHOP-FK-SETNULL': `SELECT count(*)::int AS n FROM invoices i WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = i.customer_id)`,
  'SHOP-UQ': `SELECT coalesce(sum(n), 0)::int AS n FROM (SELECT count(*) AS n FROM members WHERE email IS NOT NULL GROUP BY lower(email) HAVING count(*) > 1) g`,
  'SHOP-CHK': `SELECT count(*)::int AS n FROM prices WHERE amount < 0`,
  'SHOP-AV': `SELECT count(*)::int AS n FROM tickets WHERE status NOT IN ('open', 'closed')`,
  'SHOP-NN': `SELECT count(*)::int AS n FROM profiles WHERE nickname IS NULL`,
  'SHOP-IDX': `SELECT 0 AS n`,
  'SHOP-CNT': `SELECT count(*)::int AS n FROM posts WHERE comment_count IS DISTINCT FROM (SELECT count(*) FROM comments WHERE comments.post_id = posts.id)`,
  'SHOP-SM': `SELECT count(*)::int AS n FROM shipments WHERE state NOT IN ('new', 'paid', 'shipped', 'cancelled')`,
  'SHOP-SQL': `SELECT 0 AS n`,
};

export interface ShopFinding {
  id: string;
  title: string;
  severity: 'critical' | 'high' | 'medium' | 'low';
  playbook: string;
  params: Record<string, unknown>;
  resolution?: Record<string, unknown>;
}

export const SHOP_FINDINGS: ShopFinding[] = [
  {
    id: 'SHOP-FK',
    title: 'orders.customer_id has no foreign key; 3 orders are orphans',
    severity: 'critical',
    playbook: 'foreign-key',
    params: { table: 'orders', columns: ['customer_id'], references: { table: 'customers', columns: ['id'] }, onDelete: 'cascade' },
    resolution: { strategy: 'delete' },
  },
  {
    id: 'SHOP-FK-SETNULL',
    title: 'deleting a customer is refused by invoices; make it SET NULL',
    severity: 'high',
    playbook: 'foreign-key',
    params: { table: 'invoices', columns: ['customer_id'], references: { table: 'customers', columns: ['id'] }, onDelete: 'set-null' },
  },
  {
    id: 'SHOP-UQ',
    title: 'member emails are not unique ignoring case',
    severity: 'high',
    playbook: 'unique',
    params: { table: 'members', columns: ['lower(email)'], name: 'members_email_lower_key' },
    resolution: { strategy: 'delete', keep: 'oldest', orderBy: 'created_at' },
  },
  {
    id: 'SHOP-CHK',
    title: 'a price can be negative',
    severity: 'high',
    playbook: 'check',
    params: { table: 'prices', name: 'prices_amount_nonneg', expression: 'amount >= 0' },
    resolution: { strategy: 'update', set: { amount: 0 } },
  },
  {
    id: 'SHOP-AV',
    title: 'ticket status is free text',
    severity: 'medium',
    playbook: 'allowed-values',
    params: { table: 'tickets', column: 'status', values: ['open', 'closed'] },
    resolution: { strategy: 'set-null' },
  },
  {
    id: 'SHOP-NN',
    title: 'profiles.nickname can be NULL',
    severity: 'medium',
    playbook: 'not-null',
    params: { table: 'profiles', column: 'nickname' },
    resolution: { strategy: 'update', set: { nickname: 'anonymous' } },
  },
  {
    id: 'SHOP-IDX',
    title: 'events are listed by kind and time without an index',
    severity: 'low',
    playbook: 'index',
    params: { table: 'events', columns: ['kind', 'at'], name: 'events_kind_at_idx' },
  },
  {
    id: 'SHOP-CNT',
    title: 'posts.comment_count drifts',
    severity: 'medium',
    playbook: 'counter',
    params: { table: 'posts', column: 'comment_count', expression: '(SELECT count(*) FROM comments WHERE comments.post_id = posts.id)' },
  },
  {
    id: 'SHOP-SM',
    title: 'shipment states change freely',
    severity: 'high',
    playbook: 'state-machine',
    params: { table: 'shipments', column: 'state', transitions: { new: ['paid', 'cancelled'], paid: ['shipped', 'cancelled'], shipped: [], cancelled: [] } },
    resolution: { strategy: 'update', set: { state: 'cancelled' } },
  },
  {
    id: 'SHOP-SQL',
    title: 'nothing maintains posts.comment_count',
    severity: 'medium',
    playbook: 'sql',
    params: {
      sql:
        'CREATE FUNCTION bump_comment_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE posts SET comment_count = coalesce(comment_count, 0) + 1 WHERE id = NEW.post_id; RETURN NEW; END $$;\n' +
        'CREATE TRIGGER comments_bump AFTER INSERT ON comments FOR EACH ROW EXECUTE FUNCTION bump_comment_count();',
      rollback: 'DROP TRIGGER IF EXISTS comments_bump ON comments;\nDROP FUNCTION IF EXISTS bump_comment_count();',
      tables: ['comments', 'posts'],
    },
  },
];

/** Rows each finding's resolution or repair changes (deleted or updated), counted by hand from SHOP_SQL. */
export const SHOP_ROWS: Record<string, number> = {
  'SHOP-FK': 3,
  'SHOP-FK-SETNULL': 0,
  'SHOP-UQ': 3,
  'SHOP-CHK': 4,
  'SHOP-AV': 3,
  'SHOP-NN': 2,
  'SHOP-IDX': 0,
  'SHOP-CNT': 4,
  'SHOP-SM': 2,
  'SHOP-SQL': 0,
};

/** Blocking rows before anything is applied. */
export const SHOP_BLOCKING: Record<string, number> = {
  'SHOP-FK': 3,
  'SHOP-FK-SETNULL': 0,
  'SHOP-UQ': 5,
  'SHOP-CHK': 4,
  'SHOP-AV': 3,
  'SHOP-NN': 2,
  'SHOP-IDX': 0,
  'SHOP-CNT': 4,
  'SHOP-SM': 2,
  'SHOP-SQL': 0,
};

export async function blockingCount(db: Pick<TestDb, 'query'>, id: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(BLOCKING_SQL[id]!);
  return Number(rows[0]!.n);
}

/** The findings without their resolutions: the blocked ones are refused. */
export function unresolved(findings: ShopFinding[]): ShopFinding[] {
  return findings.map(({ resolution: _r, ...f }) => f);
}
