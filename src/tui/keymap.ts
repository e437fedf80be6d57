import type { Key } from 'ink';

/**
 * The one table of keys. It decides what a key does on each screen, and draws the bottom key
 * bar, the `?` help overlay and the README's key section — so the three never disagree.
 */

/** Every screen, in the README's order; each is registered once in screens/index.ts. */
export const SCREENS_IN_ORDER = ['list', 'detail', 'resolve', 'apply', 'journal', 'failed'] as const;
export type Screen = (typeof SCREENS_IN_ORDER)[number];

export type Action =
  | 'up'
  | 'down'
  | 'top'
  | 'bottom'
  | 'pageUp'
  | 'pageDown'
  | 'left'
  | 'right'
  | 'open'
  | 'back'
  | 'nextPane'
  | 'prevPane'
  | 'paneAt'
  | 'nextFinding'
  | 'prevFinding'
  | 'journal'
  | 'rollback'
  | 'retry'
  | 'mark'
  | 'markAll'
  | 'filter'
  | 'sort'
  | 'resolve'
  | 'edit'
  | 'apply'
  | 'export'
  | 'approve'
  | 'skip'
  | 'note'
  | 'columnsLeft'
  | 'columnsRight'
  | 'columns'
  | 'timestamp'
  | 'moreContext'
  | 'lessContext'
  | 'help'
  | 'quit';

export interface Binding {
  action: Action;
  /** How the keys are written in the bar, the overlay and the README. */
  keys: string[];
  /** Short word for the key bar; absent: the binding is not in the bar (still in help). */
  bar?: string;
  /** Which bar words go first when the bar is too narrow: lower stays longer. */
  rank?: number;
  /** Screens whose bar shows it (default: every screen it works on). */
  barOn?: Screen[];
  /** What it does, per screen (help overlay and README). */
  does: Partial<Record<Screen, string>>;
  match(input: string, key: Key): boolean;
}


export const KEYMAP: Binding[] = [
  {
    action: 'up',
    keys: ['↑', 'k'],
    does: { list: 'previous finding', detail: 'scroll up', resolve: 'previous field', journal: 'previous run' },
    match: (i, k) => k.upArrow || (i === 'k' && !k.ctrl && !k.meta),
  },
  {
    action: 'down',
    keys: ['↓', 'j'],
    does: { list: 'next finding', detail: 'scroll down', resolve: 'next field (the values of an update are typed in place)', journal: 'next run' },
    match: (i, k) => k.downArrow || (i === 'j' && !k.ctrl && !k.meta),
  },
  {
    action: 'top',
    keys: ['g', 'Home'],
    does: { list: 'first finding', detail: 'top of the pane', journal: 'first run' },
    match: (i, k) => i === 'g' || k.home,
  },
  {
    action: 'bottom',
    keys: ['G', 'End'],
    does: { list: 'last finding', detail: 'bottom of the pane', journal: 'last run' },
    match: (i, k) => i === 'G' || k.end,
  },
  {
    action: 'pageUp',
    keys: ['PgUp'],
    does: { list: 'page up', detail: 'page up', journal: 'page up' },
    match: (_, k) => k.pageUp,
  },
  {
    action: 'pageDown',
    keys: ['PgDn'],
    does: { list: 'page down', detail: 'page down', journal: 'page down' },
    match: (_, k) => k.pageDown,
  },
  {
    action: 'left',
    keys: ['←', 'h'],
    does: { detail: 'sample rows: scroll the columns left', resolve: 'previous option of the field' },
    match: (i, k) => k.leftArrow || (i === 'h' && !k.ctrl && !k.meta),
  },
  {
    action: 'right',
    keys: ['→', 'l'],
    does: { detail: 'sample rows: scroll the columns right', resolve: 'next option of the field' },
    match: (i, k) => k.rightArrow || (i === 'l' && !k.ctrl && !k.meta),
  },
  {
    action: 'open',
    rank: 1,
    keys: ['Enter'],
    bar: 'open',
    barOn: ['list'],
    does: {
      list: 'open the finding',
      detail: 'column chooser: done',
      resolve: 'choose this resolution (once its preview is shown); column chooser: done',
      apply: 'confirm the typed name; back to the list when done',
    },
    match: (_, k) => k.return,
  },
  {
    action: 'nextPane',
    rank: 2,
    keys: ['Tab'],
    bar: 'pane',
    does: { detail: 'next pane: SQL, diff, rows, steps, rollback' },
    match: (_, k) => k.tab && !k.shift,
  },
  {
    action: 'prevPane',
    keys: ['Shift-Tab'],
    does: { detail: 'previous pane' },
    match: (_, k) => k.tab && k.shift,
  },
  {
    action: 'paneAt',
    keys: ['1–5'],
    does: { detail: 'pane by number: 1 SQL, 2 diff, 3 rows, 4 steps, 5 rollback' },
    match: (i, k) => /^[1-5]$/.test(i) && !k.ctrl && !k.meta,
  },
  {
    action: 'nextFinding',
    keys: [']'],
    does: { detail: "next finding's detail (in the list's order and filter), same pane" },
    match: (i) => i === ']',
  },
  {
    action: 'prevFinding',
    keys: ['['],
    does: { detail: "previous finding's detail" },
    match: (i) => i === '[',
  },
  {
    action: 'mark',
    rank: 3,
    keys: ['Space'],
    bar: 'mark',
    barOn: ['list', 'detail'],
    does: { list: 'mark / unmark for the batch', detail: 'mark / unmark for the batch; column chooser: show / hide the column', resolve: 'column chooser: show / hide the column' },
    match: (i) => i === ' ',
  },
  {
    action: 'markAll',
    keys: ['A'],
    does: { list: 'mark every ready or resolved finding (again: clear marks)' },
    match: (i) => i === 'A',
  },
  {
    action: 'filter',
    rank: 6,
    keys: ['/'],
    bar: 'filter',
    does: { list: 'filter: words match id, title, table, status, severity, playbook or check kind; kind:orphans status:blocked severity:critical table:… playbook:… narrow to one field; !word leaves out (Enter keeps, Esc clears)' },
    match: (i) => i === '/',
  },
  {
    action: 'sort',
    rank: 8,
    keys: ['s'],
    bar: 'sort',
    does: { list: 'sort: plan order, severity, table' },
    match: (i) => i === 's',
  },
  {
    action: 'resolve',
    rank: 4,
    keys: ['r'],
    bar: 'resolve',
    does: { list: 'resolve the blocking rows', detail: 'resolve the blocking rows' },
    match: (i) => i === 'r',
  },
  {
    action: 'edit',
    rank: 7,
    keys: ['e'],
    bar: 'edit',
    does: { list: "edit the finding in $EDITOR, then re-plan it", detail: "edit the finding in $EDITOR, then re-plan it" },
    match: (i) => i === 'e',
  },
  {
    action: 'apply',
    rank: 2,
    keys: ['a'],
    bar: 'apply',
    does: { list: 'apply the marked findings (or this one)', detail: 'apply the marked findings (or this one)' },
    match: (i) => i === 'a',
  },
  {
    action: 'export',
    rank: 5,
    keys: ['x'],
    bar: 'export',
    does: {
      list: 'export checklist, plan JSON and psql script to --export-dir',
      detail: 'export checklist, plan JSON and psql script to --export-dir',
    },
    match: (i) => i === 'x',
  },
  {
    action: 'approve',
    rank: 5,
    keys: ['v'],
    bar: 'approve',
    does: { list: 'sign off: approve, with a note (saved in the findings file)', detail: 'sign off: approve, with a note (saved in the findings file)' },
    match: (i) => i === 'v',
  },
  {
    action: 'skip',
    keys: ['w'],
    does: { list: 'sign off: skip, not to be applied, with why (saved)', detail: 'sign off: skip, not to be applied, with why (saved)' },
    match: (i) => i === 'w',
  },
  {
    action: 'note',
    keys: ['n'],
    does: { list: "edit the sign-off's note", detail: "edit the sign-off's note" },
    match: (i) => i === 'n',
  },
  {
    action: 'journal',
    rank: 8,
    keys: ['J'],
    bar: 'journal',
    barOn: ['list'],
    does: { list: 'journal: past runs, their findings and rows changed; roll a run back', detail: 'journal: past runs, their findings and rows changed; roll a run back' },
    match: (i) => i === 'J',
  },
  {
    action: 'rollback',
    rank: 2,
    keys: ['R'],
    bar: 'roll back',
    does: { journal: 'roll the selected run back (type the database name to confirm)' },
    match: (i) => i === 'R',
  },
  {
    action: 'retry',
    rank: 1,
    keys: ['r'],
    bar: 'retry',
    does: { failed: 'try again: connect and plan' },
    match: (i) => i === 'r',
  },
  {
    action: 'columnsLeft',
    keys: ['<'],
    does: { detail: 'sample rows: scroll the columns left (the key stays)', resolve: 'sample rows: scroll the columns left (the key stays)' },
    match: (i) => i === '<' || i === ',',
  },
  {
    action: 'columnsRight',
    keys: ['>'],
    does: { detail: 'sample rows: scroll the columns right', resolve: 'sample rows: scroll the columns right' },
    match: (i) => i === '>' || i === '.',
  },
  {
    action: 'columns',
    keys: ['c'],
    does: { detail: 'sample rows: choose the columns shown (Space shows / hides, Enter done)', resolve: 'sample rows: choose the columns shown (Space shows / hides, Enter done)' },
    match: (i) => i === 'c',
  },
  {
    action: 'timestamp',
    keys: ['t'],
    does: { resolve: 'order by the creation timestamp offered (created_at…) instead of a random key' },
    match: (i) => i === 't',
  },
  {
    action: 'moreContext',
    keys: ['+'],
    does: { detail: 'diff: more context lines' },
    match: (i) => i === '+' || i === '=',
  },
  {
    action: 'lessContext',
    keys: ['-'],
    does: { detail: 'diff: fewer context lines' },
    match: (i) => i === '-',
  },
  {
    action: 'back',
    rank: 1,
    keys: ['Esc'],
    bar: 'back',
    barOn: ['detail', 'resolve', 'apply', 'journal'],
    does: {
      list: 'clear the filter (nothing else)',
      detail: 'back to the list',
      resolve: 'back without choosing',
      apply: 'cancel (before the run starts)',
      journal: 'back to the list (a rollback prompt: cancel)',
    },
    match: (_, k) => k.escape,
  },
  {
    action: 'help',
    rank: 0,
    keys: ['?'],
    bar: 'help',
    does: { list: 'this help', detail: 'this help', resolve: 'this help', apply: 'this help', journal: 'this help', failed: 'this help' },
    match: (i) => i === '?',
  },
  {
    action: 'quit',
    rank: 0,
    keys: ['q', 'Ctrl-C'],
    bar: 'quit',
    does: { list: 'quit', detail: 'quit', resolve: 'quit', apply: 'quit (refused while a transaction is open)', journal: 'quit (refused while a rollback runs)', failed: 'quit' },
    match: (i, k) => i === 'q' || (k.ctrl && i === 'c'),
  },
];

export function bindingsFor(screen: Screen): Binding[] {
  return KEYMAP.filter((b) => b.does[screen] !== undefined);
}

export function actionFor(screen: Screen, input: string, key: Key): Action | undefined {
  return bindingsFor(screen).find((b) => b.match(input, key))?.action;
}

export function keyLabel(b: Binding): string {
  return b.keys.join('/');
}

/** The key bar: `Enter open · Tab pane · …`, as many as fit in `width`, help and quit always. */
export function keyBarItems(screen: Screen, width: number): { keys: string; word: string }[] {
  const all = bindingsFor(screen)
    .filter((b) => b.bar && (!b.barOn || b.barOn.includes(screen)))
    .map((b) => ({ keys: b.keys[0]!, word: b.bar!, rank: b.rank ?? 9 }));
  const size = (xs: { keys: string; word: string }[]) => xs.reduce((n, x) => n + x.keys.length + x.word.length + 4, 0);
  const out = [...all];
  while (size(out) > width) {
    const worst = Math.max(...out.map((x) => x.rank));
    if (worst === 0) break;
    out.splice(out.map((x) => x.rank).lastIndexOf(worst), 1);
  }
  return out.map(({ keys, word }) => ({ keys, word }));
}

/** The README's key section, rendered from the same table. */
export function keymapMarkdown(): string {
  const rows = KEYMAP.map((b) => {
    const keys = b.keys.map((k) => `\`${k}\``).join(' ');
    const where = SCREENS_IN_ORDER.filter((s) => b.does[s]);
    // Screens that share a wording are listed together: `quit (list, detail); apply: …`.
    const groups = [...new Set(where.map((s) => b.does[s]!))].map((d) => ({ d, screens: where.filter((s) => b.does[s] === d) }));
    const text = groups.length === 1 ? `${groups[0]!.d} (${groups[0]!.screens.join(', ')})` : groups.map((g) => `${g.screens.join(', ')}: ${g.d}`).join('; ');
    return `| ${keys} | ${text.replaceAll('|', '\\|')} |`;
  });
  return [
    '### Keys in `pgmend review`',
    '',
    'Screens: the finding **list**, a finding\'s **detail** (panes: SQL, diff, rows, steps, rollback), **resolve** (choose what happens to blocking rows), **apply** (typed confirmation, then live progress), the **journal** (past runs, their findings and rows changed; rollback with typed confirmation) and **failed** (the whole error when the database cannot be reached or planned: retry or quit).',
    '',
    '| Key | Does |',
    '|---|---|',
    ...rows,
    '',
  ].join('\n');
}
