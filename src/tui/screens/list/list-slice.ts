/** The list's slice of the session: the filter (typed with `/`) and the sort order. */

export type SortKey = 'plan' | 'severity' | 'table';
export const SORTS: SortKey[] = ['plan', 'severity', 'table'];

export interface ListSlice {
  filter: string;
  /** The filter's input has the keyboard. */
  filtering: boolean;
  sort: SortKey;
}

export type ListAction = { type: 'filtering'; on: boolean } | { type: 'filter'; text: string } | { type: 'sort' };

export const initialList = (): ListSlice => ({ filter: '', filtering: false, sort: 'plan' });

export function reduceList<S extends ListSlice>(s: S, action: { type: string }): S {
  const a = action as ListAction;
  switch (a.type) {
    case 'filtering':
      return s.filtering === a.on ? s : { ...s, filtering: a.on };
    case 'filter':
      return s.filter === a.text ? s : { ...s, filter: a.text };
    case 'sort':
      return { ...s, sort: SORTS[(SORTS.indexOf(s.sort) + 1) % SORTS.length]! };
    default:
      return s;
  }
}
