import { describe, expect, it } from 'vitest';
import { planToPsql } from '../../src/export/psql-script.js';
import { exportPlan } from '../../src/export/index.js';
import { PgmendError, UsageError } from '../../src/util/errors.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import { backupAndDelete, findingPlan, onlinePlan, samplePlan, step } from '../support/sample-plan.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

const now = new Date('2025-10-20T09:00:00Z');

function script(plan: Plan = samplePlan(), over: Partial<Parameters<typeof planToPsql>[1]> = {}): string {
  return planToPsql(plan, { lockTimeoutMs: 1000, now, ...over });
}

/** Lines psql executes or interprets: everything but comments and blank lines. */
function live(sql: string): string[] {
  return sql.split('\n').filter((l) => l.trim() && !l.startsWith('--'));
}

describe('planToPsql, window mode', () => {
  const sql = script();
  const lines = live(sql);

  it('starts with a comment header naming database, time and fingerprint, never a password or user', () => {
    expect(sql.split('\n').slice(0, 4)).toEqual([
      '-- pgmend execution script',
      '-- database: learning on db.internal:5433, PostgreSQL 15.18',
      '-- generated: 2025-10-20T09:00:00.000Z; plan built: 2025-10-20T08:00:00.000Z',
      '-- plan fingerprint: fp-3f9a0c',
    ]);
    expect(sql).not.toMatch(/hunter2|postgresql:\/\/|auditor/);
  });

  it('stops on error and sets the timeouts before anything runs', () => {
    // statement_timeout is always explicit (squawk's require-statement-timeout): none unless given.
    expect(lines.slice(0, 4)).toEqual(['\\set ON_ERROR_STOP on', "SET lock_timeout = '1000ms';", "SET statement_timeout = 0;  -- no limit: end the run yourself at the window's end", "\\echo 'pgmend: 9 steps for 4 findings on learning'"]);
    expect(live(script(samplePlan(), { statementTimeoutMs: 30_000 }))[2]).toBe("SET statement_timeout = '30000ms';");
    expect(lines.filter((l) => l.startsWith('\\set'))).toEqual(['\\set ON_ERROR_STOP on']);
  });

  it('wraps everything in one transaction: resolutions first, then fixes in plan order, verification before COMMIT', () => {
    expect(lines.filter((l) => l === 'BEGIN;')).toHaveLength(1);
    expect(lines.filter((l) => l === 'COMMIT;')).toHaveLength(1);
    const echoes = lines.filter((l) => l.startsWith("\\echo '["));
    expect(echoes.map((l) => /\] (\S+ step \d+\/\d+ \(\w+\))/.exec(l)?.[1])).toEqual([
      'PLS-02 step 1/5 (resolution)',
      'PLS-02 step 2/5 (resolution)',
      'PLS-02 step 3/5 (resolution)',
      'PLS-02 step 4/5 (resolution)',
      'AV-01 step 1/2 (resolution)',
      'AH-FK-01 step 1/1 (fix)',
      'PLS-02 step 5/5 (fix)',
      'AV-01 step 2/2 (fix)',
      'CNT-01 step 1/1 (fix)',
    ]);
    const begin = lines.indexOf('BEGIN;');
    const commit = lines.indexOf('COMMIT;');
    const lastStep = lines.findIndex((l) => l.startsWith('UPDATE public.forum_topic'));
    const dos = lines.flatMap((l, i) => (l.startsWith('DO ') ? [i] : []));
    expect(begin).toBeLessThan(lines.findIndex((l) => l.startsWith('CREATE SCHEMA')));
    expect(dos).toHaveLength(4);
    expect(Math.min(...dos)).toBeGreaterThan(lastStep);
    expect(Math.max(...dos)).toBeLessThan(commit);
  });

  it('precedes every step with an \\echo naming finding and step, and a comment with its lock and tables', () => {
    const all = sql.split('\n');
    const fk = all.findIndex((l) => l.startsWith('ALTER TABLE public.identities'));
    expect(all.slice(fk - 3, fk)).toEqual([
      '-- AH-FK-01 (high): identities.user_id has no ON DELETE rule',
      '-- lock: SHARE ROW EXCLUSIVE on public.identities, public.users',
      "\\echo '[6/9] AH-FK-01 step 1/1 (fix)'",
    ]);
    const plan = samplePlan();
    for (const f of plan.findings.filter((x) => x.status === 'ready' || x.status === 'resolved')) {
      for (const s of flatSteps(f.steps)) {
        const at = all.findIndex((l) => l.startsWith(s.sql.split('\n')[0]!));
        expect(at, s.sql).toBeGreaterThan(0);
        expect(all[at - 1]).toMatch(new RegExp(`^\\\\echo '\\[\\d+/9\\] ${f.id} step `));
        expect(all[at - 2]).toBe(`-- lock: ${s.lock}${s.tables.length ? ` on ${s.tables.join(', ')}` : ''}`);
      }
    }
  });

  it('verifies with DO blocks that raise unless ok is true', () => {
    expect(sql).toContain(
      "DO $pgmend_verify$ BEGIN IF (SELECT ok FROM (SELECT confdeltype = 'c' AS ok FROM pg_constraint WHERE conname = 'identities_user_id_fkey') v) IS NOT TRUE " +
        "THEN RAISE EXCEPTION 'verification failed: %', 'AH-FK-01: foreign key cascades on delete'; END IF; END $pgmend_verify$;",
    );
    expect(sql).toContain("RAISE EXCEPTION 'verification failed: %', 'AV-01: status check exists (it''s validated)';");
  });

  it('runs no step of a blocked, applied or failed finding, and says in the header why they are skipped', () => {
    expect(sql).toContain('--   PLS-01: blocked: 61 rows in duplicates and no resolution');
    expect(sql).toContain('--   AH-IDX-02: already in place: an equivalent valid index exists: users_email_idx');
    expect(sql).toContain('--   AH-CHK-03: error: expression must be exactly one SQL expression');
    for (const id of ['PLS-01', 'AH-IDX-02', 'AH-CHK-03']) expect(lines.join('\n')).not.toContain(id);
    expect(sql).not.toContain('learning_submission_uniq');
  });

  it('keeps rollback SQL as comments only', () => {
    const tail = sql.slice(sql.indexOf('-- ==== rollback'));
    expect(tail).toContain('--   ALTER TABLE public.enrollment DROP CONSTRAINT enrollment_user_id_course_id_key;');
    expect(live(tail)).toEqual([]);
  });

  it('refuses a step that cannot run inside the window transaction', () => {
    const plan = onlinePlan();
    plan.mode = 'window';
    expect(() => script(plan)).toThrow(PgmendError);
    expect(() => script(plan)).toThrow(/IDX-01 step 1 cannot run inside the window transaction/);
  });

  it('refuses a mode the plan was not built for, and timeouts that are not whole milliseconds', () => {
    expect(() => script(samplePlan(), { mode: 'online' })).toThrow(UsageError);
    expect(() => script(samplePlan(), { mode: 'online' })).toThrow(/built for window mode/);
    expect(() => script(samplePlan(), { lockTimeoutMs: 1.5 })).toThrow(/lock timeout must be a whole number/);
    expect(() => script(samplePlan(), { lockTimeoutMs: -1 })).toThrow(UsageError);
  });
});

describe('planToPsql, online mode', () => {
  it('runs CREATE INDEX CONCURRENTLY bare, outside any transaction block', () => {
    const sql = script(onlinePlan());
    const lines = live(sql);
    expect(lines).not.toContain('BEGIN;');
    const at = lines.indexOf('CREATE INDEX CONCURRENTLY forum_post_topic_id_idx ON public.forum_post (topic_id);');
    expect(at).toBeGreaterThan(0);
    expect(sql).toContain('-- lock: SHARE UPDATE EXCLUSIVE on public.forum_post; runs outside a transaction block');
    expect(lines.slice(at + 1).some((l) => l.startsWith('DO $pgmend_verify$'))).toBe(true);
  });

  it('commits each step on its own, except a resolution (backup and change) which commits whole', () => {
    const base = onlinePlan();
    const plan: Plan = {
      ...base,
      findings: [
        findingPlan({
          id: 'FK-9',
          title: 'posts.user_id has orphans',
          severity: 'high',
          playbook: 'foreign-key',
          status: 'resolved',
          params: {},
          resolution: { strategy: 'delete' },
          steps: [
            ...backupAndDelete('public.posts', 'bk_x_fk_9', 'SELECT ctid FROM public.posts WHERE user_id = 99'),
            step('ALTER TABLE public.posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users (id) NOT VALID'),
            step('ALTER TABLE public.posts VALIDATE CONSTRAINT posts_user_id_fkey', { lock: 'SHARE UPDATE EXCLUSIVE' }),
          ],
          verify: [{ sql: 'SELECT true AS ok', says: 'ok' }],
        }),
      ],
    };
    const lines = live(script(plan)).filter((l) => !l.startsWith('\\echo'));
    const body = lines.slice(lines.findIndex((l) => l.startsWith('SET statement_timeout')) + 1, lines.findIndex((l) => l.startsWith('DO ')));
    expect(body.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'BEGIN;',
      'CREATE SCHEMA',
      'CREATE TABLE',
      'INSERT INTO',
      'DELETE FROM',
      'COMMIT;',
      'BEGIN;',
      'ALTER TABLE',
      'COMMIT;',
      'BEGIN;',
      'ALTER TABLE',
      'COMMIT;',
    ]);
  });
});

describe('planToPsql, text we did not write', () => {
  function oneFinding(over: Partial<Parameters<typeof findingPlan>[0]>): Plan {
    const plan = samplePlan();
    plan.findings = [
      findingPlan({ id: 'S-1', title: 't', severity: 'low', playbook: 'sql', status: 'ready', params: {}, verify: [{ sql: 'SELECT true AS ok', says: 'fine' }], ...over }),
    ];
    return plan;
  }

  it('picks a dollar tag that no SQL of the plan contains', () => {
    const sql = script(oneFinding({ steps: [step("SELECT '$pgmend_verify$'")] }));
    expect(sql).toContain('DO $pgmend_verify_1$ BEGIN');
    expect(sql).toMatch(/END \$pgmend_verify_1\$;$/m);
  });

  it('quotes messages as literals, whatever quotes and backslashes they hold', () => {
    const sql = script(oneFinding({ verify: [{ sql: 'SELECT true AS ok', says: "it's a \\ test" }] }));
    expect(sql).toContain("RAISE EXCEPTION 'verification failed: %', E'S-1: it''s a \\\\ test';");
    expect(sql).toContain("\\echo 'verify S-1: it''s a \\\\ test'");
  });

  it('keeps titles and descriptions with newlines inside comments and quoted \\echo arguments', () => {
    const sql = script(
      oneFinding({
        title: 'bad\nDROP TABLE users; --',
        steps: [step('SELECT 1', { description: "x';\n\\! rm -rf /" })],
      }),
    );
    const lines = live(sql);
    expect(lines.filter((l) => l.includes('DROP TABLE'))).toEqual([]);
    expect(lines.filter((l) => l.includes('rm -rf'))).toEqual(["\\echo '[1/1] S-1 step 1/1 (fix): x''; \\\\! rm -rf /'"]);
  });

  it('terminates statements, moving the ; off a line that ends in a comment', () => {
    const sql = script(oneFinding({ steps: [step('SELECT 1 -- note'), step('SELECT 2;'), step('SELECT 3')] }));
    expect(sql).toContain('SELECT 1 -- note\n;');
    expect(sql).toContain('SELECT 2;\n');
    expect(sql).toContain('SELECT 3;\n');
  });
});

describe('exportPlan', () => {
  it('dispatches by format', () => {
    const plan = samplePlan();
    expect(exportPlan(plan, 'json').startsWith('{\n  "version": 1,')).toBe(true);
    expect(exportPlan(plan, 'md', { now }).startsWith('# pgmend execution plan')).toBe(true);
    expect(exportPlan(plan, 'sql', { now })).toContain("SET lock_timeout = '1000ms';");
    expect(exportPlan(plan, 'sql', { now, lockTimeoutMs: 250 })).toContain("SET lock_timeout = '250ms';");
  });
});
