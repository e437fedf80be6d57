import type { Playbook, ParamSpec } from './model.js';
import { PARAM_TYPES } from './model.js';

/**
 * The typed view: which keys a playbook's templates may name, and what each holds. A param of a
 * type gives the keys of that type's fields (param `table` of type table: `table`, `tableName`,
 * `tableLiteral`, `tableText`); a few keys come from the target table and the engine. The view
 * builder (view.ts) is typed by these fields and load.ts checks every template against them, so a
 * misspelt key is a load error instead of SQL Mustache silently renders without it.
 */

/** What a key holds: SQL text, a boolean, `{value: true}` of an enum, or a list of items with their own keys. */
export type Field = 'text' | 'flag' | 'flags' | { readonly list: Readonly<Record<string, Field>> };

/** Per param type, its keys as suffixes of the param's name ('' is the name itself). */
export const PARAM_FIELDS = {
  table: { '': 'text', Name: 'text', Literal: 'text', Text: 'text' },
  tables: { '': 'text' },
  column: { '': 'text', Literal: 'text', Slug: 'text', Text: 'text', NotNull: 'flag' },
  columns: { '': 'text', Slug: 'text', NotNull: 'text', DropNotNull: 'text', SetNotNull: 'text', List: { list: { column: 'text', type: 'text' } } },
  keys: { '': 'text', Slug: 'text', NotNull: 'text', Plain: 'text' },
  expression: { '': 'text', Columns: 'text' },
  predicate: { '': 'text', Columns: 'text' },
  name: { '': 'text', Literal: 'text', Qualified: 'text' },
  enum: { '': 'text', Is: 'flags' },
  values: { '': 'text' },
  transitions: { Json: 'text', States: 'text' },
  references: { '': 'text', Literal: 'text', Columns: 'text', Match: 'text' },
  // Each statement item also carries `step`, its lock declaration, which render.ts reads; templates see `statement`.
  sql: { '': 'text', Statements: { list: { statement: 'text' } } },
} as const satisfies Record<(typeof PARAM_TYPES)[number], Record<string, Field>>;

/** Keys under fixed names: a references param's existing FKs, an enum named onDelete. */
/** existingFks: the FKs on the same columns the fix replaces; replacedName: the one it replaces, raw (its name is kept). */
export const REFERENCES_FIELDS = { existingFks: { list: { name: 'text', definition: 'text' } }, replacedName: 'text', keptClauses: 'text' } as const satisfies Record<string, Field>;
export const ON_DELETE_FIELDS = { onDeleteSql: 'text', onDeleteCode: 'text' } as const satisfies Record<string, Field>;
/** From the target table (how rows are ordered) and the engine. */
export const TARGET_FIELDS = { pkOrder: 'text', pkBare: 'text', keepOrder: 'text' } as const satisfies Record<string, Field>;
export const ENGINE_FIELDS = { sampleSize: 'text' } as const satisfies Record<string, Field>;

type ValueOf<F> = F extends 'text' ? string : F extends 'flag' ? boolean : F extends 'flags' ? Record<string, true> : F extends { list: infer I } ? { [K in keyof I]: ValueOf<I[K]> }[] : never;
/** The values a field table describes, e.g. `Fields<typeof PARAM_FIELDS.column>`. */
export type Fields<T> = { -readonly [K in keyof T]: ValueOf<T[K]> };
export type ParamFields<T extends keyof typeof PARAM_FIELDS> = Fields<(typeof PARAM_FIELDS)[T]>;

/** Every key a playbook's view has (some only when their param is given), with the values an enum's flags may take. */
export function viewFields(playbook: Playbook): Map<string, Field | { flags: string[] }> {
  const out = new Map<string, Field | { flags: string[] }>();
  const add = (fields: Record<string, Field>, prefix = '') => {
    for (const [suffix, f] of Object.entries(fields)) out.set(prefix + suffix, f);
  };
  for (const [name, spec] of Object.entries(playbook.params) as [string, ParamSpec][]) {
    add(PARAM_FIELDS[spec.type], name);
    if (spec.type === 'enum') out.set(`${name}Is`, { flags: spec.values ?? [] });
    if (spec.type === 'references') add(REFERENCES_FIELDS);
    if (spec.type === 'enum' && name === 'onDelete') add(ON_DELETE_FIELDS);
  }
  if (playbook.params[playbook.target]) add(TARGET_FIELDS);
  add(ENGINE_FIELDS);
  return out;
}
