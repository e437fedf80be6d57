import { indexesOf, type Index } from '../../../db/catalog.js';
import { quoteIdent, quoteQualified } from '../../../db/quote.js';
import type { Proposal, RuleContext } from '../model.js';
import { sqlTables } from '../names.js';

/**
 * Duplicate and redundant indexes: an index whose key columns are the same as, or a leading prefix
 * of, another valid index of the same method and predicate costs every write and serves no read
 * the other does not. Only plain column keys are compared (no expressions, operator classes,
 * DESC or collations); an index that backs a constraint, or is unique where the other is not, is
 * kept, and so is a partition's index attached to its parent's (it cannot be dropped alone). Proposed: `sql` dropping it, rollback recreates it from its definition. Severity low.
 */
export function redundantIndex(ctx: RuleContext): Proposal[] {
  const out: Proposal[] = [];
  for (const table of ctx.tables) {
    const indexes = indexesOf(ctx.catalog, table).filter(plain);
    for (const a of indexes) {
      if (a.constraint || ctx.attachedIndexes.has(a.oid)) continue;
      const cover = indexes.find((b) => b !== a && covers(b, a));
      if (!cover) continue;
      const same = cover.columns.length === a.columns.length;
      out.push({
        code: 'DUPIDX',
        severity: 'low',
        title: `index ${a.name} on ${table.name} is ${same ? 'a duplicate of' : 'covered by'} ${cover.name}`,
        playbook: 'sql',
        params: {
          sql: `DROP INDEX ${quoteQualified(a.schema, a.name)};`,
          rollback: `${a.definition};`,
          ...sqlTables(ctx.catalog, table),
        },
        evidence: `${a.name} (${a.columns.join(', ')}) ${same ? 'has the same key as' : 'is a leading prefix of'} ${cover.name} (${cover.columns.join(', ')}), same method ${a.method}${a.predicate ? ` and predicate ${a.predicate}` : ''}`,
      });
    }
  }
  return out;
}

/** Keys are plain columns written plainly in the definition (no opclass, DESC, COLLATE). */
function plain(i: Index): boolean {
  if (!i.valid || i.columns.some((c) => c === null)) return false;
  const list = (i.columns as string[]).map(quoteIdent).join(', ');
  return i.definition.includes(`USING ${i.method} (${list})`);
}

/** b makes a redundant: a's key is b's key or a prefix of it, a's INCLUDE is in b, and a promises no more than b. */
function covers(b: Index, a: Index): boolean {
  if (b.method !== a.method || b.predicate !== a.predicate || b.columns.length < a.columns.length) return false;
  if (!a.columns.every((c, k) => b.columns[k] === c)) return false;
  const bAll = new Set([...(b.columns as string[]), ...b.include]);
  if (!a.include.every((c) => bAll.has(c))) return false;
  if (a.unique && !(b.unique && b.columns.length === a.columns.length)) return false;
  if (b.columns.length === a.columns.length && a.include.length === b.include.length && a.unique === b.unique) {
    // Exact duplicates: keep the one behind a constraint, else the older (smaller oid).
    if (b.constraint) return true;
    return b.oid < a.oid;
  }
  if (a.method !== 'btree') return false; // a prefix serves the same reads only in a btree
  return true;
}
