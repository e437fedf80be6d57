import { terminated } from '../../src/export/sql-text.js';
import { describe, expect, it } from 'vitest';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { toString } from 'mdast-util-to-string';
import type { Root, RootContent } from 'mdast';
import { planToChecklist } from '../../src/export/checklist-md.js';
import { cell, escapeInline, fence } from '../../src/export/markdown.js';
import type { Plan } from '../../src/engine/plan/plan-model.js';
import { findingPlan, onlinePlan, samplePlan, step } from '../support/sample-plan.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

const now = new Date('2025-10-20T09:00:00Z');

function render(plan: Plan = samplePlan()): string {
  return planToChecklist(plan, { now });
}

function nodes(tree: Root, type: string): RootContent[] {
  const out: RootContent[] = [];
  const walk = (n: { type: string; children?: unknown[] }) => {
    if (n.type === type) out.push(n as RootContent);
    for (const c of (n.children ?? []) as { type: string }[]) walk(c);
  };
  walk(tree);
  return out;
}

/** `|` that split a table row (not escaped as `\|`). */
function cellSeparators(line: string): number {
  return (line.match(/(?<!\\)\|/g) ?? []).length;
}

describe('planToChecklist', () => {
  const md = render();
  const tree = fromMarkdown(md);

  it('heads the checklist with database, time, mode, fingerprint and the status summary', () => {
    expect(md.startsWith('# pgmend execution plan: `learning`\n')).toBe(true);
    expect(md).toContain('- **Database:** `learning` on `db.internal:5433`, PostgreSQL 15.18');
    expect(md).toContain('- **Generated:** 2025-10-20T09:00:00.000Z (plan built 2025-10-20T08:00:00.000Z)');
    expect(md).toContain('- **Mode:** **window**');
    expect(md).toContain('- **Plan fingerprint:** `fp-3f9a0c`');
    expect(md).toContain('**7 findings: 1 blocked, 2 ready, 2 resolved, 1 applied, 1 error**');
  });

  it('prints only host, port, name and server of the database: no password, URL or user', () => {
    expect(md).not.toMatch(/hunter2/);
    expect(md).not.toMatch(/postgresql:\/\//);
    expect(md).not.toMatch(/auditor/);
  });

  it('has the sections in order: run order, phases, blocked, errors, already in place', () => {
    const h2 = md.split('\n').filter((l) => l.startsWith('## '));
    expect(h2).toEqual([
      '## Run order',
      '## Phase 1 — resolve blocking rows',
      '## Phase 2 — constraints and keys',
      '## Phase 3 — counters and reconciliation',
      '## Blocked — needs a resolution',
      '## Errors — could not be planned',
      '## Already in place',
    ]);
    expect(md).toContain('1. Phase 1 — resolve blocking rows (`PLS-02`, `AV-01`)');
    expect(md).toContain('2. Phase 2 — constraints and keys (`AH-FK-01`, `PLS-02`, `AV-01`)');
    expect(md).toContain('3. Phase 3 — counters and reconciliation (`CNT-01`)');
  });

  it('has one open checkbox per runnable finding and phase, in execution order, and ticks applied ones', () => {
    const open = md.split('\n').filter((l) => l.startsWith('- [ ] '));
    expect(open.map((l) => /\*\*(\S+)\*\*/.exec(l)?.[1])).toEqual(['PLS-02', 'AV-01', 'AH-FK-01', 'PLS-02', 'AV-01', 'CNT-01']);
    expect(open[2]).toBe('- [ ] **AH-FK-01** identities.user_id has no ON DELETE rule · high · ready');
    const done = md.split('\n').filter((l) => l.startsWith('- [x] '));
    expect(done).toEqual([
      '- [x] **AH-IDX-02** users.email lookups are unindexed · low · applied: an equivalent valid index exists: users_email_idx',
    ]);
  });

  it('never shows a blocked finding as runnable: no checkbox, no step SQL, but its counts and samples', () => {
    const blocked = md.slice(md.indexOf('## Blocked'), md.indexOf('## Errors'));
    expect(blocked).toContain('- **PLS-01** Submission attempt numbers are not unique · critical · blocked');
    expect(blocked).toContain('**Check duplicates** (blocking): 61 rows in 30 duplicate groups');
    expect(blocked).not.toContain('- [ ]');
    expect(md).not.toContain('learning_submission_uniq');
    expect(md.slice(0, md.indexOf('## Blocked'))).not.toContain('PLS-01');
  });

  it('renders sample rows as a table with `|` and newlines escaped, NULL marked and long values cut', () => {
    const lines = md.split('\n');
    const header = lines.indexOf('| id | user_id | attempt_number | code |');
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header, header + 5);
    expect(rows[1]).toBe('|---|---|---|---|');
    for (const row of rows) expect(cellSeparators(row)).toBe(5);
    expect(rows[2]).toBe("| 101 | 7 | 2 | print('a\\|b')<br>print(2) |");
    expect(rows[3]).toBe(`| 102 | 7 | 2 | ${'x'.repeat(59)}… |`);
    expect(rows[4]).toBe('| 103 | 8 | 1 | *NULL* |');
  });

  it('shows offending values with their counts, escaped', () => {
    expect(md).toContain('| value | rows |\n|---|---:|\n| PASS\\|ED | 3 |\n| erred | 2 |');
  });

  it('shows the cascade blast radius as a nested list with per-table counts', () => {
    expect(md).toContain(
      'Deleting one parent row reaches:\n\n' +
        '- `public.identities` via `identities_user_id_fkey`: cascade, 120 rows in total, at most 3 per parent row\n' +
        '  - `public.sessions` via `sessions_identity_id_fkey`: set-null, 900 rows in total, at most 40 per parent row',
    );
    const list = nodes(tree, 'list').find((l) => toString(l).includes('identities_user_id_fkey'));
    expect(nodes(list as unknown as Root, 'list')).toHaveLength(2);
  });

  it('states the resolution and how many rows it changes, with its backup steps', () => {
    const phase1 = md.slice(md.indexOf('## Phase 1'), md.indexOf('## Phase 2'));
    expect(phase1).toContain(
      '**Resolution:** delete the blocking rows, keeping the oldest row of each group (by enrolled_at). It changes **31 rows** in `public.enrollment`.',
    );
    expect(phase1).toContain('**Resolution:** update the blocking rows: set status = \'failed\'. It changes **5 rows** in `public.learning_submission`.');
    expect(phase1).toContain('**Step 3/5** (resolution): back up the rows that block, locking them · lock `ROW SHARE` on `public.enrollment` · rehearsed 6 ms, 31 rows');
    expect(phase1).toContain('| 9 | 4 | 2 | 2024-02-01T10:00:00.000Z |');
    expect(phase1).toContain('Every row it deletes or changes is copied into `pgmend.bk_5e1f09ab_pls_02` first');
    expect(phase1).not.toContain('ADD CONSTRAINT');
  });

  it('counts a resolution by its changes, not their backup copies, when no preview gave the count', () => {
    const plan = samplePlan();
    const rehearsedOnly: Plan = { ...plan, findings: plan.findings.map((f) => (f.resolutionPreview ? { ...f, resolutionPreview: undefined } : f)) };
    const phase1 = ((m: string) => m.slice(m.indexOf('## Phase 1'), m.indexOf('## Phase 2')))(render(rehearsedOnly));
    // Rehearsal counted 31 rows backed up and the same 31 deleted: 31 change.
    expect(phase1).toContain('(by enrolled_at). It changes **31 rows** in `public.enrollment`.');
  });

  it('gives every step its lock, tables and rehearsed time, then its SQL intact in a sql block', () => {
    expect(md).toContain(
      '**Step 1/1** (fix) · lock `SHARE ROW EXCLUSIVE` on `public.identities`, `public.users` · rehearsed 13 ms, 0 rows',
    );
    const sqlBlocks = nodes(tree, 'code').filter((c) => (c as { lang?: string }).lang === 'sql').map((c) => (c as { value: string }).value);
    const plan = samplePlan();
    for (const id of ['AH-FK-01', 'PLS-02', 'AV-01', 'CNT-01']) {
      const f = plan.findings.find((x) => x.id === id)!;
      // Each statement ends with `;` (a backup and its change share one BEGIN … COMMIT block).
      for (const s of flatSteps(f.steps)) expect(sqlBlocks.some((b) => b === terminated(s.sql) || b.includes(`\n${terminated(s.sql)}\n`))).toBe(true);
      for (const v of f.verify) expect(sqlBlocks).toContain(terminated(v.sql));
    }
  });

  it('ends every runnable finding with rollback, verification and a sign-off line', () => {
    const fixes = md.slice(md.indexOf('## Phase 2'), md.indexOf('## Blocked'));
    expect(fixes.match(/^Signed off by: ________ {2}at: ________$/gm)).toHaveLength(4);
    expect(fixes.match(/^\*\*Rollback\*\*$/gm)).toHaveLength(4);
    expect(fixes).toContain('```sql\nALTER TABLE public.enrollment DROP CONSTRAINT enrollment_user_id_course_id_key;\n```');
    expect(fixes).toContain('**Verify:** foreign key cascades on delete (expects one row with `ok = true`)');
    expect(fixes).toContain('No rollback SQL');
    expect(md.slice(md.indexOf('## Blocked'))).not.toContain('Signed off');
  });

  it('shows errors with their message', () => {
    const errors = md.slice(md.indexOf('## Errors'), md.indexOf('## Already'));
    expect(errors).toContain('- **AH-CHK-03** enrollment.progress outside 0..100 · medium · error');
    expect(errors).toContain('```text\nexpression must be exactly one SQL expression: got "progress >= 0; DROP TABLE x"\n```');
    expect(md.slice(0, md.indexOf('## Errors'))).not.toContain('DROP TABLE x');
  });

  it('keeps the plan order within and across phases, even when kinds interleave', () => {
    const plan = samplePlan();
    const counter = plan.findings.find((f) => f.id === 'CNT-01')!;
    const fk = plan.findings.find((f) => f.id === 'AH-FK-01')!;
    plan.findings = [counter, fk];
    const out = render(plan);
    expect(out.split('\n').filter((l) => l.startsWith('## Phase'))).toEqual([
      '## Phase 1 — counters and reconciliation',
      '## Phase 2 — constraints and keys',
    ]);
  });

  it('marks online steps that run outside a transaction and were not rehearsed', () => {
    const out = render(onlinePlan());
    expect(out).toContain('**online**');
    expect(out).toContain(
      '**Step 1/1** (fix) · lock `SHARE UPDATE EXCLUSIVE` on `public.forum_post` · not rehearsed · runs outside a transaction',
    );
    expect(out).toContain('> **Not fully rehearsed:** CONCURRENTLY cannot be rehearsed in a transaction');
  });

  it('renders titles and values literally, whatever Markdown or HTML they contain', () => {
    const plan = samplePlan();
    const title = 'a *b* _c_ <img src=x> [l](u) `d` | e & f';
    plan.findings = [findingPlan({
      id: 'X-1', title, severity: 'low', playbook: 'sql', status: 'ready', params: { sql: 'SELECT 1' },
      steps: [step('SELECT 1 -- uses ``` inside')], verify: [],
    })];
    const out = render(plan);
    const line = out.split('\n').find((l) => l.startsWith('- [ ] '))!;
    const item = fromMarkdown(line);
    expect(toString(item)).toBe(`[ ] X-1 ${title} · low · ready`);
    const code = nodes(fromMarkdown(out), 'code').map((c) => (c as { value: string }).value);
    // A trailing comment would swallow the `;`: it goes on its own line.
    expect(code).toContain('SELECT 1 -- uses ``` inside\n;');
  });

  it('says so when nothing is runnable', () => {
    const plan = samplePlan();
    plan.findings = plan.findings.filter((f) => f.status === 'blocked');
    const out = render(plan);
    expect(out).toContain('Nothing to run: no finding is ready or resolved.');
    expect(out).not.toContain('- [ ]');
    expect(out).toContain('**1 finding: 1 blocked**');
  });
});

describe('markdown helpers', () => {
  it('escapes cells so a value can neither split the row nor format itself', () => {
    expect(cell('a|b')).toBe('a\\|b');
    expect(cell('line1\r\nline2')).toBe('line1<br>line2');
    expect(cell(null)).toBe('*NULL*');
    expect(cell(12n)).toBe('12');
    expect(cell({ k: 'v|w' })).toBe('{"k":"v\\|w"}');
    expect(cell(Buffer.from([0xde, 0xad]))).toBe('\\\\xdead');
    expect(escapeInline('snake_case_name')).toBe('snake_case_name');
    expect(escapeInline('_x_')).toBe('\\_x\\_');
  });

  it('fences code with more backticks than it contains', () => {
    expect(fence('a ```` b', 'sql')).toBe('`````sql\na ```` b\n`````');
  });
});
