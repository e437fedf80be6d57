import { blockingLeft, type CheckResult, type FindingPlan, type FindingStatus } from '../../../engine/index.js';
import type { Review, Severity } from '../../../findings/model.js';
import { SEVERITIES } from '../../../findings/model.js';
import { plural } from '../../../export/values.js';
import type { ReviewState, SortKey } from '../../state.js';

/**
 * The finding list as the reviewer sees it: one item per finding, from the plan when it is there
 * and from the findings file before (ids, titles and severities are known before the database
 * answers), filtered and sorted.
 */

export type ItemStatus = FindingStatus | 'checking' | 'planning' | 'waiting';

export interface ListItem {
  id: string;
  title: string;
  severity: Severity;
  table?: string;
  playbook: string;
  status: ItemStatus;
  plan?: FindingPlan;
  /** While the plan is built: its counts, once its tables are read. */
  counted?: CheckResult[];
  /** Being re-planned: what is happening. */
  busy?: string;
  /** The reviewer's sign-off. */
  review?: Review;
}

export function items(s: ReviewState): ListItem[] {
  const reviews = new Map(s.findings.filter((f) => f.review).map((f) => [f.id, f.review!]));
  if (s.plan) {
    return s.plan.findings.map((f) => ({
      ...(reviews.has(f.id) ? { review: reviews.get(f.id)! } : {}),
      id: f.id,
      title: f.title,
      severity: f.severity,
      ...(f.table ? { table: f.table } : {}),
      playbook: f.playbook,
      status: f.status,
      plan: f,
      ...(s.busy[f.id] ? { busy: s.busy[f.id] } : {}),
    }));
  }
  const checked = new Set(s.loading.checked);
  return s.findings.map((f) => {
    const early = s.early[f.id];
    const table = typeof f.params.table === 'string' ? f.params.table : undefined;
    const status: ItemStatus = early ? early.status : !s.loading.running ? 'waiting' : checked.has(f.id) ? 'planning' : 'checking';
    return {
      ...(f.review ? { review: f.review } : {}),
      id: f.id,
      title: f.title,
      severity: f.severity,
      ...(early?.table ? { table: early.table } : table ? { table } : {}),
      playbook: f.playbook,
      status,
      ...(early ? { plan: early } : {}),
      ...(s.counted[f.id] ? { counted: s.counted[f.id] } : {}),
    };
  });
}

/**
 * The filter, as k9s and GitHub's search read one: words narrow the list (each must match), a
 * `field:value` narrows to one field — kind (check kind with rows, or the playbook), status (the
 * plan's status or the sign-off), severity, table, playbook — and a leading `!` leaves out what
 * matches. `orphans` finds the findings with orphan rows; `kind:unique !status:blocked` the unique
 * findings that can run.
 */
export const FILTER_FIELDS = ['kind', 'status', 'severity', 'table', 'playbook'] as const;
type FilterField = (typeof FILTER_FIELDS)[number];

/** What each field of an item offers a filter word. */
function fieldValues(item: ListItem): Record<FilterField | 'id' | 'title', string[]> {
  // A check kind counts when the check found rows (a finding "has orphans"), not merely runs.
  const kinds = (item.plan?.checks ?? []).filter((c) => c.rows > 0).map((c) => c.id);
  return {
    id: [item.id],
    title: [item.title],
    kind: [...kinds, item.playbook],
    status: [item.status, ...(item.review ? [item.review.status] : [])],
    severity: [item.severity],
    table: item.table ? [item.table] : [],
    playbook: [item.playbook],
  };
}

function termMatches(item: ListItem, term: string): boolean {
  const values = fieldValues(item);
  const m = /^([a-z]+):(.*)$/.exec(term);
  const field = m && (FILTER_FIELDS as readonly string[]).includes(m[1]!) ? (m[1] as FilterField) : undefined;
  const q = field ? m![2]! : term;
  if (!q) return true;
  const pool = field ? values[field] : Object.values(values).flat();
  return pool.some((x) => x.toLowerCase().includes(q));
}

export function matchesFilter(item: ListItem, filter: string): boolean {
  const terms = filter.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return terms.every((t) => (t.startsWith('!') && t.length > 1 ? !termMatches(item, t.slice(1)) : termMatches(item, t)));
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

export function sortItems(list: ListItem[], sort: SortKey): ListItem[] {
  if (sort === 'plan') return list;
  const indexed = list.map((item, i) => ({ item, i }));
  indexed.sort((a, b) => {
    if (sort === 'severity') return rank(a.item.severity) - rank(b.item.severity) || a.i - b.i;
    return (a.item.table ?? '~').localeCompare(b.item.table ?? '~') || rank(a.item.severity) - rank(b.item.severity) || a.i - b.i;
  });
  return indexed.map((x) => x.item);
}

export function visibleItems(s: ReviewState): ListItem[] {
  return sortItems(items(s).filter((i) => matchesFilter(i, s.filter)), s.sort);
}

/** Where the cursor is in the visible list (0 when its finding is filtered out). */
export function cursorIndex(s: ReviewState, list = visibleItems(s)): number {
  const i = list.findIndex((x) => x.id === s.cursorId);
  return i < 0 ? 0 : i;
}

const CHECK_WORDS: Record<string, (c: CheckResult, compact: boolean) => string> = {
  duplicates: (c, compact) => `${plural(c.rows, 'row')} in ${c.groups ?? '?'} ${compact ? (c.groups === 1 ? 'group' : 'groups') : c.groups === 1 ? 'duplicate group' : 'duplicate groups'}`,
  orphans: (c) => plural(c.rows, 'orphan row'),
  violations: (c) => plural(c.rows, 'violating row'),
  nulls: (c) => plural(c.rows, 'NULL row'),
  drift: (c) => plural(c.rows, 'drifted row'),
  'invalid-states': (c, compact) => (compact ? plural(c.rows, 'invalid state') : `${plural(c.rows, 'row')} in invalid states`),
  cascade: (c, compact) => {
    if (compact) return `cascade ${plural(c.rows, 'row')}`;
    const refusing = refusingTables(c.cascade ?? []);
    const refuse = refusing ? ` · ${plural(refusing, 'child table')} ${refusing === 1 ? 'refuses' : 'refuse'} the delete` : '';
    return `parent deletes reach ${plural(c.rows, 'row')} in total${refuse}`;
  },
};

/** Child tables whose rule (RESTRICT / NO ACTION) makes a parent delete fail while they hold rows. */
function refusingTables(nodes: NonNullable<CheckResult['cascade']>): number {
  return nodes.reduce((n, x) => n + ((x.action === 'restrict' || x.action === 'no-action') && x.total > 0 ? 1 : 0) + refusingTables(x.children), 0);
}

export function checkCount(c: CheckResult, compact = false): string {
  const word = CHECK_WORDS[c.id];
  return word ? word(c, compact) : `${plural(c.rows, 'row')} (${c.id})`;
}

/** The one number that matters for a finding: its blocking rows, else drift, else blast radius. */
export function keyCount(f: Pick<FindingPlan, 'checks'> | undefined, compact = false): string {
  if (!f) return '';
  const blocking = blockingLeft(f.checks)[0];
  if (blocking) return checkCount(blocking, compact);
  const other = f.checks.find((c) => c.rows > 0 && c.id !== 'cascade');
  if (other) return checkCount(other, compact);
  const cascade = f.checks.find((c) => c.id === 'cascade' && c.rows > 0);
  if (cascade) return checkCount(cascade, compact);
  if (f.checks.some((c) => c.blocking)) return 'no blocking rows';
  return '';
}
