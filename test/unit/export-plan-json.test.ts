import { describe, expect, it } from 'vitest';
import { parsePlanJson, planToJson } from '../../src/export/plan-json.js';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { UsageError } from '../../src/util/errors.js';
import { samplePlan } from '../support/sample-plan.js';

const now = new Date('2025-10-20T09:00:00Z');

function parseError(text: string): UsageError {
  try {
    parsePlanJson(text, 'plan.json');
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected parsePlanJson to throw');
}

function mutated(edit: (doc: any) => void): string {
  const doc = JSON.parse(planToJson(samplePlan()));
  edit(doc);
  return JSON.stringify(doc);
}

describe('planToJson', () => {
  const text = planToJson(samplePlan());
  const doc = JSON.parse(text);

  it('writes the design.md shape with a fixed key order and 2-space indent', () => {
    expect(text.split('\n').slice(0, 3)).toEqual(['{', '  "version": 1,', '  "id": "5e1f09ab",']);
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(doc)).toEqual(['version', 'id', 'createdAt', 'mode', 'database', 'fingerprint', 'findings', 'timings']);
    const fk = doc.findings[0];
    expect(Object.keys(fk)).toEqual([
      'id', 'title', 'severity', 'source', 'playbook', 'table', 'status', 'params', 'checks', 'steps', 'rollback', 'verify', 'diff', 'rehearsal',
    ]);
    expect(fk.checks[1]).toEqual({
      id: 'cascade',
      rows: 0,
      blocking: false,
      sample: [],
      cascade: [
        {
          table: 'public.identities', via: 'identities_user_id_fkey', action: 'cascade', maxPerParent: 3, total: 120,
          children: [{ table: 'public.sessions', via: 'sessions_identity_id_fkey', action: 'set-null', maxPerParent: 40, total: 900, children: [] }],
        },
      ],
    });
    expect(Object.keys(fk.steps[0])).toEqual(['sql', 'lock', 'tables', 'transactional', 'phase']);
    expect(doc.findings[1].checks[0]).toMatchObject({ id: 'duplicates', rows: 61, groups: 30, blocking: true });
    expect(doc.findings.map((f: { status: string }) => f.status)).toEqual(['ready', 'blocked', 'resolved', 'resolved', 'error', 'applied', 'ready']);
  });

  it('writes the database as host, port, name and server only: never a password, URL or user', () => {
    expect(doc.database).toEqual({ host: 'db.internal', port: 5433, name: 'learning', server: '15.18' });
    expect(text).not.toMatch(/hunter2|postgresql:\/\/|auditor/);
  });

  it('drops the loaded finding but keeps what re-renders it: title, severity, source, params, resolution', () => {
    expect(text).not.toContain('"finding"');
    const pls02 = doc.findings.find((f: { id: string }) => f.id === 'PLS-02');
    expect(pls02.params).toEqual({ table: 'enrollment', columns: ['user_id', 'course_id'] });
    expect(pls02.resolution).toEqual({ strategy: 'delete', keep: 'oldest', orderBy: 'enrolled_at' });
    expect(pls02.resolutionPreview.sample[0].enrolled_at).toBe('2024-02-01T10:00:00.000Z');
    expect(pls02.steps[2].backupTable).toBe('pgmend.bk_5e1f09ab_pls_02');
    expect(doc.findings[4].error).toContain('exactly one SQL expression');
    expect(doc.findings[5].appliedReason).toBe('an equivalent valid index exists: users_email_idx');
  });

  it('is deterministic: the same plan built with keys in another order writes the same bytes', () => {
    const plan = samplePlan();
    const shuffled = samplePlan();
    shuffled.findings = shuffled.findings.map((f) => {
      const reversed = Object.fromEntries(Object.entries(f).reverse()) as typeof f;
      reversed.steps = f.steps.map((s) => Object.fromEntries(Object.entries(s).reverse()) as typeof s);
      return reversed;
    });
    shuffled.database = Object.fromEntries(Object.entries(shuffled.database).reverse()) as typeof shuffled.database;
    expect(planToJson(shuffled)).toBe(planToJson(plan));
  });

  it('turns database values JSON cannot hold into strings', () => {
    const plan = samplePlan();
    plan.findings[1]!.checks[0]!.sample = [{ id: 2n ** 63n - 1n, at: new Date('2024-01-01T00:00:00Z'), raw: Buffer.from('hi'), n: Number.NaN }];
    const sample = JSON.parse(planToJson(plan)).findings[1].checks[0].sample[0];
    expect(sample).toEqual({ id: '9223372036854775807', at: '2024-01-01T00:00:00.000Z', raw: '\\x6869', n: 'NaN' });
  });
});

describe('parsePlanJson', () => {
  it('reads back what planToJson wrote, rebuilding each finding, so it re-renders the same', () => {
    const plan = samplePlan();
    const parsed = parsePlanJson(planToJson(plan), 'plan.json');
    expect(planToJson(parsed)).toBe(planToJson(plan));
    expect(planToChecklist(parsed, { now })).toBe(planToChecklist(plan, { now }));
    expect(parsed.id).toBe('5e1f09ab');
    expect(parsed.database).toEqual({ host: 'db.internal', port: 5433, name: 'learning', server: '15.18' });
    const pls02 = parsed.findings.find((f) => f.id === 'PLS-02')!;
    expect(pls02.finding).toEqual({
      id: 'PLS-02',
      title: 'Duplicate enrollments per user and course',
      severity: 'high',
      playbook: 'unique',
      params: { table: 'enrollment', columns: ['user_id', 'course_id'] },
      resolution: { strategy: 'delete', keep: 'oldest', orderBy: 'enrolled_at' },
    });
    expect(parsed.findings.find((f) => f.id === 'AH-FK-01')!.finding.source).toBe('000_41b1b5a0410f4d20.txt §1.1');
  });

  it('ignores keys it does not know (a newer writer), including a password someone added', () => {
    const parsed = parsePlanJson(mutated((d) => { d.database.password = 'x'; d.future = 1; }), 'plan.json');
    expect(parsed.database).not.toHaveProperty('password');
    expect(parsed).not.toHaveProperty('future');
  });

  it.each([
    ['not JSON', '{"version": 1,', /^plan\.json: not valid JSON \(/],
    ['another version', mutated((d) => { d.version = 2; }), /^plan\.json: version: unsupported plan version \(this pgmend reads version 1\)/],
    ['a missing fingerprint', mutated((d) => { delete d.fingerprint; }), /^plan\.json: fingerprint: .*expected string/],
    ['an unknown status', mutated((d) => { d.findings[1].status = 'done'; }), /^plan\.json: findings\[1\]\.status: .*"blocked"/],
    ['an unknown lock', mutated((d) => { d.findings[0].steps[0].lock = 'TOTAL'; }), /^plan\.json: findings\[0\]\.steps\[0\]\.lock: /],
    ['a negative count', mutated((d) => { d.findings[1].checks[0].rows = -1; }), /^plan\.json: findings\[1\]\.checks\[0\]\.rows: /],
    ['a bad cascade node', mutated((d) => { d.findings[0].checks[1].cascade[0].children[0].action = 'explode'; }),
      /^plan\.json: findings\[0\]\.checks\[1\]\.cascade\[0\]\.children\[0\]\.action: /],
    ['an update without set', mutated((d) => { d.findings[2].resolution = { strategy: 'update' }; }),
      /^plan\.json: findings\[2\]\.resolution\.set: strategy update needs set/],
    ['a finding id the findings file would refuse', mutated((d) => { d.findings[0].id = 'bad id!'; }), /^plan\.json: findings\[0\]\.id: expected letters/],
    ['a duplicate finding id', mutated((d) => { d.findings[1].id = d.findings[0].id; }), /^plan\.json: findings\[1\]\.id: duplicate finding id AH-FK-01/],
    ['no findings list', '{"version": 1}', /^plan\.json: id: /],
  ])('refuses %s with one line naming the file and the field', (_what, text, message) => {
    const e = parseError(text);
    expect(e.exitCode).toBe(2);
    expect(e.line()).toMatch(message);
    expect(e.line()).not.toContain('\n');
    expect(e.line()).toContain('regenerate it with `pgmend plan --format json`');
  });
});
