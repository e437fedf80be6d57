import type { KeepOrdering, ResolutionPreview, Row } from '../../../engine/index.js';
import type { Strategy } from '../../../findings/model.js';
import type { Navigation } from '../../screen-state.js';
import { withoutKey } from '../../without-key.js';

/** The resolve panel's slice: the draft resolution and the preview of the rows it would change. */

export type KeepChoice = 'none' | 'oldest' | 'newest';

export interface PreviewState {
  /** The resolution (JSON) this preview is for; a newer draft makes it stale. */
  key: string;
  status: 'loading' | 'ok' | 'error';
  result?: ResolutionPreview & { after: Row[] };
  error?: string;
}

export interface ResolveState {
  id: string;
  /** Index into the panel's fields (strategy, keep, order by, set). */
  field: number;
  strategy: Strategy;
  keep: KeepChoice;
  /** undefined: the primary key. As the findings file holds it (the catalog's spelling, or quoted). */
  orderBy?: string;
  /** What the last preview said ranks the rows (random key, timestamps offered instead). */
  ordering?: KeepOrdering;
  /** `column = value, …` for strategy update. */
  setText: string;
  editing: boolean;
  preview?: PreviewState;
}

export interface ResolveSlice {
  resolve?: ResolveState;
}

export type ResolveAction =
  | { type: 'resolveOpen'; resolve: ResolveState }
  | { type: 'resolveUpdate'; patch: Partial<Omit<ResolveState, 'id' | 'preview'>> }
  | { type: 'preview'; preview: PreviewState }
  | { type: 'resolveClose' };

export function reduceResolve<S extends ResolveSlice & Navigation>(s: S, action: { type: string }): S {
  const a = action as ResolveAction;
  switch (a.type) {
    case 'resolveOpen':
      return { ...s, screen: 'resolve', help: false, resolve: a.resolve };
    case 'resolveUpdate': {
      if (!s.resolve) return s;
      const r = s.resolve;
      const same = Object.entries(a.patch).every(([k, v]) => r[k as keyof ResolveState] === v);
      return same ? s : { ...s, resolve: { ...r, ...a.patch } };
    }
    case 'preview':
      // A late answer for an older draft is dropped.
      if (!s.resolve || (s.resolve.preview && s.resolve.preview.key !== a.preview.key && a.preview.status !== 'loading')) return s;
      return { ...s, resolve: { ...s.resolve, preview: a.preview, ...(a.preview.result?.ordering ? { ordering: a.preview.result.ordering } : {}) } };
    case 'resolveClose':
      return { ...withoutKey(s, 'resolve'), screen: 'detail' };
    default:
      return s;
  }
}
