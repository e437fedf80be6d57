import type { Constraint } from './catalog.js';
import { quoteIdent, quoteQualified } from './quote.js';

/**
 * A constraint's definition as text that means the same under any search_path, for SQL that puts
 * the constraint back later (rollback, a psql script run by someone else, a journal replayed by
 * another role). pg_get_constraintdef prints a foreign key's parent bare when the search_path of the
 * session that read the catalog finds it: `REFERENCES account(id)` for billing.account read with
 * billing on the path, which a rollback run with another path re-creates against public.account.
 *
 * The parent is rewritten exactly, not by pattern: PostgreSQL prints the columns and the parent with
 * the quoting rules quoteIdent reproduces, so the bare and the qualified spelling are both known in
 * advance; text of any other shape is an error rather than a guess.
 */
export function restorableDefinition(c: Pick<Constraint, 'name' | 'definition' | 'columns' | 'foreignKey'>): string {
  const parent = c.foreignKey;
  // Empty: a table the catalog could not read (another session holds it locked); the finding errors on that.
  if (!parent || !c.definition) return c.definition;
  const head = `FOREIGN KEY (${c.columns.map(quoteIdent).join(', ')}) REFERENCES `;
  const qualified = quoteQualified(parent.schema, parent.name);
  const bare = quoteIdent(parent.name);
  if (c.definition.startsWith(head)) {
    const rest = c.definition.slice(head.length);
    if (rest.startsWith(`${qualified}(`)) return c.definition;
    if (rest.startsWith(`${bare}(`)) return head + qualified + rest.slice(bare.length);
  }
  throw new Error(`foreign key ${c.name}: unexpected definition ${JSON.stringify(c.definition)} (expected ${JSON.stringify(head + bare + '(…')})`);
}
