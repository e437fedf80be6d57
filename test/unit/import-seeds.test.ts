import path from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImportResult } from '../../src/findings/import/import-report.js';
import { formatSummary } from '../../src/findings/import/summary.js';
import { byId, counts, expectLoadable, importMd, only } from './import-helpers.js';

/** The real audit reports in test/seeds (copies of /work/shared/seeds), imported end to end. */

const SEEDS = path.resolve(import.meta.dirname, '../seeds');
const seed = (name: string): Promise<ImportResult> => importMd(readFileSync(`${SEEDS}/${name}`, 'utf8'), `${SEEDS}/${name}`);

describe('seed 000 (ActorHub, most SQL)', () => {
  let r: ImportResult;
  beforeAll(async () => {
    r = await seed('000_41b1b5a0410f4d20.txt');
  });

  it('gives the numbers per playbook counted from the report', () => {
    // §1.3: 17 foreign keys (4 with DROP NOT NULL); §2.2: 5 unique indexes; §3.2: 20 CHECKs + §5.2 email
    // regex; §5.2: 5 IN-lists; §6.3: 3 reconciliation UPDATEs; §7.2: 3 transition maps with triggers.
    expect(counts(r)).toEqual({
      'foreign-key': 17,
      unique: 5,
      check: 21,
      'allowed-values': 5,
      counter: 3,
      'state-machine': 3,
      sql: 17,
    });
    expect(r.summary.droppedTransactionControl).toBe(18); // 9 migration blocks, BEGIN and COMMIT each
    expect(r.summary.parseErrors).toEqual([]);
  });

  it('keeps as sql exactly the trigger functions, DO blocks, ADD COLUMNs and the view', () => {
    expect(r.summary.leftAsSql.map((e) => [e.id, e.line])).toEqual([
      ['SQL-cascade_identity_soft_delete', 320],
      ['SQL-users.deleted_at', 357],
      ['SQL-cascade_user_soft_delete', 360],
      ['SQL-identity_status', 417],
      ['SQL-training_status', 423],
      ['SQL-payment_status', 429],
      ['SQL-update_identity_verification_count', 483],
      ['SQL-update_identity_license_count', 502],
      ['SQL-update_identity_revenue', 521],
      ['SQL-update_actor_pack_downloads', 541],
      ['SQL-increment_listing_view', 560],
      ['SQL-check_commercial_license', 753],
      ['SQL-check_license_limits', 774],
      ['SQL-check_payout_validity', 799],
      ['SQL-notifications.updated_at', 847],
      ['SQL-audit_trigger_func', 850],
      ['SQL-data_integrity_issues', 1050],
    ]);
    // Every one of them has a derived rollback.
    expect(r.summary.leftAsSql.filter((e) => e.noRollback)).toEqual([]);
    expect(byId(r, 'SQL-audit_trigger_func').params.tables).toEqual(['identities', 'licenses', 'users', 'subscriptions', 'payouts']);
  });

  it('maps §1.3 with the impact matrix’s risk levels and the DROP NOT NULLs folded in', () => {
    expect(byId(r, 'FK-identities_user_id_fkey')).toEqual({
      id: 'FK-identities_user_id_fkey',
      title: 'identities.user_id -> CASCADE (delete user = delete their identities)',
      severity: 'critical',
      source: '000_41b1b5a0410f4d20.txt §1.1, §1.3',
      playbook: 'foreign-key',
      params: {
        table: 'identities',
        columns: ['user_id'],
        references: { table: 'users', columns: ['id'] },
        onDelete: 'cascade',
        name: 'identities_user_id_fkey',
      },
    });
    expect(byId(r, 'FK-notifications_user_id_fkey').severity).toBe('high');
    expect(byId(r, 'FK-usage_logs_license_id_fkey').severity).toBe('medium');
    expect(only(r, 'foreign-key').filter((f) => f.params.onDelete === 'set-null')).toHaveLength(11);
  });

  it('maps §2.2 unique indexes with expressions and partial predicates, rated by §2.1', () => {
    expect(byId(r, 'UQ-idx_identity_user_display_name')).toMatchObject({
      severity: 'high',
      params: { table: 'identities', columns: ['user_id', 'lower(display_name)'], where: 'deleted_at IS NULL' },
    });
    expect(byId(r, 'UQ-idx_subscription_user_active')).toMatchObject({ severity: 'critical', params: { where: "status = 'ACTIVE'" } });
    expect(byId(r, 'UQ-idx_apikey_user_name').severity).toBe('medium');
  });

  it('maps checks, allowed values, counters and state machines', () => {
    expect(byId(r, 'CHK-chk_license_price_positive').params).toEqual({
      table: 'licenses',
      name: 'chk_license_price_positive',
      expression: 'price_usd >= 0',
    });
    expect(byId(r, 'CHK-chk_email_format').params).toMatchObject({ table: 'users', name: 'chk_email_format' });
    expect(byId(r, 'AV-chk_payment_status').params).toEqual({
      table: 'licenses',
      column: 'payment_status',
      values: ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'REFUNDED', 'DISPUTED'],
      name: 'chk_payment_status',
    });
    expect(byId(r, 'CNT-identities.total_verifications')).toMatchObject({
      severity: 'high',
      params: {
        expression: "(SELECT count(*) FROM usage_logs WHERE identity_id = identities.id AND action = 'verify' AND matched = true)",
      },
    });
    expect(byId(r, 'CNT-identities.total_revenue').severity).toBe('critical');
    expect(byId(r, 'SM-licenses.payment_status').params).toEqual({
      table: 'licenses',
      column: 'payment_status',
      transitions: {
        PENDING: ['PROCESSING', 'FAILED'],
        PROCESSING: ['COMPLETED', 'FAILED'],
        COMPLETED: ['REFUNDED', 'DISPUTED'],
        FAILED: ['PENDING'],
        REFUNDED: [],
        DISPUTED: ['REFUNDED', 'COMPLETED'],
      },
    });
    expect(only(r, 'state-machine').map((f) => f.id)).toEqual([
      'SM-identities.status',
      'SM-actor_packs.training_status',
      'SM-licenses.payment_status',
    ]);
  });

  it('skips diagrams, python and the comment-only rollback block', () => {
    expect(r.summary.skippedBlocks.map((b) => [b.line, b.lang])).toEqual([
      [54, null],
      [305, null],
      [617, null],
      [625, null],
      [632, null],
      [946, 'python'],
      [980, 'python'],
      [1001, 'python'],
      [1104, 'sql'],
    ]);
  });

  it('loads with the findings loader and the playbooks', async () => {
    await expectLoadable(r.findings);
  });
});

describe('seed 002 (AudioTricks)', () => {
  it('yields its CHECK constraints and its index', async () => {
    const r = await seed('002_094e4baf79b4cdb1.txt');
    expect(counts(r)).toEqual({ check: 3, index: 1, sql: 2 });
    expect(only(r, 'check').map((f) => f.params)).toEqual([
      { table: 'usage_metrics', name: 'chk_quantity_positive', expression: 'quantity >= 0' },
      { table: 'billing_records', name: 'chk_total_positive', expression: 'total_amount >= 0' },
      { table: 'storage_quotas', name: 'chk_storage_limits', expression: 'current_storage_bytes <= max_storage_bytes' },
    ]);
    expect(byId(r, 'IDX-idx_usage_metrics_user_dashboard_covering').params).toEqual({
      table: 'usage_metrics',
      columns: ['user_id', 'period_start'],
      where: "period_start >= (CURRENT_DATE - '90 days'::interval)",
      include: ['metric_type', 'quantity', 'cost', 'provider'],
      name: 'idx_usage_metrics_user_dashboard_covering',
    });
    expect(only(r, 'sql').map((f) => f.id)).toEqual(['SQL-workspace_isolation', 'SQL-audit_user_changes']);
    await expectLoadable(r.findings);
  });
});

describe('seeds without importable SQL', () => {
  it('001 imports without error and lists its skipped python blocks', async () => {
    const r = await seed('001_a2bf856f4df36cac.txt');
    expect(r.findings).toEqual([]);
    expect(r.summary.skippedBlocks).toHaveLength(49);
    expect(r.summary.skippedBlocks.every((b) => b.lang === 'python')).toBe(true);
    expect(formatSummary(r.summary)).toMatch(/blocks skipped \(49\):\n {2}python, not SQL \(49\): lines 31, 50,/);
  });

  it('003 skips its queries and its deletion scenario (an illustration, listed with why), and no longer fails on its numbered list', async () => {
    const r = await seed('003_0a771a1bbd1ca421.txt');
    expect(r.findings).toEqual([]);
    expect(r.summary.skippedStatements.map((s) => [s.line, s.what])).toEqual([
      [177, 'SELECT'],
      [876, 'SELECT'],
      [880, 'SELECT'],
      [884, 'SELECT'],
    ]);
    expect(r.summary.parseErrors).toEqual([]);
    expect(r.summary.illustrations).toEqual([{ line: 584, why: 'under "Real-World Deletion Scenario": an example, not the fix' }]);
    const kinds = new Set(r.summary.skippedBlocks.map((b) => b.lang));
    expect(kinds).toEqual(new Set(['python', 'bash', 'markdown', null]));
    expect(formatSummary(r.summary)).toMatch(/illustrations skipped, no finding \(1\):\n {2}line 584 {2}under "Real-World Deletion Scenario"/);
  });

  it('004 imports without error and lists its skipped typescript blocks', async () => {
    const r = await seed('004_ddfcc4a99278647f.txt');
    expect(r.findings).toEqual([]);
    expect(r.summary.skippedBlocks).toEqual([
      { line: 139, lang: 'typescript', why: 'not SQL' },
      { line: 147, lang: 'typescript', why: 'not SQL' },
    ]);
  });
});
