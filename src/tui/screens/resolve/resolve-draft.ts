import { blockingLeft, type FindingPlan } from '../../../engine/index.js';
import { resolutionSchema, STRATEGIES, type Literal, type Resolution } from '../../../findings/model.js';
import type { KeepChoice, ResolveState } from './resolve-slice.js';
import { priorityColumns } from '../../SampleTable.js';
import { columnRef } from '../../../db/resolve.js';

/**
 * The resolve panel's draft: which fields it has for a finding, their options, and the
 * Resolution it stands for (validated by the same zod schema as the findings file).
 */

export type Field = 'strategy' | 'keep' | 'orderBy' | 'set';

/** Duplicates are the only blocking rows where "which row survives" is a choice. */
export function hasGroups(fp: FindingPlan): boolean {
  return blockingLeft(fp.checks).some((c) => c.groups !== undefined);
}

export function fieldsFor(rs: ResolveState, fp: FindingPlan): Field[] {
  return ['strategy', ...(hasGroups(fp) ? (['keep', 'orderBy'] as const) : []), ...(rs.strategy === 'update' ? (['set'] as const) : [])];
}

/**
 * Columns to order by, as the findings file writes them: the table's timestamps first (creation
 * time first, from the catalog once a preview has answered) — "keep the oldest" usually means by
 * creation time — then the other columns of the sampled rows (not pgmend's helpers).
 */
export function orderColumns(fp: FindingPlan, rs?: Pick<ResolveState, 'ordering'>): string[] {
  const sample = fp.checks.find((c) => c.blocking && c.sample.length)?.sample[0] ?? {};
  const cols = Object.keys(sample).filter((k) => !k.startsWith('pgmend_'));
  const timeLike = (c: string) => /(_at|_on|date|time)$/i.test(c) || sample[c] instanceof Date;
  const times = rs?.ordering?.timestamps ?? cols.filter(timeLike);
  return [...times, ...cols.filter((c) => !times.includes(c))].map(columnRef);
}

const KEEPS: KeepChoice[] = ['oldest', 'newest'];

/** Moves the focused field's option by `delta` (wrapping). */
export function cycle(rs: ResolveState, fp: FindingPlan, field: Field, delta: number): Partial<ResolveState> {
  const step = <T>(xs: readonly T[], x: T): T => xs[(xs.indexOf(x) + delta + xs.length * 2) % xs.length]!;
  switch (field) {
    case 'strategy':
      return { strategy: step(STRATEGIES, rs.strategy) };
    case 'keep':
      return { keep: step(KEEPS, rs.keep === 'none' ? 'oldest' : rs.keep) };
    case 'orderBy': {
      const cols: (string | undefined)[] = [undefined, ...orderColumns(fp, rs)];
      return { orderBy: step(cols, rs.orderBy) };
    }
    case 'set':
      return {};
  }
}

/** The first draft: the finding's resolution if it has one, else delete (keeping the oldest row). */
export function initialDraft(fp: FindingPlan): Omit<ResolveState, 'id'> {
  const r = fp.resolution;
  const groups = hasGroups(fp);
  return {
    field: 0,
    strategy: r?.strategy ?? 'delete',
    keep: groups ? (r?.keep ?? 'oldest') : 'none',
    ...(r?.orderBy ? { orderBy: r.orderBy } : {}),
    setText: r?.set ? formatSet(r.set) : defaultSet(fp),
    editing: false,
  };
}

function literalText(v: Literal): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return /^[A-Za-z0-9_.:-]+$/.test(v) && !/^(null|true|false|-?\d+(\.\d+)?)$/i.test(v) ? v : `'${v.replaceAll("'", "''")}'`;
  return String(v);
}

export function formatSet(set: Record<string, Literal>): string {
  return Object.entries(set)
    .map(([k, v]) => `${k} = ${literalText(v)}`)
    .join(', ');
}

/** A useful start for `update`: the finding's column and its first allowed value or state. */
function defaultSet(fp: FindingPlan): string {
  const p = fp.finding.params as { column?: unknown; columns?: unknown; values?: unknown; transitions?: unknown };
  const column =
    typeof p.column === 'string'
      ? p.column
      : Array.isArray(p.columns) && p.columns.length === 1 && /^\w+$/.test(String(p.columns[0]))
        ? String(p.columns[0])
        : mentionedColumn(fp);
  if (!column) return '';
  const first = Array.isArray(p.values) ? p.values[0] : p.transitions && typeof p.transitions === 'object' ? Object.keys(p.transitions)[0] : undefined;
  return `${column} = ${first === undefined ? '' : literalText(first as Literal)}`;
}

/** A check's expression names its columns: the first one the sampled rows have (not the key). */
function mentionedColumn(fp: FindingPlan): string | undefined {
  const row = fp.checks.find((c) => c.blocking && c.sample.length)?.sample[0];
  return row ? priorityColumns(fp.finding.params, row)[1] : undefined;
}

/** `status = SUSPENDED, note = 'x y', n = 3, flag = true, gone = NULL` → values. */
export function parseSet(text: string): Record<string, Literal> | string {
  const out: Record<string, Literal> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")+")\s*=\s*('(?:[^']|'')*'|[^,]*)\s*(,|$)/y;
  let pos = 0;
  const src = text.trim();
  if (!src) return 'type the values to set, e.g. status = FAILED';
  while (pos < src.length) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m || m[0] === '') return `cannot read "${src.slice(pos).trim()}": write column = value, separated by commas`;
    const col = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replaceAll('""', '"') : m[1]!;
    const raw = m[2]!.trim();
    if (!raw) return `type a value for ${col} (or NULL)`;
    out[col] = raw.startsWith("'") ? raw.slice(1, -1).replaceAll("''", "'") : /^null$/i.test(raw) ? null : /^(true|false)$/i.test(raw) ? raw.toLowerCase() === 'true' : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    pos = re.lastIndex;
  }
  return out;
}

/** The draft as a Resolution, or why it is not one yet. */
export function draftResolution(rs: ResolveState): { ok: true; resolution: Resolution } | { ok: false; error: string } {
  const candidate: Record<string, unknown> = { strategy: rs.strategy };
  if (rs.keep !== 'none') candidate.keep = rs.keep;
  if (rs.keep !== 'none' && rs.orderBy) candidate.orderBy = rs.orderBy;
  if (rs.strategy === 'update') {
    const set = parseSet(rs.setText);
    if (typeof set === 'string') return { ok: false, error: set };
    candidate.set = set;
  }
  const r = resolutionSchema.safeParse(candidate);
  if (!r.success) return { ok: false, error: r.error.issues.map((i) => i.message).join('; ') };
  return { ok: true, resolution: r.data };
}
