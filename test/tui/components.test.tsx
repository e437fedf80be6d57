import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import React from 'react';
import { render } from 'ink-testing-library';
import chalk from 'chalk';
import type { FindingPlan, Plan } from '../../src/engine/plan/plan-model.js';
import { actorhubDb, actorhubFindings, actorhubPlan, session, stripAnsi, type ActorHubDb } from './harness.js';
import type { Finding } from '../../src/findings/model.js';
import type { PlaybookSet } from '../../src/playbooks/load.js';
import { SampleTable, sampleTableLines, middleCut, priorityColumns } from '../../src/tui/SampleTable.js';
import { CascadeTree, cascadeLines } from '../../src/tui/CascadeTree.js';
import { DiffView, diffLines } from '../../src/tui/DiffView.js';
import { SqlView } from '../../src/tui/SqlView.js';
import { highlightSql } from '../../src/tui/sql-highlight.js';
import { maxContext, withContext } from '../../src/tui/diff-context.js';
import { KeyBar } from '../../src/tui/KeyBar.js';
import { HelpOverlay, helpLines } from '../../src/tui/HelpOverlay.js';
import { readFileSync } from 'node:fs';
import { KEYMAP, keyBarItems, keymapMarkdown, actionFor } from '../../src/tui/keymap.js';
import { keyCount } from '../../src/tui/screens/list/list-view.js';
import { lineText, wrap, fit } from '../../src/tui/text.js';
import { makeTheme, ThemeContext } from '../../src/tui/theme.js';
import { paneLines } from '../../src/tui/screens/detail/detail-panes.js';
import { parseSet, draftResolution } from '../../src/tui/screens/resolve/resolve-draft.js';
import { flatSteps } from '../../src/engine/plan/steps.js';

/**
 * The small pieces of the TUI, rendered from a plan the real engine built against the ActorHub
 * example (no hand-made plans).
 */

let db: ActorHubDb;
let plan: Plan;
let findings: Finding[];
let playbooks: PlaybookSet;
const text = (lines: { text: string }[][]) => lines.map(lineText);
const fp = (id: string): FindingPlan => {
  const f = plan.findings.find((x) => x.id === id);
  if (!f) throw new Error(`${id} not in the plan`);
  return f;
};

beforeAll(async () => {
  db = await actorhubDb();
  ({ findings, playbooks } = await actorhubFindings());
  plan = await actorhubPlan(db, findings, playbooks);
});
afterAll(async () => {
  await db?.drop();
});

describe('key counts', () => {
  test('a unique finding counts rows in duplicate groups, as the engine measured them', async () => {
    const f = fp('AH-UQ-03');
    const dup = f.checks.find((c) => c.id === 'duplicates')!;
    const { rows } = await db.query<{ rows: string; groups: string }>(
      `SELECT sum(n)::text AS rows, count(*)::text AS groups FROM (SELECT count(*) AS n FROM subscriptions WHERE status = 'ACTIVE' GROUP BY user_id HAVING count(*) > 1) g`,
    );
    expect(dup.rows).toBe(Number(rows[0]!.rows));
    expect(keyCount(f)).toBe(`${rows[0]!.rows} rows in ${rows[0]!.groups} duplicate groups`);
    expect(keyCount(f, true)).toBe(`${rows[0]!.rows} rows in ${rows[0]!.groups} groups`);
  });

  test('orphans, violations, drift and cascades get their own words', () => {
    expect(keyCount(fp('AH-FK-15'))).toMatch(/^\d+ orphan rows$/);
    expect(keyCount(fp('AH-CHK-01'))).toMatch(/^\d+ violating rows$/);
    expect(keyCount(fp('AH-CNT-01'))).toMatch(/^\d+ drifted rows$/);
    expect(keyCount(fp('AH-FK-01'))).toMatch(/^parent deletes reach \d+ rows in total( · \d+ child tables? refuses? the delete)?$/);
    // The tree says how many child tables would refuse the delete (RESTRICT / NO ACTION with rows).
    type Node = { action: string; total: number; children: Node[] };
    const refusing = (ns: Node[]): number => ns.reduce((n, x) => n + ((x.action === 'restrict' || x.action === 'no-action') && x.total > 0 ? 1 : 0) + refusing(x.children), 0);
    const c = fp('AH-FK-01').checks.find((x) => x.id === 'cascade')!;
    const n = refusing(c.cascade as Node[]);
    expect(n).toBeGreaterThan(0);
    expect(keyCount(fp('AH-FK-01'))).toBe(`parent deletes reach ${c.rows} rows in total · ${n} child table${n === 1 ? ' refuses' : 's refuse'} the delete`);
  });
});

describe('SampleTable', () => {
  test('duplicates: group column first, then the primary key and the finding\'s columns; fits the width', () => {
    const f = fp('AH-UQ-03');
    const c = f.checks.find((x) => x.id === 'duplicates')!;
    const lines = text(sampleTableLines(c.sample, 80, { priority: priorityColumns(f.finding.params, c.sample[0]) }));
    expect(lines[0]).toMatch(/^group\s+id\s+user_id\s+status/);
    expect(lines.every((l) => Array.from(l).length <= 80)).toBe(true);
    expect(lines.at(-1)).toMatch(/^\+\d+ more columns: /);
    // One row per sampled row, group numbers as the engine assigned them.
    const body = lines.slice(2, 2 + c.sample.length);
    expect(body.map((l) => l.split(/\s+/)[0])).toEqual(c.sample.map((r) => String(r.pgmend_group)));
  });

  test('long ids are cut in the middle so both ends stay readable', () => {
    expect(middleCut('00000008-0000-4000-8000-000000000201', 26)).toBe('00000008-0000…000000000201');
    expect(middleCut('short', 26)).toBe('short');
  });

  test('NULL is shown as NULL, and the component renders the same lines', () => {
    const c = fp('AH-FK-15').checks.find((x) => x.id === 'orphans')!;
    const ui = render(<SampleTable rows={c.sample} width={100} />);
    const frame = stripAnsi(ui.lastFrame()!);
    expect(frame).toContain('NULL');
    expect(frame.split('\n')[0]).toMatch(/^id\s+identity_id/);
    ui.unmount();
  });
});

describe('CascadeTree', () => {
  test('the blast radius as a tree with row counts per table', () => {
    const c = fp('AH-FK-01').checks.find((x) => x.id === 'cascade')!;
    const lines = text(cascadeLines(c.cascade!));
    const self = c.cascade!.find((n) => n.via.startsWith('(this change)'))!;
    expect(lines.some((l) => l.includes(`${self.table.replace('public.', '')} ✂ deletes · ${self.total} rows, ≤${self.maxPerParent} per parent`))).toBe(true);
    // Children are indented under their parent.
    const child = self.children[0]!;
    expect(lines.some((l) => /^[│ ]  [├└]─ /.test(l) && l.includes(child.table.replace('public.', '')))).toBe(true);
    const ui = render(<CascadeTree nodes={c.cascade!} width={100} />);
    expect(stripAnsi(ui.lastFrame()!)).toContain('└─ ');
    ui.unmount();
  });
});

describe('DiffView and SqlView', () => {
  test('the schema diff is a unified diff whose context can be narrowed', () => {
    const f = fp('AH-FK-02');
    expect(maxContext(f.diff)).toBe(3);
    const full = text(diffLines(f.diff, 3, 200));
    const none = text(diffLines(f.diff, 0, 200));
    expect(full.filter((l) => l.startsWith(' ')).length).toBeGreaterThan(0);
    expect(none.filter((l) => l.startsWith(' ')).length).toBe(0);
    expect(none.filter((l) => /^[+-]\s/.test(l))).toEqual(full.filter((l) => /^[+-]\s/.test(l)));
    expect(none.find((l) => l.startsWith('@@'))).toMatch(/^@@ -\d+,1 \+\d+,1 @@$/);
    expect(withContext(f.diff, 1).split('\n').filter((l) => l.startsWith(' ')).length).toBe(2);
    const ui = render(<DiffView diff={f.diff} context={3} width={100} />);
    expect(stripAnsi(ui.lastFrame()!)).toContain('+    CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE');
    ui.unmount();
  });

  test('SQL keywords, strings and numbers are told apart; text is unchanged', () => {
    const sql = flatSteps(fp('AH-UQ-03').steps)[0]!.sql;
    const lines = highlightSql(sql);
    expect(lines.map(lineText).join('\n')).toBe(sql);
    const segs = lines.flat();
    expect(segs.find((s) => s.text === 'CREATE')?.tone).toBe('keyword');
    expect(segs.find((s) => s.text === "'ACTIVE'")?.tone).toBe('string');
    // Wrapped at the width, continuation rows marked with ↪.
    const ui = render(<SqlView sql={sql} width={60} />);
    const rows = stripAnsi(ui.lastFrame()!).split('\n');
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.every((r) => r.length <= 60)).toBe(true);
    expect(rows.slice(1).every((r) => r.startsWith('↪ '))).toBe(true);
    expect(rows.map((r) => r.replace(/^↪ /, '').trim()).join(' ')).toBe(sql);
    ui.unmount();
  });

  test('colors come from the theme: none under NO_COLOR, glyphs and words always', () => {
    const level = chalk.level;
    chalk.level = 1;
    try {
      const sql = flatSteps(fp('AH-UQ-03').steps)[0]!.sql;
      const colored = render(
        <ThemeContext.Provider value={makeTheme({})}>
          <SqlView sql={sql} width={100} />
        </ThemeContext.Provider>,
      );
      const plain = render(
        <ThemeContext.Provider value={makeTheme({ NO_COLOR: '1' })}>
          <SqlView sql={sql} width={100} />
        </ThemeContext.Provider>,
      );
      // eslint-disable-next-line no-control-regex
      const colorCodes = (s: string) => (s.match(/\u001B\[3\dm/g) ?? []).length;
      expect(colorCodes(colored.lastFrame()!)).toBeGreaterThan(0);
      expect(colorCodes(plain.lastFrame()!)).toBe(0);
      colored.unmount();
      plain.unmount();
    } finally {
      chalk.level = level;
    }
    expect(makeTheme({ NO_COLOR: '' }).noColor).toBe(false);
    expect(makeTheme({ NO_COLOR: '1' }).color('bad')).toBeUndefined();
  });
});

describe('detail panes', () => {
  test('steps show the lock, the tables and the rehearsed time of each step', () => {
    const f = fp('AH-CNT-01');
    const lines = text(paneLines(f, 'steps', 100, 3));
    expect(lines[0]).toMatch(/^✔ rehearsed in \d+ ms \(rolled back\)$/);
    flatSteps(f.steps).forEach((s, i) => {
      expect(lines.some((l) => l.startsWith(`${i + 1}. `))).toBe(true);
      expect(lines.some((l) => l.includes(`lock ${s.lock}`))).toBe(true);
    });
    expect(lines.some((l) => /rehearsed [\d.]+ (ms|s), 7 rows/.test(l))).toBe(true);
  });

  test('a blocked finding explains why there is no diff yet', () => {
    expect(text(paneLines(fp('AH-UQ-03'), 'diff', 100, 3)).join(' ')).toMatch(/blocked finding is not rehearsed/);
  });
});

describe('keymap', () => {
  test('one table drives the bar, the help overlay and the README section', () => {
    const bar = keyBarItems('list', 200).map((x) => `${x.keys} ${x.word}`);
    expect(bar).toEqual(expect.arrayContaining(['Enter open', 'Space mark', '/ filter', 'a apply', 'x export', '? help', 'q quit']));
    // Narrow: help and quit always stay.
    expect(keyBarItems('list', 20).map((x) => x.word)).toEqual(['help', 'quit']);
    const help = text(helpLines('detail', 100)).join('\n');
    for (const b of KEYMAP.filter((x) => x.does.detail)) expect(help).toContain(b.does.detail!);
    const md = keymapMarkdown();
    for (const b of KEYMAP) expect(md).toContain(`\`${b.keys[0]}\``);
    expect(md).toMatch(/\| `Esc` \| list: clear the filter \(nothing else\); detail: back to the list;/);
    // The README's section is this text, exactly (regenerate: npm run readme:keys).
    expect(readFileSync(new URL('../../README.md', import.meta.url), 'utf8')).toContain(md);
    expect(md).toContain('| `q` `Ctrl-C` | list, detail, resolve, failed: quit; apply: quit (refused while a transaction is open); journal: quit (refused while a rollback runs) |');
    const barUi = render(<KeyBar screen="detail" width={100} />);
    expect(stripAnsi(barUi.lastFrame()!)).toContain('Tab pane');
    barUi.unmount();
    const helpUi = render(<HelpOverlay screen="list" width={100} height={30} scroll={0} />);
    expect(stripAnsi(helpUi.lastFrame()!)).toContain('mark / unmark for the batch');
    helpUi.unmount();
  });

  test('Esc is Esc even though Ink also sets meta for it; j/k and arrows move', () => {
    const none = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false };
    expect(actionFor('detail', '', { ...none, escape: true, meta: true })).toBe('back');
    expect(actionFor('list', 'j', none)).toBe('down');
    expect(actionFor('list', '', { ...none, downArrow: true })).toBe('down');
    expect(actionFor('list', 'G', { ...none, shift: true })).toBe('bottom');
    expect(actionFor('detail', '', { ...none, tab: true })).toBe('nextPane');
    expect(actionFor('detail', '', { ...none, tab: true, shift: true })).toBe('prevPane');
  });
});

describe('text helpers and resolution drafts', () => {
  test('wrap breaks at spaces and never exceeds the width; fit marks a cut', () => {
    const rows = wrap([{ text: 'delete the blocking rows, keeping the oldest row of each group' }], 20).map(lineText);
    expect(rows.every((r) => r.length <= 20)).toBe(true);
    expect(rows[0]).toBe('delete the blocking ');
    expect(lineText(fit([{ text: 'abcdef' }], 4))).toBe('abc…');
  });

  test('set values parse like the findings file would hold them', () => {
    expect(parseSet("status = SUSPENDED, note = 'a, b', n = 3, ok = true, gone = NULL")).toEqual({ status: 'SUSPENDED', note: 'a, b', n: 3, ok: true, gone: null });
    expect(parseSet('status')).toMatch(/column = value/);
    const d = draftResolution({ id: 'x', field: 0, strategy: 'update', keep: 'none', setText: 'status = FAILED', editing: false });
    expect(d).toEqual({ ok: true, resolution: { strategy: 'update', set: { status: 'FAILED' } } });
  });
});

describe('whole screens', () => {
  test('NO_COLOR: the list has no color codes, every status still has a glyph and a word', async () => {
    const level = chalk.level;
    chalk.level = 1;
    // eslint-disable-next-line no-control-regex
    const colorCodes = (f: string) => (f.match(/\u001B\[(3[0-8]|9[0-7])m/g) ?? []).length;
    try {
      const plain = session({ db, findings, playbooks, plan: structuredClone(plan), noColor: true });
      const colored = session({ db, findings, playbooks, plan: structuredClone(plan) });
      await new Promise((r) => setTimeout(r, 100));
      expect(colorCodes(plain.ui.lastFrame()!)).toBe(0);
      expect(colorCodes(colored.ui.lastFrame()!)).toBeGreaterThan(0);
      expect(plain.frame()).toMatch(/✖ blocked/);
      expect(plain.frame()).toMatch(/✔ ready/);
      expect(plain.frame()).toMatch(/‼ critical/);
      plain.done();
      colored.done();
    } finally {
      chalk.level = level;
    }
  });

  test('an index build in progress shows a progress bar and its percentage', async () => {
    const s = session({ db, findings, playbooks, plan: structuredClone(plan) });
    const ready = plan.findings.find((f) => f.id === 'AH-IDX-01')!;
    s.store.dispatch({ type: 'applyOpen', ids: [ready.id], skipped: [] });
    s.store.dispatch({ type: 'applyStarted' });
    s.store.dispatch({ type: 'applyEvent', event: { kind: 'phase', phase: 'steps' } });
    s.store.dispatch({ type: 'applyEvent', event: { kind: 'step', findingId: ready.id, index: 0, total: 1, description: 'build the index', status: 'running' } });
    s.store.dispatch({ type: 'applyEvent', event: { kind: 'progress', findingId: ready.id, index: 0, done: 12, total: 27, phase: 'building index: scanning table' } });
    const frame = await s.waitFor((f) => f.includes('44%'), 'the progress bar');
    expect(frame).toContain('building index: scanning table 44%');
    expect(frame).toMatch(/█+░+/);
    expect(frame).toContain('AH-IDX-01 1/1 build the index');
    s.done();
  });
});
