import { describe, expect, it } from 'vitest';
import { byId, counts, expectLoadable, importMd, only, sql } from './import-helpers.js';

/** Each statement shape an audit report uses, from a small Markdown snippet to its finding. */

describe('foreign keys', () => {
  it('groups DROP CONSTRAINT, ADD … FOREIGN KEY and the DROP NOT NULL a SET NULL needs into one finding', async () => {
    const r = await importMd(
      '## 1.3 Script\n' +
        sql(`BEGIN;
-- licenses.identity_id -> SET NULL
ALTER TABLE licenses DROP CONSTRAINT IF EXISTS licenses_identity_id_fkey;
ALTER TABLE licenses ADD CONSTRAINT licenses_identity_id_fkey
    FOREIGN KEY (identity_id) REFERENCES identities(id) ON DELETE SET NULL;
ALTER TABLE licenses ALTER COLUMN identity_id DROP NOT NULL;
COMMIT;`),
    );
    expect(r.findings).toEqual([
      {
        id: 'FK-licenses_identity_id_fkey',
        title: 'licenses.identity_id -> SET NULL',
        severity: 'medium',
        source: 'report.md §1.3',
        playbook: 'foreign-key',
        params: {
          table: 'licenses',
          columns: ['identity_id'],
          references: { table: 'identities', columns: ['id'] },
          onDelete: 'set-null',
          name: 'licenses_identity_id_fkey',
        },
      },
    ]);
    expect(r.summary.droppedTransactionControl).toBe(2);
    await expectLoadable(r.findings);
  });

  it('maps every ON DELETE action and multi-column keys; unnamed keys get PostgreSQL’s default name', async () => {
    const r = await importMd(
      sql(`ALTER TABLE a ADD CONSTRAINT a_fk FOREIGN KEY (x, y) REFERENCES b (x, y) ON DELETE CASCADE;
ALTER TABLE a ADD FOREIGN KEY (z) REFERENCES c (id) ON DELETE RESTRICT;
ALTER TABLE a ADD CONSTRAINT a_w FOREIGN KEY (w) REFERENCES d (id) ON DELETE SET DEFAULT;
ALTER TABLE a ADD CONSTRAINT a_v FOREIGN KEY (v) REFERENCES e (id);`),
    );
    expect(r.findings.map((f) => [f.id, (f.params as { onDelete: string }).onDelete])).toEqual([
      ['FK-a_fk', 'cascade'],
      ['FK-a_z_fkey', 'restrict'],
      ['FK-a_w', 'set-default'],
      ['FK-a_v', 'no-action'],
    ]);
    expect(byId(r, 'FK-a_fk').params).toMatchObject({ columns: ['x', 'y'], references: { table: 'b', columns: ['x', 'y'] } });
    expect(byId(r, 'FK-a_z_fkey').params).not.toHaveProperty('name');
  });

  it('keeps a DROP NOT NULL that a CASCADE key does not need as sql, with its rollback', async () => {
    const r = await importMd(
      sql(`ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (p) REFERENCES p (id) ON DELETE CASCADE;
ALTER TABLE t ALTER COLUMN p DROP NOT NULL;`),
    );
    expect(counts(r)).toEqual({ 'foreign-key': 1, sql: 1 });
    expect(only(r, 'sql')[0]?.params).toEqual({
      sql: 'ALTER TABLE t ALTER COLUMN p DROP NOT NULL;',
      rollback: 'ALTER TABLE t ALTER COLUMN p SET NOT NULL;',
      tables: ['t'],
    });
  });

  it('leaves a key the playbook cannot express (ON UPDATE CASCADE) as sql, saying why', async () => {
    const r = await importMd(sql('ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (p) REFERENCES p (id) ON DELETE CASCADE ON UPDATE CASCADE;'));
    expect(counts(r)).toEqual({ sql: 1 });
    expect(r.summary.leftAsSql[0]?.why).toMatch(/ON UPDATE/);
    expect(only(r, 'sql')[0]?.params).toMatchObject({ rollback: 'ALTER TABLE t DROP CONSTRAINT IF EXISTS t_fk;' });
  });
});

describe('unique and index', () => {
  it('maps CREATE UNIQUE INDEX with lower() and WHERE to unique with expression keys', async () => {
    const r = await importMd(
      sql(`-- Prevent duplicate identity names per user
CREATE UNIQUE INDEX IF NOT EXISTS idx_identity_user_display_name
    ON identities(user_id, lower(display_name))
    WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX idx_payout_user_period ON payouts(user_id, period_start DESC) WHERE status != 'CANCELED';`),
    );
    expect(r.findings.map((f) => [f.id, f.title, f.playbook, f.params])).toEqual([
      [
        'UQ-idx_identity_user_display_name',
        'Prevent duplicate identity names per user',
        'unique',
        { table: 'identities', columns: ['user_id', 'lower(display_name)'], where: 'deleted_at IS NULL', name: 'idx_identity_user_display_name' },
      ],
      [
        'UQ-idx_payout_user_period',
        "payouts (user_id, period_start) unique WHERE status <> 'CANCELED'", // no comment, no heading: what it does
        'unique',
        { table: 'payouts', columns: ['user_id', 'period_start'], where: "status <> 'CANCELED'", name: 'idx_payout_user_period' },
      ],
    ]);
    await expectLoadable(r.findings);
  });

  it('maps ADD CONSTRAINT … UNIQUE to unique', async () => {
    const r = await importMd(sql('ALTER TABLE api_keys ADD CONSTRAINT uq_api_keys_user_name UNIQUE (user_id, name);'));
    expect(r.findings[0]).toMatchObject({
      id: 'UQ-uq_api_keys_user_name',
      playbook: 'unique',
      params: { table: 'api_keys', columns: ['user_id', 'name'], name: 'uq_api_keys_user_name' },
    });
  });

  it('maps CREATE INDEX CONCURRENTLY to index, noting the dropped mode and sort order', async () => {
    const r = await importMd(
      sql(`CREATE INDEX CONCURRENTLY idx_um ON usage_metrics(user_id, period_start DESC)
INCLUDE (metric_type, quantity) WHERE period_start >= CURRENT_DATE - INTERVAL '90 days';
CREATE INDEX ON events (created_at);`),
    );
    expect(r.findings.map((f) => [f.id, f.params])).toEqual([
      [
        'IDX-idx_um',
        {
          table: 'usage_metrics',
          columns: ['user_id', 'period_start'],
          where: "period_start >= (CURRENT_DATE - '90 days'::interval)",
          include: ['metric_type', 'quantity'],
          name: 'idx_um',
        },
      ],
      ['IDX-events_created_at_idx', { table: 'events', columns: ['created_at'] }],
    ]);
    expect(r.summary.notes.map((n) => n.note)).toEqual([
      expect.stringMatching(/CONCURRENTLY.*--mode online/),
      expect.stringMatching(/sort order dropped \(period_start DESC\)/),
    ]);
    await expectLoadable(r.findings);
  });

  it('keeps indexes the playbooks cannot build (GIN, unique with INCLUDE) as sql with DROP INDEX rollback', async () => {
    const r = await importMd(
      sql(`CREATE INDEX idx_gin ON docs USING gin (body);
CREATE UNIQUE INDEX idx_cover ON docs (id) INCLUDE (title);`),
    );
    expect(r.findings.map((f) => [f.playbook, (f.params as { rollback?: string }).rollback])).toEqual([
      ['sql', 'DROP INDEX IF EXISTS idx_gin;'],
      ['sql', 'DROP INDEX IF EXISTS idx_cover;'],
    ]);
    expect(r.summary.leftAsSql.map((e) => e.why)).toEqual([expect.stringMatching(/USING gin/), expect.stringMatching(/INCLUDE/)]);
  });
});

describe('check, allowed-values, not-null', () => {
  it('maps CHECK to check and column IN (…) / = ANY (ARRAY[…]) to allowed-values', async () => {
    const r = await importMd(
      sql(`ALTER TABLE licenses ADD CONSTRAINT chk_license_price_positive CHECK (price_usd >= 0);
ALTER TABLE identities ADD CONSTRAINT chk_identity_status
    CHECK (status IN ('PENDING', 'PROCESSING', 'VERIFIED'));
ALTER TABLE jobs ADD CONSTRAINT chk_jobs_prio CHECK (priority = ANY (ARRAY[1, 2, 3]));
ALTER TABLE jobs ADD CONSTRAINT chk_jobs_not_in CHECK (kind NOT IN ('x'));
ALTER TABLE users ADD CONSTRAINT chk_email_format
    CHECK (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$');
ALTER TABLE jobs ADD CHECK (attempts >= 0);`),
    );
    expect(r.findings.map((f) => [f.id, f.playbook, f.params])).toEqual([
      ['CHK-chk_license_price_positive', 'check', { table: 'licenses', name: 'chk_license_price_positive', expression: 'price_usd >= 0' }],
      [
        'AV-chk_identity_status',
        'allowed-values',
        { table: 'identities', column: 'status', values: ['PENDING', 'PROCESSING', 'VERIFIED'], name: 'chk_identity_status' },
      ],
      ['AV-chk_jobs_prio', 'allowed-values', { table: 'jobs', column: 'priority', values: [1, 2, 3], name: 'chk_jobs_prio' }],
      ['CHK-chk_jobs_not_in', 'check', { table: 'jobs', name: 'chk_jobs_not_in', expression: "kind NOT IN ('x')" }],
      [
        'CHK-chk_email_format',
        'check',
        { table: 'users', name: 'chk_email_format', expression: "email ~* E'^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\\\.[A-Za-z]{2,}$'" },
      ],
      ['CHK-jobs_attempts_check', 'check', { table: 'jobs', name: 'jobs_attempts_check', expression: 'attempts >= 0' }],
    ]);
    await expectLoadable(r.findings);
  });

  it('maps SET NOT NULL to not-null', async () => {
    const r = await importMd(sql('ALTER TABLE review_queue ALTER COLUMN created_at SET NOT NULL;'));
    expect(r.findings[0]).toMatchObject({
      id: 'NN-review_queue.created_at',
      playbook: 'not-null',
      params: { table: 'review_queue', column: 'created_at' },
    });
    await expectLoadable(r.findings);
  });
});

describe('counter', () => {
  it('rewrites the aliased outer table to its name on the AST; inner columns stay unqualified', async () => {
    const r = await importMd(
      sql(`-- Fix identity.total_revenue
UPDATE identities i
SET total_revenue = COALESCE((
    SELECT SUM(creator_payout_usd) FROM licenses
    WHERE identity_id = i.id AND payment_status = 'COMPLETED'
), 0)
WHERE total_revenue != COALESCE((
    SELECT SUM(creator_payout_usd) FROM licenses
    WHERE identity_id = i.id AND payment_status = 'COMPLETED'
), 0);
UPDATE listings SET license_count = (SELECT count(*) FROM licenses l WHERE l.listing_id = listings.id);`),
    );
    expect(r.findings.map((f) => [f.id, f.title, f.params])).toEqual([
      [
        'CNT-identities.total_revenue',
        'Fix identity.total_revenue',
        {
          table: 'identities',
          column: 'total_revenue',
          expression:
            "COALESCE((SELECT sum(creator_payout_usd) FROM licenses WHERE identity_id = identities.id AND payment_status = 'COMPLETED'), 0)",
        },
      ],
      [
        'CNT-listings.license_count',
        expect.any(String),
        { table: 'listings', column: 'license_count', expression: '(SELECT count(*) FROM licenses AS l WHERE l.listing_id = listings.id)' },
      ],
    ]);
    await expectLoadable(r.findings);
  });

  it('does not rewrite inside a subquery that reuses the alias for its own table', async () => {
    const r = await importMd(
      sql('UPDATE a i SET n = (SELECT count(*) FROM b WHERE b.a_id = i.id AND EXISTS (SELECT 1 FROM c i WHERE i.b_id = b.id));'),
    );
    expect(byId(r, 'CNT-a.n').params).toMatchObject({
      expression: '(SELECT count(*) FROM b WHERE b.a_id = a.id AND EXISTS (SELECT 1 FROM c AS i WHERE i.b_id = b.id))',
    });
  });

  it('leaves UPDATEs that are not reconciliations as sql, saying why, without rollback', async () => {
    const r = await importMd(
      sql(`UPDATE a i SET n = (SELECT count(*) FROM a WHERE parent_id = i.id);
UPDATE a SET n = (SELECT count(*) FROM b WHERE b.a_id = a.id) WHERE a.kind = 'x';
UPDATE a SET n = 0;`),
    );
    expect(counts(r)).toEqual({ sql: 3 });
    expect(r.summary.leftAsSql.map((e) => e.why)).toEqual([
      expect.stringMatching(/subquery reads a itself/),
      expect.stringMatching(/WHERE is not/),
      expect.stringMatching(/without a subquery/),
    ]);
    expect(r.summary.leftAsSql.every((e) => e.noRollback?.includes('data change'))).toBe(true);
    expect(only(r, 'sql').every((f) => !('rollback' in f.params))).toBe(true);
  });
});

const STATE_MACHINE = `-- Identity status transitions
CREATE OR REPLACE FUNCTION check_identity_status_transition()
RETURNS TRIGGER AS $$
DECLARE
    valid_transitions JSONB := '{
        "PENDING": ["PROCESSING"],
        "PROCESSING": ["VERIFIED", "REJECTED"],
        "VERIFIED": []
    }'::JSONB;
BEGIN
    IF OLD.status IS DISTINCT FROM NEW.status THEN
        IF NOT (valid_transitions->OLD.status) ? NEW.status THEN
            RAISE EXCEPTION 'Invalid identity status transition: % -> %', OLD.status, NEW.status;
        END IF;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;`;

describe('state machine', () => {
  it('maps a trigger function holding a transitions map, with its trigger, to state-machine', async () => {
    const r = await importMd(
      sql(`${STATE_MACHINE}

CREATE TRIGGER trg_identity_status_transition
    BEFORE UPDATE OF status ON identities
    FOR EACH ROW EXECUTE FUNCTION check_identity_status_transition();`),
    );
    expect(r.findings).toEqual([
      expect.objectContaining({
        id: 'SM-identities.status',
        title: 'Identity status transitions',
        playbook: 'state-machine',
        params: {
          table: 'identities',
          column: 'status',
          transitions: { PENDING: ['PROCESSING'], PROCESSING: ['VERIFIED', 'REJECTED'], VERIFIED: [] },
        },
      }),
    ]);
    await expectLoadable(r.findings);
  });

  it('keeps the function as sql when no trigger in the report attaches it', async () => {
    const r = await importMd(sql(STATE_MACHINE));
    expect(counts(r)).toEqual({ sql: 1 });
    expect(r.summary.leftAsSql[0]?.why).toMatch(/no trigger in the report calls check_identity_status_transition/);
    expect(only(r, 'sql')[0]?.params).toMatchObject({ rollback: 'DROP FUNCTION IF EXISTS check_identity_status_transition();' });
  });
});

describe('sql findings', () => {
  it('keeps a function with the triggers that use it as one finding with derived rollback', async () => {
    const r = await importMd(
      '## 9.2 Audit\n' +
        sql(`BEGIN;
-- Generic audit trigger function
CREATE OR REPLACE FUNCTION audit_trigger_func(p_reason text DEFAULT 'x')
RETURNS TRIGGER AS $$
BEGIN
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;

-- Apply audit triggers to critical tables
CREATE TRIGGER audit_users
    AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION audit_trigger_func();

CREATE TRIGGER "Audit Orders"
    AFTER INSERT ON shop.orders
    FOR EACH ROW EXECUTE FUNCTION audit_trigger_func();
COMMIT;`),
    );
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({ id: 'SQL-audit_trigger_func', title: 'Generic audit trigger function', playbook: 'sql', source: 'report.md §9.2' });
    expect(f.params.rollback).toBe(
      [
        'DROP TRIGGER IF EXISTS "Audit Orders" ON shop.orders;',
        'DROP TRIGGER IF EXISTS audit_users ON users;',
        'DROP FUNCTION IF EXISTS audit_trigger_func(text);',
      ].join('\n'),
    );
    expect(f.params.tables).toEqual(['users', 'shop.orders']);
    expect(f.params.sql).toMatch(/^CREATE OR REPLACE FUNCTION audit_trigger_func[\s\S]*EXECUTE FUNCTION audit_trigger_func\(\);$/);
    expect(f.params.sql).not.toMatch(/BEGIN;|COMMIT/);
    expect(r.summary.leftAsSql).toEqual([{ id: 'SQL-audit_trigger_func', line: 5, why: 'a trigger function and its triggers: no playbook' }]);
    await expectLoadable(r.findings);
  });

  it('derives rollback for CREATE TYPE in a DO block, a view, ADD COLUMN and a policy', async () => {
    const r = await importMd(
      sql(`DO $$ BEGIN
    CREATE TYPE identity_status AS ENUM ('PENDING', 'VERIFIED');
EXCEPTION
    WHEN duplicate_object THEN NULL;
END $$;
CREATE OR REPLACE VIEW data_integrity_issues AS SELECT 1 AS issue;
ALTER TABLE users ADD COLUMN IF NOT EXISTS deleted_at TIMESTAMP;
CREATE POLICY workspace_isolation ON audio_uploads FOR ALL USING (workspace_id = 1);
CREATE TYPE mood AS ENUM ('sad', 'ok');`),
    );
    expect(r.findings.map((f) => [f.id, f.params.rollback, f.params.tables])).toEqual([
      ['SQL-identity_status', 'DROP TYPE IF EXISTS identity_status;', undefined],
      ['SQL-data_integrity_issues', 'DROP VIEW IF EXISTS data_integrity_issues;', undefined],
      ['SQL-users.deleted_at', 'ALTER TABLE users DROP COLUMN IF EXISTS deleted_at;', ['users']],
      ['SQL-workspace_isolation', 'DROP POLICY IF EXISTS workspace_isolation ON audio_uploads;', ['audio_uploads']],
      ['SQL-mood', 'DROP TYPE IF EXISTS mood;', undefined],
    ]);
    await expectLoadable(r.findings);
  });

  it('says when no rollback can be derived (role settings, DO blocks running dynamic SQL)', async () => {
    const r = await importMd(
      sql(`ALTER ROLE app SET statement_timeout = '30s';
DO $$ BEGIN EXECUTE 'CREATE TABLE x (id int)'; END $$;`),
    );
    expect(r.summary.leftAsSql.map((e) => [e.why, e.noRollback])).toEqual([
      ['a role setting: no playbook', 'the previous setting is not known'],
      [expect.stringMatching(/DO block/), 'the DO block runs dynamic SQL or calls functions'],
    ]);
  });
});

describe('report handling', () => {
  it('skips python, typescript, shell and text blocks, imports labelled and unlabelled SQL, skips queries', async () => {
    const md = [
      '# Report', //                    1
      '```python', //                   2
      'Index("idx", "a")', //           3
      '```', //                         4
      '```typescript', //               5
      'const a = 1;', //                6
      '```', //                         7
      '```bash', //                     8
      'psql -c "select 1"', //          9
      '```', //                         10
      '```', //                         11
      'User deletes account:', //       12
      '1. DB rejects', //               13
      '```', //                         14
      '```', //                         15
      'ALTER TABLE t ALTER COLUMN c SET NOT NULL;', // 16
      '```', //                         17
      '```sql', //                      18
      '-- how many?', //                19
      'SELECT count(*) FROM t;', //     20
      'SET lock_timeout = 1000;', //    21
      '```', //                         22
    ].join('\n');
    const r = await importMd(md);
    expect(r.findings.map((f) => f.id)).toEqual(['NN-t.c']);
    expect(r.summary.skippedBlocks).toEqual([
      { line: 3, lang: 'python', why: 'not SQL' },
      { line: 6, lang: 'typescript', why: 'not SQL' },
      { line: 9, lang: 'bash', why: 'not SQL' },
      { line: 12, lang: null, why: 'does not parse as SQL' },
    ]);
    expect(r.summary.skippedStatements).toEqual([
      { line: 20, what: 'SELECT', why: 'a query, not a change' },
      { line: 21, what: 'SET', why: 'a session setting, not a change to the database' },
    ]);
  });

  it('reports broken SQL with its report line and imports nothing from that block', async () => {
    const md = ['# R', '', '```sql', 'ALTER TABLE t ALTER COLUMN c SET NOT NULL;', 'ALTER TABLE t ADD CONSTRAINT', '```', '```sql', 'ALTER TABLE u ALTER COLUMN d SET NOT NULL;', '```'].join('\n');
    const r = await importMd(md);
    expect(r.findings.map((f) => f.id)).toEqual(['NN-u.d']);
    expect(r.summary.parseErrors).toEqual([{ line: 5, message: 'syntax error at end of input (block at line 4)' }]);
  });

  it('rates and sources findings from matching table rows, then headings, else medium', async () => {
    const md = `# Audit

## 1. Keys (CRITICAL)

### 1.1 Matrix

| Parent Table | Child Table | FK Column | Risk Level |
|---|---|---|---|
| users | notifications | user_id | HIGH |

### 1.2 Script

${sql(`ALTER TABLE notifications ADD CONSTRAINT n_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE payouts ADD CONSTRAINT p_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;`)}
## 2. Checks

| Table | Column | Risk |
|---|---|---|
| payouts | amount | Zero payouts |

${sql('ALTER TABLE payouts ADD CONSTRAINT chk_amount CHECK (amount > 0);')}`;
    const r = await importMd(md, '/some/dir/000_x.txt');
    // Row risk beats the heading's (CRITICAL); a row without a level leaves the default.
    expect(r.findings.map((f) => [f.id, f.severity, f.source, f.title])).toEqual([
      ['FK-n_fk', 'high', '000_x.txt §1.1, §1.2', 'Script: notifications.user_id → users(id) ON DELETE CASCADE'],
      ['FK-p_fk', 'critical', '000_x.txt §1.2', 'Script: payouts.user_id → users(id) ON DELETE SET NULL'],
      ['CHK-chk_amount', 'medium', '000_x.txt §2', 'Checks: payouts: CHECK (amount > 0)'],
    ]);
  });

  it('makes ids unique and valid', async () => {
    const r = await importMd(
      sql(`ALTER TABLE a ADD CONSTRAINT chk CHECK (x > 0);
ALTER TABLE b ADD CONSTRAINT chk CHECK (y > 0);
ALTER TABLE c ADD CONSTRAINT "weird name / with slash" CHECK (z > 0);`),
    );
    expect(r.findings.map((f) => f.id)).toEqual(['CHK-chk', 'CHK-chk-2', 'CHK-weird_name_with_slash']);
    await expectLoadable(r.findings);
  });
});
