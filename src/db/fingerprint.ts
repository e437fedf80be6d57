import { createHash } from 'node:crypto';
import { constraintsOf, tableByRef, indexesOf, triggersOf, type Catalog, type Column, type Table } from './catalog.js';
import { schemaDdl, tableDdl, triggerFunctions } from './ddl.js';

/**
 * What a plan remembers about the schema it was made for: a hash of the DDL of its tables (and
 * their trigger functions), and, when that no longer matches, human lines saying what changed.
 */

/** sha256 (first 16 hex chars) of schemaDdl: independent of the order the tables are given in. */
export function fingerprint(catalog: Catalog, tables: readonly string[]): string {
  return createHash('sha256').update(schemaDdl(catalog, tables)).digest('hex').slice(0, 16);
}

interface Named {
  name: string;
}

/** added / dropped / changed lines for two lists of named objects. */
function compareNamed<T extends Named>(
  kind: string,
  before: T[],
  after: T[],
  changes: (a: T, b: T) => string[],
): string[] {
  const old = new Map(before.map((x) => [x.name, x]));
  const now = new Map(after.map((x) => [x.name, x]));
  const names = [...new Set([...old.keys(), ...now.keys()])].sort();
  return names.flatMap((name) => {
    const a = old.get(name);
    const b = now.get(name);
    if (!a) return [`${kind} ${name} added`];
    if (!b) return [`${kind} ${name} dropped`];
    return changes(a, b).map((what) => `${kind} ${name} ${what}`);
  });
}

const show = (v: string | null) => v ?? 'none';
const arrow = (what: string, a: string | null, b: string | null) => (a === b ? [] : [`${what} changed ${show(a)} → ${show(b)}`]);

function columnChanges(a: Column, b: Column): string[] {
  const out = [...arrow('type', a.type, b.type), ...arrow('collation', a.collation, b.collation)];
  if (a.notNull !== b.notNull) out.push(b.notNull ? 'NOT NULL added' : 'NOT NULL dropped');
  else if (a.notNullValidated !== b.notNullValidated) out.push(b.notNullValidated ? 'NOT NULL validated' : 'NOT NULL no longer validated');
  out.push(...arrow('default', a.default, b.default));
  out.push(...arrow('identity', a.identity, b.identity));
  out.push(...arrow('generated expression', a.generated?.expression ?? null, b.generated?.expression ?? null));
  return out;
}

function columnLines(a: Table, b: Table): string[] {
  // Same attnum under another name is a rename, not a drop and an add.
  const renamed = new Map<string, string>();
  for (const c of a.columns) {
    const same = b.columns.find((d) => d.attnum === c.attnum);
    if (same && same.name !== c.name && !a.columns.some((x) => x.name === same.name)) renamed.set(same.name, c.name);
  }
  const renames = [...renamed].map(([now, old]) => `column ${old} renamed to ${now}`);
  const afterCols = b.columns.map((c) => (renamed.has(c.name) ? { ...c, name: renamed.get(c.name)! } : c));
  return [...renames, ...compareNamed('column', a.columns, afterCols, columnChanges)];
}

const ownIndexes = (catalog: Catalog, table: Table) => indexesOf(catalog, table).filter((i) => i.constraint === null);

function tableLines(before: Catalog, after: Catalog, a: Table, b: Table): string[] {
  const lines = columnLines(a, b);
  lines.push(
    ...compareNamed('constraint', constraintsOf(before, a), constraintsOf(after, b), (x, y) => {
      if (x.definition === y.definition) return [];
      if (!x.validated && y.validated) return ['validated'];
      return [`changed ${x.definition} → ${y.definition}`];
    }),
    // Indexes behind a constraint are reported as the constraint (as in the DDL).
    ...compareNamed('index', ownIndexes(before, a), ownIndexes(after, b), (x, y) => {
      if (x.definition !== y.definition) return [`changed ${x.definition} → ${y.definition}`];
      if (x.valid !== y.valid) return [y.valid ? 'is now valid' : 'is now INVALID'];
      return [];
    }),
    ...compareNamed('trigger', triggersOf(before, a), triggersOf(after, b), (x, y) => {
      if (x.definition !== y.definition) return [`changed ${x.definition} → ${y.definition}`];
      if (x.firing !== y.firing) return [y.enabled ? (x.enabled ? `now fires ${y.firing}` : 'enabled') : 'disabled'];
      return [];
    }),
  );
  if (a.partitionKey !== b.partitionKey) lines.push(...arrow('partition key', a.partitionKey, b.partitionKey));
  if (a.partitionOf !== b.partitionOf || a.partitionBound !== b.partitionBound) {
    lines.push(`partition ${a.partitionOf ? `of ${a.partitionOf} ${a.partitionBound}` : 'none'} → ${b.partitionOf ? `of ${b.partitionOf} ${b.partitionBound}` : 'none'}`);
  }
  return lines;
}

/**
 * Human lines for what changed in these tables between two catalogs, e.g.
 * `public.licenses: constraint chk_x added`, `public.items: column price_usd type changed numeric → integer`.
 * Empty when their DDL is identical.
 */
export function describeSchemaChange(before: Catalog, after: Catalog, tables: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const ref of tables) {
    const a = tableByRef(before, ref);
    const b = tableByRef(after, ref);
    const label = (a ?? b)?.qualified ?? ref.trim();
    if (seen.has(label)) continue;
    seen.add(label);
    if (!a && !b) continue;
    if (!a) out.push(`${label}: table created`);
    else if (!b) out.push(`${label}: table dropped`);
    else {
      const lines = tableLines(before, after, a, b);
      if (lines.length === 0 && tableDdl(before, a) !== tableDdl(after, b)) lines.push('definition changed');
      out.push(...lines.map((l) => `${label}: ${l}`));
    }
  }
  // Trigger functions: a changed body changes what the tables do.
  const tablesOf = (c: Catalog) => tables.map((r) => tableByRef(c, r)).filter((t): t is Table => t !== undefined);
  const key = (f: { qualified: string; identityArgs: string }) => `${f.qualified}(${f.identityArgs})`;
  const oldFns = new Map(triggerFunctions(before, tablesOf(before)).map((f) => [key(f), f]));
  for (const f of triggerFunctions(after, tablesOf(after))) {
    const old = oldFns.get(key(f));
    if (old && old.hash !== f.hash) out.push(`function ${key(f)} changed`);
  }
  return out;
}
