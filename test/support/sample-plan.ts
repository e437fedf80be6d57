import type { FindingPlan, FlatStep, Plan, PlanStep } from '../../src/engine/plan/plan-model.js';
import { fromFlat } from '../../src/engine/plan/steps.js';
import type { Finding } from '../../src/findings/model.js';

/**
 * A realistic plan as the engine builds it, for exporter tests: findings in engine order with
 * every status, a resolution, a cascade tree, offending values, and sample cells that need escaping.
 */

type Base = Omit<FindingPlan, 'finding' | 'steps' | 'rollback' | 'verify' | 'diff' | 'checks'> &
  Partial<Pick<FindingPlan, 'rollback' | 'verify' | 'diff' | 'checks'>> & { params: Record<string, unknown>; steps?: FlatStep[] };

export function findingPlan(b: Base): FindingPlan {
  const { params, ...rest } = b;
  const finding: Finding = {
    id: b.id,
    title: b.title,
    severity: b.severity,
    ...(b.source ? { source: b.source } : {}),
    playbook: b.playbook,
    params,
    ...(b.resolution ? { resolution: b.resolution } : {}),
  };
  // Steps as the plan JSON lists them, read back as the engine holds them (row changes whole).
  return { checks: [], rollback: [], verify: [], diff: '', ...rest, steps: fromFlat(rest.steps ?? []), finding };
}

export function step(sql: string, over: Partial<PlanStep> = {}): PlanStep {
  return { sql, lock: 'ACCESS EXCLUSIVE', tables: [], transactional: true, phase: 'fix', ...over };
}

/** The engine's resolution steps: a backup of the rows, then the change of exactly those rows. */
export function backupAndDelete(table: string, backupName: string, rowsSql: string): FlatStep[] {
  const backup = `pgmend.${backupName}`;
  const resolution = { phase: 'resolution' as const, transactional: true };
  return [
    step('CREATE SCHEMA IF NOT EXISTS pgmend', { ...resolution, lock: 'ACCESS SHARE', description: 'the schema that holds backups and the journal' }),
    step(`CREATE TABLE IF NOT EXISTS ${backup} (pgmend_row_id tid, pgmend_txid xid8, LIKE ${table})`, {
      ...resolution,
      lock: 'ACCESS SHARE',
      tables: [table],
      description: 'backup table with the same columns',
    }),
    step(`INSERT INTO ${backup} SELECT t.ctid, pg_current_xact_id(), t.* FROM ${table} t WHERE t.ctid = ANY (ARRAY(${rowsSql})) FOR UPDATE OF t`, {
      ...resolution,
      lock: 'ROW SHARE',
      tables: [table],
      description: 'back up the rows that block, locking them',
      backupTable: backup,
    }),
    step(`DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT pgmend_row_id FROM ${backup} WHERE pgmend_txid = pg_current_xact_id()))`, {
      ...resolution,
      lock: 'ROW EXCLUSIVE',
      tables: [table],
      description: 'delete the backed-up rows',
    }),
  ];
}

/** In the engine's order: by kind (keys, unique, checks, index, counters), then severity. */
export function samplePlan(): Plan {
  return {
    version: 1,
    id: '5e1f09ab',
    createdAt: '2025-10-20T08:00:00.000Z',
    mode: 'window',
    database: {
      host: 'db.internal',
      port: 5433,
      name: 'learning',
      user: 'auditor',
      server: '15.18',
      // Never belongs here; the exporters must not print it even if a caller slips it in.
      ...({ password: 'hunter2-secret', url: 'postgresql://auditor:hunter2-secret@db.internal/learning' } as object),
    },
    fingerprint: 'fp-3f9a0c',
    timings: { prechecks: 41, rehearsal: 120 },
    findings: [
      findingPlan({
        id: 'AH-FK-01',
        title: 'identities.user_id has no ON DELETE rule',
        severity: 'high',
        source: '000_41b1b5a0410f4d20.txt §1.1',
        playbook: 'foreign-key',
        table: 'public.identities',
        status: 'ready',
        params: { table: 'identities', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade' },
        checks: [
          { id: 'orphans', rows: 0, blocking: true, sample: [] },
          {
            id: 'cascade',
            rows: 0,
            blocking: false,
            sample: [],
            cascade: [
              {
                table: 'public.identities',
                via: 'identities_user_id_fkey',
                action: 'cascade',
                maxPerParent: 3,
                total: 120,
                children: [
                  { table: 'public.sessions', via: 'sessions_identity_id_fkey', action: 'set-null', maxPerParent: 40, total: 900, children: [] },
                ],
              },
            ],
          },
        ],
        steps: [
          step(
            'ALTER TABLE public.identities DROP CONSTRAINT identities_user_id_fkey,\n  ADD CONSTRAINT identities_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users (id) ON DELETE CASCADE',
            { lock: 'SHARE ROW EXCLUSIVE', tables: ['public.identities', 'public.users'] },
          ),
        ],
        rollback: ['ALTER TABLE public.identities DROP CONSTRAINT identities_user_id_fkey, ADD CONSTRAINT identities_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users (id)'],
        verify: [
          {
            sql: "SELECT confdeltype = 'c' AS ok FROM pg_constraint WHERE conname = 'identities_user_id_fkey'",
            says: 'foreign key cascades on delete',
          },
        ],
        diff: '--- before\n+++ after\n-    REFERENCES users(id)\n+    REFERENCES users(id) ON DELETE CASCADE',
        rehearsal: { ok: true, ms: 14, rowCounts: [0], stepMs: [13.2] },
      }),
      findingPlan({
        id: 'PLS-01',
        title: 'Submission attempt numbers are not unique',
        severity: 'critical',
        source: '001_a2bf856f4df36cac.txt §2',
        playbook: 'unique',
        table: 'public.learning_submission',
        status: 'blocked',
        params: { table: 'learning_submission', columns: ['user_id', 'exercise_id', 'attempt_number'] },
        checks: [
          {
            id: 'duplicates',
            rows: 61,
            groups: 30,
            blocking: true,
            sample: [
              { id: 101, user_id: 7, attempt_number: 2, code: "print('a|b')\nprint(2)" },
              { id: 102, user_id: 7, attempt_number: 2, code: 'x'.repeat(200) },
              { id: 103, user_id: 8, attempt_number: 1, code: null },
            ],
          },
        ],
        steps: [
          step('ALTER TABLE public.learning_submission ADD CONSTRAINT learning_submission_uniq UNIQUE (user_id, exercise_id, attempt_number)', {
            lock: 'SHARE',
            tables: ['public.learning_submission'],
          }),
        ],
        rollback: ['ALTER TABLE public.learning_submission DROP CONSTRAINT learning_submission_uniq'],
        verify: [{ sql: "SELECT true AS ok", says: 'unique constraint exists' }],
      }),
      findingPlan({
        id: 'PLS-02',
        title: 'Duplicate enrollments per user and course',
        severity: 'high',
        playbook: 'unique',
        table: 'public.enrollment',
        status: 'resolved',
        params: { table: 'enrollment', columns: ['user_id', 'course_id'] },
        resolution: { strategy: 'delete', keep: 'oldest', orderBy: 'enrolled_at' },
        resolutionPreview: {
          resolution: { strategy: 'delete', keep: 'oldest', orderBy: 'enrolled_at' },
          check: 'duplicates',
          table: 'public.enrollment',
          rows: 31,
          sample: [{ id: 9, user_id: 4, course_id: 2, enrolled_at: new Date('2024-02-01T10:00:00Z') }],
        },
        checks: [{ id: 'duplicates', rows: 62, groups: 31, blocking: true, sample: [{ id: 8, user_id: 4, course_id: 2 }] }],
        steps: [
          ...backupAndDelete('public.enrollment', 'bk_5e1f09ab_pls_02', "SELECT ctid FROM public.enrollment e WHERE e.id = 9"),
          step('ALTER TABLE public.enrollment ADD CONSTRAINT enrollment_user_id_course_id_key UNIQUE (user_id, course_id)', {
            lock: 'SHARE',
            tables: ['public.enrollment'],
          }),
        ],
        rollback: ['ALTER TABLE public.enrollment DROP CONSTRAINT enrollment_user_id_course_id_key'],
        verify: [{ sql: "SELECT count(*) = 1 AS ok FROM pg_constraint WHERE conname = 'enrollment_user_id_course_id_key'", says: 'unique key exists' }],
        rehearsal: { ok: true, ms: 40, rowCounts: [0, 0, 31, 31, 0], stepMs: [0.2, 1.1, 6, 12, 27.5] },
      }),
      findingPlan({
        id: 'AV-01',
        title: 'submission.status holds values outside the allowed set',
        severity: 'medium',
        playbook: 'allowed-values',
        table: 'public.learning_submission',
        status: 'resolved',
        params: { table: 'learning_submission', column: 'status', values: ['pending', 'passed', 'failed'] },
        resolution: { strategy: 'update', set: { status: 'failed' } },
        checks: [
          {
            id: 'violations',
            rows: 5,
            blocking: true,
            values: [
              { value: 'PASS|ED', rows: 3 },
              { value: 'erred', rows: 2 },
            ],
            sample: [{ id: 5, status: 'PASS|ED' }],
          },
        ],
        steps: [
          step("UPDATE public.learning_submission SET status = 'failed' WHERE status NOT IN ('pending', 'passed', 'failed')", {
            lock: 'ROW EXCLUSIVE',
            tables: ['public.learning_submission'],
            phase: 'resolution',
          }),
          step(
            "ALTER TABLE public.learning_submission ADD CONSTRAINT learning_submission_status_check CHECK (status IN ('pending', 'passed', 'failed'))",
            { tables: ['public.learning_submission'] },
          ),
        ],
        rollback: ['ALTER TABLE public.learning_submission DROP CONSTRAINT learning_submission_status_check'],
        verify: [{ sql: 'SELECT true AS ok', says: "status check exists (it's validated)" }],
        rehearsal: { ok: true, ms: 5, rowCounts: [5, 0], stepMs: [2, 3] },
      }),
      findingPlan({
        id: 'AH-CHK-03',
        title: 'enrollment.progress outside 0..100',
        severity: 'medium',
        playbook: 'check',
        table: 'public.enrollment',
        status: 'error',
        error: 'expression must be exactly one SQL expression: got "progress >= 0; DROP TABLE x"',
        params: { table: 'enrollment', name: 'progress_range', expression: 'progress >= 0; DROP TABLE x' },
      }),
      findingPlan({
        id: 'AH-IDX-02',
        title: 'users.email lookups are unindexed',
        severity: 'low',
        playbook: 'index',
        table: 'public.users',
        status: 'applied',
        appliedReason: 'an equivalent valid index exists: users_email_idx',
        params: { table: 'users', columns: ['email'] },
      }),
      findingPlan({
        id: 'CNT-01',
        title: 'forum_topic.post_count drifts from the posts it counts',
        severity: 'critical',
        playbook: 'counter',
        table: 'public.forum_topic',
        status: 'ready',
        params: { table: 'forum_topic', column: 'post_count', expression: '(SELECT count(*) FROM forum_post p WHERE p.topic_id = forum_topic.id)' },
        checks: [{ id: 'drift', rows: 7, blocking: false, sample: [{ id: 3, post_count: 10, expected: 12 }] }],
        steps: [
          step('UPDATE public.forum_topic t SET post_count = (SELECT count(*) FROM public.forum_post p WHERE p.topic_id = t.id)', {
            lock: 'ROW EXCLUSIVE',
            tables: ['public.forum_topic'],
            description: 'reconcile the counter',
          }),
        ],
        rollback: [],
        verify: [{ sql: 'SELECT count(*) = 0 AS ok FROM public.forum_topic t WHERE false', says: 'no drift left' }],
        rehearsal: { ok: true, ms: 9, rowCounts: [7], stepMs: [8.6] },
      }),
    ],
  };
}

/** An online-mode plan: an index built CONCURRENTLY, outside any transaction. */
export function onlinePlan(): Plan {
  const plan = samplePlan();
  return {
    ...plan,
    mode: 'online',
    findings: [
      findingPlan({
        id: 'IDX-01',
        title: 'forum_post.topic_id is unindexed',
        severity: 'medium',
        playbook: 'index',
        table: 'public.forum_post',
        status: 'ready',
        params: { table: 'forum_post', columns: ['topic_id'] },
        steps: [
          step('CREATE INDEX CONCURRENTLY forum_post_topic_id_idx ON public.forum_post (topic_id)', {
            lock: 'SHARE UPDATE EXCLUSIVE',
            tables: ['public.forum_post'],
            transactional: false,
            progress: 'create-index',
          }),
        ],
        rollback: ['DROP INDEX CONCURRENTLY IF EXISTS public.forum_post_topic_id_idx'],
        verify: [{ sql: "SELECT indisvalid AS ok FROM pg_index WHERE indexrelid = 'public.forum_post_topic_id_idx'::regclass", says: 'index is valid' }],
        rehearsal: { ok: true, ms: 0, rowCounts: [0], stepMs: [0], skipped: 'CONCURRENTLY cannot be rehearsed in a transaction' },
      }),
    ],
  };
}
