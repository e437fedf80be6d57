/**
 * Bad input, case by case: what is tried, how pgmend is run, the exit code and what its one error
 * line must say. Run by bad-input.test.ts against a copy of the shop database (test/support/apply-shop.ts),
 * each case checked to leave every database it could touch unchanged (schema and row checksums).
 */

export interface BadInputContext {
  /** The shop database, as the superuser. */
  db: string;
  /** Writes a file in the work directory; returns its path. */
  file(name: string, content: string | Buffer): Promise<string>;
  dir: string;
  /** A window-mode plan of `db` (plan --format json --no-rehearse). */
  planFile: string;
  planJson(): Promise<Record<string, unknown>>;
  window: string;
  /** The shop database with default_transaction_read_only = on. */
  readOnlyDb: string;
  /** The shop database whose tables belong to `owner`, who lacks DELETE on orders and CREATE on the database. */
  privDb: { asDml: string; asOwner: string; owner: string };
  /** A server with password auth for one role: `url` has the right password, `user` and `base` without. */
  password: { base: string; user: string; right: string };
}

export interface BadInput {
  category: string;
  name: string;
  args(ctx: BadInputContext): Promise<string[]> | string[];
  env?(ctx: BadInputContext): NodeJS.ProcessEnv;
  code: 1 | 2;
  /** The one error line (without "pgmend: ") must match. */
  says: RegExp;
}

const F = (yaml: string) => `findings:\n${yaml}`;
/** One finding in flow style. */
const one = (body: string) => F(`  - {id: A, title: t, severity: high, ${body}}\n`);
const plan = (name: string, content: string | Buffer) => async (ctx: BadInputContext) => ['plan', '--db', ctx.db, '--findings', await ctx.file(name, content), '--no-rehearse'];
const applyFindings = (name: string, content: string) => async (ctx: BadInputContext) => ['apply', '--db', ctx.db, '--findings', await ctx.file(name, content), '--window', ctx.window, '--yes', '--snapshots', `${ctx.dir}/snapshots`];
const applyPlanFile = (name: string, edit: (p: Record<string, any>) => unknown) => async (ctx: BadInputContext) => {
  const p = await ctx.planJson();
  edit(p);
  return ['apply', '--db', ctx.db, '--plan', await ctx.file(name, JSON.stringify(p)), '--window', ctx.window, '--yes', '--snapshots', `${ctx.dir}/snapshots`];
};
const rawPlanFile = (name: string, content: string | Buffer) => async (ctx: BadInputContext) => ['apply', '--db', ctx.db, '--plan', await ctx.file(name, content), '--window', ctx.window, '--yes'];
const findingOf = (p: Record<string, any>, id: string) => (p.findings as Record<string, any>[]).find((f) => f.id === id)!;

const SHOP_FILE = F(`  - {id: SHOP-IDX, title: events by kind, severity: low, playbook: index, params: {table: events, columns: [kind, at]}}\n`);

export const BAD_INPUTS: BadInput[] = [
  // ---- malformed YAML and JSON ----
  { category: 'malformed YAML / JSON', name: 'YAML: an unclosed flow map', args: plan('unclosed.yaml', 'findings: [ {id: a'), code: 2, says: /^unclosed\.yaml: not valid YAML: .* at line 1, column \d+$/ },
  { category: 'malformed YAML / JSON', name: 'YAML: a tab as indentation', args: plan('tabs.yaml', 'findings:\n\t- id: x\n'), code: 2, says: /^tabs\.yaml: not valid YAML: Tabs are not allowed as indentation at line 2, column 1$/ },
  { category: 'malformed YAML / JSON', name: 'YAML: a key given twice', args: plan('twice.yaml', 'findings: []\nfindings: []\n'), code: 2, says: /^twice\.yaml: not valid YAML: Map keys must be unique at line 2, column 1$/ },
  { category: 'malformed YAML / JSON', name: 'YAML: an alias bomb (billion laughs)', args: plan('bomb.yaml', 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\nfindings: [*f]\n'), code: 2, says: /^bomb\.yaml: not valid YAML: Excessive alias count indicates a resource exhaustion attack — write the findings out: a findings file may use at most 100 YAML aliases$/ },
  { category: 'malformed YAML / JSON', name: 'JSON: an unterminated string', args: plan('unterminated.json', '{"findings": [{"id": "x}]}'), code: 2, says: /^unterminated\.json: not valid JSON: Missing closing "quote at line 1, column \d+$/ },
  { category: 'malformed YAML / JSON', name: 'JSON: garbage after the document', args: plan('garbage.json', '{"findings": []} x'), code: 2, says: /^garbage\.json: not valid JSON: .* at line 1, column \d+$/ },
  { category: 'malformed YAML / JSON', name: 'JSON: a list at the top', args: plan('list.json', '[{"id": "A"}]'), code: 2, says: /^list\.json: not a findings file — expected a top-level "findings:" list$/ },
  { category: 'malformed YAML / JSON', name: 'YAML: "findings" is not a list', args: plan('scalar.yaml', 'findings: hello\n'), code: 2, says: /^scalar\.yaml: findings: expected a list under "findings" — expected a top-level "findings:" list$/ },
  { category: 'malformed YAML / JSON', name: 'YAML: an unknown top-level key', args: plan('extra.yaml', 'findings: []\nextra: 1\n'), code: 2, says: /^extra\.yaml: unknown field extra — expected a top-level "findings:" list$/ },

  // ---- empty, binary, huge, missing files ----
  { category: 'files', name: 'an empty findings file', args: plan('empty.yaml', ''), code: 2, says: /^empty\.yaml: is empty — expected "findings:" with a list of findings$/ },
  { category: 'files', name: 'a findings file of blank lines', args: plan('blank.yaml', '  \n\n   \n'), code: 2, says: /^blank\.yaml: is empty — / },
  { category: 'files', name: 'a binary findings file', args: plan('binary.yaml', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256))), code: 2, says: /^binary\.yaml: is a binary file, not YAML or JSON$/ },
  {
    category: 'files',
    name: 'a 50 MB findings file',
    args: async (ctx) => {
      const line = '# ' + 'padding '.repeat(12) + '\n';
      return ['plan', '--db', ctx.db, '--findings', await ctx.file('huge.yaml', 'findings:\n' + line.repeat(Math.ceil((50 * 1024 * 1024) / line.length))), '--no-rehearse'];
    },
    code: 2,
    says: /^huge\.yaml: 50 MB is too large for a findings file — findings files are at most 10 MB$/,
  },
  { category: 'files', name: 'a findings file that does not exist', args: (ctx) => ['plan', '--db', ctx.db, '--findings', `${ctx.dir}/nope.yaml`], code: 2, says: /^cannot read findings file .*nope\.yaml: no such file/ },
  { category: 'files', name: 'a directory as the findings file', args: (ctx) => ['plan', '--db', ctx.db, '--findings', ctx.dir], code: 2, says: /^cannot read findings file .*: it is a directory/ },
  { category: 'files', name: 'no findings file at all', args: (ctx) => ['plan', '--db', ctx.db], code: 2, says: /^--findings is required — give the findings file/ },

  // ---- wrong types ----
  { category: 'wrong types', name: 'a finding without an id', args: plan('noid.yaml', F('  - {title: t, severity: high, playbook: index, params: {table: events, columns: [kind]}}\n')), code: 2, says: /^noid\.yaml: findings\[0\]\.id: expected an id$/ },
  { category: 'wrong types', name: 'an id that is a number', args: plan('idnum.yaml', F('  - {id: 12, title: t, severity: high, playbook: index, params: {table: events, columns: [kind]}}\n')), code: 2, says: /^idnum\.yaml: findings\[0\]\.id: expected an id$/ },
  { category: 'wrong types', name: 'an unknown severity', args: plan('sev.yaml', F('  - {id: A, title: t, severity: urgent, playbook: index, params: {table: events, columns: [kind]}}\n')), code: 2, says: /^sev\.yaml: A\.severity: expected one of critical, high, medium, low$/ },
  { category: 'wrong types', name: 'params that are a string', args: plan('params.yaml', one('playbook: check, params: hello')), code: 2, says: /^params\.yaml: A\.params: expected a map of params$/ },
  { category: 'wrong types', name: 'two findings with one id', args: plan('dup.yaml', F('  - {id: A, title: t, severity: high, playbook: index, params: {table: events, columns: [kind]}}\n  - {id: A, title: t, severity: high, playbook: index, params: {table: events, columns: [at]}}\n')), code: 2, says: /^dup\.yaml: A: duplicate id — ids must be unique in a file$/ },
  { category: 'wrong types', name: 'columns as a string, not a list', args: plan('cols.yaml', one('playbook: index, params: {table: events, columns: kind}')), code: 2, says: /^cols\.yaml: A\.params\.columns: expected a list of column names or expressions$/ },
  { category: 'wrong types', name: 'an empty list of columns', args: plan('nocols.yaml', one('playbook: index, params: {table: events, columns: []}')), code: 2, says: /^nocols\.yaml: A\.params\.columns: expected at least one column name or expression$/ },
  { category: 'wrong types', name: 'allowed values as a string', args: plan('values.yaml', one('playbook: allowed-values, params: {table: tickets, column: status, values: open}')), code: 2, says: /^values\.yaml: A\.params\.values: expected a list of values$/ },
  { category: 'wrong types', name: 'state-machine transitions as a list', args: plan('trans.yaml', one('playbook: state-machine, params: {table: shipments, column: state, transitions: [new, paid]}')), code: 2, says: /^trans\.yaml: A\.params\.transitions: expected a map of STATE: \[NEXT…\]$/ },
  { category: 'wrong types', name: 'an unknown param', args: plan('colour.yaml', one('playbook: index, params: {table: events, columns: [kind], colour: red}')), code: 2, says: /^colour\.yaml: A\.params: unknown field colour$/ },
  { category: 'wrong types', name: 'a required param missing', args: plan('notable.yaml', one('playbook: index, params: {columns: [kind]}')), code: 2, says: /^notable\.yaml: A\.params\.table: expected a table name$/ },
  { category: 'wrong types', name: 'a table that is null', args: plan('nulltable.yaml', one('playbook: index, params: {table: null, columns: [kind]}')), code: 2, says: /^nulltable\.yaml: A\.params\.table: expected a table name$/ },
  { category: 'wrong types', name: 'an onDelete rule that does not exist', args: plan('ondelete.yaml', one('playbook: foreign-key, params: {table: orders, columns: [customer_id], references: {table: customers, columns: [id]}, onDelete: explode}')), code: 2, says: /^ondelete\.yaml: A\.params\.onDelete: expected one of cascade, set-null, set-default, restrict, no-action$/ },
  { category: 'wrong types', name: 'a set value that is a map', args: plan('setmap.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount >= 0"}, resolution: {strategy: update, set: {amount: {a: 1}}}')), code: 2, says: /^setmap\.yaml: A\.resolution\.set\.amount: expected a string, number, boolean or null$/ },
  { category: 'wrong types', name: 'an update resolution without set', args: plan('noset.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount >= 0"}, resolution: {strategy: update}')), code: 2, says: /^noset\.yaml: A\.resolution\.set: strategy update needs set: \{column: value\}$/ },
  { category: 'wrong types', name: 'keep: middle', args: plan('keep.yaml', one('playbook: unique, params: {table: members, columns: [email]}, resolution: {strategy: delete, keep: middle}')), code: 2, says: /^keep\.yaml: A\.resolution\.keep: expected oldest or newest$/ },
  { category: 'wrong types', name: 'a constraint name longer than PostgreSQL keeps', args: plan('longname.yaml', one(`playbook: check, params: {table: prices, name: ${'n'.repeat(70)}, expression: "amount >= 0"}`)), code: 2, says: /^longname\.yaml: A\.params\.name: expected a name of at most 63 characters$/ },

  // ---- unknown playbooks and strategies ----
  { category: 'unknown playbooks and strategies', name: 'an unknown playbook', args: plan('pb.yaml', one('playbook: foreign-keys, params: {table: events, columns: [kind]}')), code: 2, says: /^pb\.yaml: A\.playbook: unknown playbook "foreign-keys" — known playbooks: allowed-values, check, counter, foreign-key, index, not-null, sql, state-machine, unique$/ },
  { category: 'unknown playbooks and strategies', name: 'an unknown strategy', args: plan('strategy.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount >= 0"}, resolution: {strategy: truncate}')), code: 2, says: /^strategy\.yaml: A\.resolution\.strategy: expected one of delete, update, set-null$/ },
  { category: 'unknown playbooks and strategies', name: 'set-null on a NOT NULL column', args: plan('setnull.yaml', one('playbook: unique, params: {table: members, columns: [created_at]}, resolution: {strategy: set-null}')), code: 1, says: /^A: strategy set-null cannot clear public\.members\.created_at: the column is NOT NULL — choose delete or update$/ },
  { category: 'unknown playbooks and strategies', name: '--playbooks pointing nowhere', args: async (ctx) => ['plan', '--db', ctx.db, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--playbooks', `${ctx.dir}/no-such-dir`], code: 2, says: /playbooks.*no-such-dir/ },
  {
    category: 'unknown playbooks and strategies',
    name: '--playbooks with a broken playbook',
    args: async (ctx) => {
      await ctx.file('pbdir/broken.yaml', 'name: broken\nsteps: [ {sql: \n');
      return ['plan', '--db', ctx.db, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--playbooks', `${ctx.dir}/pbdir`];
    },
    code: 2,
    says: /broken\.yaml/,
  },

  // ---- missing tables and columns ----
  { category: 'missing tables and columns', name: 'a misspelt table', args: plan('t1.yaml', one('playbook: index, params: {table: evnets, columns: [kind]}')), code: 1, says: /^A\.params\.table: unknown table "evnets" — did you mean "public\.events"\?$/ },
  { category: 'missing tables and columns', name: 'a misspelt column', args: plan('t2.yaml', one('playbook: index, params: {table: events, columns: [knd]}')), code: 1, says: /^A\.params\.columns\[0\]: table public\.events has no column "knd" — did you mean "kind"\?$/ },
  { category: 'missing tables and columns', name: 'a misspelt referenced table', args: plan('t3.yaml', one('playbook: foreign-key, params: {table: orders, columns: [customer_id], references: {table: customer, columns: [id]}, onDelete: cascade}')), code: 1, says: /^A\.params\.references\.table: unknown table "customer" — did you mean "public\.customers"\?$/ },
  { category: 'missing tables and columns', name: 'a misspelt referenced column', args: plan('t4.yaml', one('playbook: foreign-key, params: {table: orders, columns: [customer_id], references: {table: customers, columns: [idd]}, onDelete: cascade}')), code: 1, says: /^A\.params\.references\.columns\[0\]: table public\.customers has no column "idd" — did you mean "id"\?$/ },
  { category: 'missing tables and columns', name: 'a schema that does not exist', args: plan('t5.yaml', one('playbook: index, params: {table: nope.events, columns: [kind]}')), code: 1, says: /^A\.params\.table: unknown table "nope\.events": there is no schema "nope" — schemas: public$/ },
  { category: 'missing tables and columns', name: 'a misspelt column in set', args: plan('t6.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount >= 0"}, resolution: {strategy: update, set: {amont: 0}}')), code: 1, says: /^A\.resolution\.set: table public\.prices has no column "amont" — did you mean "amount"\?$/ },
  { category: 'missing tables and columns', name: 'a misspelt orderBy', args: plan('t7.yaml', one('playbook: unique, params: {table: members, columns: [email]}, resolution: {strategy: delete, orderBy: create_at}')), code: 1, says: /^A\.resolution\.orderBy: table public\.members has no column "create_at" — did you mean "created_at"\?$/ },
  { category: 'missing tables and columns', name: 'an unknown column in an expression', args: plan('t8.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "nosuch > 0"}')), code: 1, says: /^A\.params\.expression: table public\.prices has no column "nosuch" — its columns: id, amount$/ },

  // ---- foreign keys of mismatched types ----
  { category: 'foreign keys', name: 'FK columns of mismatched types (text → integer)', args: plan('fk1.yaml', one('playbook: foreign-key, params: {table: tickets, columns: [status], references: {table: customers, columns: [id]}, onDelete: cascade}')), code: 1, says: /^A\.params\.references\.columns\[0\]: type mismatch: public\.tickets\.status is text but public\.customers\.id is integer — a foreign key needs columns of compatible types$/ },
  { category: 'foreign keys', name: 'FK column counts that differ', args: plan('fk2.yaml', one('playbook: foreign-key, params: {table: orders, columns: [customer_id, total], references: {table: customers, columns: [id]}, onDelete: cascade}')), code: 1, says: /^A\.params\.references\.columns: expected 2 column\(s\) to match columns, got 1$/ },

  // ---- injection attempts, in every param that reaches SQL ----
  { category: 'injection', name: 'table: "events; DROP TABLE customers"', args: plan('i1.yaml', one('playbook: index, params: {table: "events; DROP TABLE customers", columns: [kind]}')), code: 1, says: /^A\.params\.table: unknown table "events; DROP TABLE customers"/ },
  { category: 'injection', name: 'table: a closing quote and a statement', args: plan('i2.yaml', one('playbook: index, params: {table: "events\\" (kind); DROP TABLE customers; --", columns: [kind]}')), code: 1, says: /^A\.params\.table: invalid table name .*unexpected "\\"" after a quoted name/ },
  { category: 'injection', name: 'columns: "kind); DROP TABLE customers; --"', args: plan('i3.yaml', one('playbook: index, params: {table: events, columns: ["kind); DROP TABLE customers; --"]}')), code: 1, says: /^A\.params\.columns\[0\]: does not parse: syntax error at or near "\)"/ },
  { category: 'injection', name: 'columns: an expression that closes early', args: plan('i4.yaml', one('playbook: unique, params: {table: members, columns: ["lower(email)); DROP TABLE customers; --"]}')), code: 1, says: /^A\.params\.columns\[0\]: does not parse: syntax error at or near "\)"/ },
  { category: 'injection', name: 'columns: a subquery', args: plan('i5.yaml', one('playbook: unique, params: {table: members, columns: ["(SELECT 1)"]}')), code: 1, says: /^A\.params\.columns\[0\]: key expression must not contain a subquery/ },
  { category: 'injection', name: 'where: "1=1) ; DROP TABLE customers; --"', args: plan('i6.yaml', one('playbook: unique, params: {table: members, columns: [email], where: "1=1) ; DROP TABLE customers; --"}')), code: 1, says: /^A\.params\.where: does not parse: syntax error at or near "\)"/ },
  { category: 'injection', name: 'where: "true; DELETE FROM customers"', args: plan('i7.yaml', one('playbook: unique, params: {table: members, columns: [email], where: "true; DELETE FROM customers"}')), code: 1, says: /^A\.params\.where: does not parse: syntax error at or near ";"/ },
  { category: 'injection', name: 'where: a subquery reading another table', args: plan('i8.yaml', one('playbook: index, params: {table: events, columns: [kind], where: "kind IN (SELECT name FROM customers)"}')), code: 1, says: /^A\.params\.where: WHERE predicate must not contain a subquery/ },
  { category: 'injection', name: 'where: pg_sleep', args: plan('i9.yaml', one('playbook: index, params: {table: events, columns: [kind], where: "pg_sleep(5) IS NOT NULL"}')), code: 1, says: /^A\.params\.where: WHERE predicate calls pg_sleep\(double precision\), which is VOLATILE — a finding's expressions may only call IMMUTABLE or STABLE functions/ },
  { category: 'injection', name: 'expression: "1) FROM prices WHERE (1=1"', args: plan('i10.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "1) FROM prices WHERE (1=1"}')), code: 1, says: /^A\.params\.expression: expression must be exactly one SQL expression/ },
  { category: 'injection', name: 'expression: "amount >= 0; DROP TABLE prices"', args: plan('i11.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount >= 0; DROP TABLE prices"}')), code: 1, says: /^A\.params\.expression: does not parse: syntax error at or near ";"/ },
  { category: 'injection', name: 'expression: set_config', args: plan('i12.yaml', one(`playbook: check, params: {table: prices, name: c1, expression: "set_config('a.b', 'c', false) IS NOT NULL"}`)), code: 1, says: /^A\.params\.expression: expression calls set_config\(text,text,boolean\), which is VOLATILE/ },
  { category: 'injection', name: 'expression: an unterminated comment', args: plan('i13.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount >= 0 /*"}')), code: 1, says: /^A\.params\.expression: does not parse: unterminated \/\* comment/ },
  { category: 'injection', name: 'expression: a subquery', args: plan('i14.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount >= (SELECT max(id) FROM customers)"}')), code: 1, says: /^A\.params\.expression: expression must not contain a subquery/ },
  { category: 'injection', name: 'counter expression: a second statement', args: plan('i15.yaml', one('playbook: counter, params: {table: posts, column: comment_count, expression: "(SELECT count(*) FROM comments WHERE comments.post_id = posts.id); DROP TABLE posts"}')), code: 1, says: /^A\.params\.expression: does not parse: syntax error at or near ";"/ },
  { category: 'injection', name: 'counter expression: pg_sleep inside the subquery', args: plan('i16.yaml', one('playbook: counter, params: {table: posts, column: comment_count, expression: "(SELECT count(*) FROM comments WHERE comments.post_id = posts.id AND pg_sleep(1) IS NULL)"}')), code: 1, says: /^A\.params\.expression: expression calls pg_sleep\(double precision\), which is VOLATILE/ },
  { category: 'injection', name: 'set: a column name carrying a statement', args: plan('i17.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount >= 0"}, resolution: {strategy: update, set: {"amount = 0; DROP TABLE prices; --": 1}}')), code: 1, says: /^A\.resolution\.set: table public\.prices has no column "amount = 0; DROP TABLE prices; --" — its columns: id, amount$/ },
  { category: 'injection', name: 'set: a value carrying a statement (into a numeric column), applied', args: applyFindings('i18.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount >= 0"}, resolution: {strategy: update, set: {amount: "0; DROP TABLE prices"}}')), code: 1, says: /invalid input syntax for type numeric: "0; DROP TABLE prices" — nothing was changed \(rolled back\)$/ },
  { category: 'injection', name: 'orderBy: "created_at; DROP TABLE members"', args: plan('i19.yaml', one('playbook: unique, params: {table: members, columns: [email]}, resolution: {strategy: delete, orderBy: "created_at; DROP TABLE members"}')), code: 1, says: /^A\.resolution\.orderBy: table public\.members has no column "created_at; DROP TABLE members"/ },
  { category: 'injection', name: 'orderBy: a second sort key with a subquery', args: plan('i20.yaml', one('playbook: unique, params: {table: members, columns: [email]}, resolution: {strategy: delete, orderBy: "created_at DESC, (SELECT 1)"}')), code: 1, says: /^A\.resolution\.orderBy: table public\.members has no column "created_at DESC, \(SELECT 1\)"/ },
  { category: 'injection', name: 'include: a column closing the list', args: plan('i21.yaml', one('playbook: index, params: {table: events, columns: [kind], include: ["at) ; DROP TABLE events; --"]}')), code: 1, says: /^A\.params\.include\[0\]: table public\.events has no column "at\) ; DROP TABLE events; --"/ },
  { category: 'injection', name: 'column: "status) OR (true"', args: plan('i22.yaml', one('playbook: allowed-values, params: {table: tickets, column: "status) OR (true", values: [open]}')), code: 1, says: /^A\.params\.column: table public\.tickets has no column "status\) OR \(true"/ },
  { category: 'injection', name: 'expression: not a boolean', args: plan('i23.yaml', one('playbook: check, params: {table: prices, name: c1, expression: "amount + 1"}')), code: 1, says: /^A: check violations: argument of IS FALSE must be type boolean, not type numeric/ },

  // ---- hand-written SQL that does not parse ----
  { category: 'broken SQL', name: 'sql playbook: an unfinished statement', args: plan('s1.yaml', one('playbook: sql, params: {sql: "ALTER TABLE orders ADD CONSTRAINT"}')), code: 1, says: /^A\.params\.sql: does not parse: syntax error at end of input/ },
  { category: 'broken SQL', name: 'sql playbook: a misspelt keyword in the second statement', args: plan('s2.yaml', one('playbook: sql, params: {sql: "SELECT 1; SELEC 2"}')), code: 1, says: /^A\.params\.sql: does not parse: syntax error at or near "SELEC"/ },
  { category: 'broken SQL', name: 'import: a report whose SQL does not parse', args: async (ctx) => ['import', await ctx.file('broken.md', '# Audit\n\n## 1.1 orders.customer_id has no FK\n\n```sql\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers(id\n```\n')], code: 1, says: /^.*broken\.md: no findings imported: 1 SQL statement\(s\) failed to parse \(line 6: syntax error at end of input.*\) — fix the SQL in the report/ },
  { category: 'broken SQL', name: 'import: a report with no SQL', args: async (ctx) => ['import', await ctx.file('prose.md', '# Audit\n\nEverything is fine.\n')], code: 1, says: /prose\.md: no findings imported: it has no SQL that changes the schema or data/ },
  { category: 'broken SQL', name: 'import: an empty report', args: async (ctx) => ['import', await ctx.file('empty.md', '')], code: 1, says: /empty\.md: no findings imported/ },
  { category: 'broken SQL', name: 'import: a binary report', args: async (ctx) => ['import', await ctx.file('report.md', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]))], code: 2, says: /^cannot read .*report\.md: not a text file — give the Markdown audit report$/ },
  { category: 'broken SQL', name: 'import: a report that does not exist', args: (ctx) => ['import', `${ctx.dir}/nope.md`], code: 2, says: /^cannot read .*nope\.md: no such file$/ },

  // ---- plan files ----
  { category: 'plan files', name: 'a truncated plan file', args: rawPlanFile('trunc.json', '{"version": 1, "findings": ['), code: 2, says: /^.*trunc\.json: not valid JSON \(.*\) — regenerate it with `pgmend plan --format json`$/ },
  { category: 'plan files', name: 'a plan file that is a list', args: rawPlanFile('list-plan.json', '[]'), code: 2, says: /list-plan\.json: .*expected object.* — regenerate it/ },
  { category: 'plan files', name: 'a plan of an unknown version', args: rawPlanFile('v2.json', '{"version": 2}'), code: 2, says: /v2\.json: version: unsupported plan version \(this pgmend reads version 1\)/ },
  { category: 'plan files', name: 'an empty plan file', args: rawPlanFile('empty-plan.json', ''), code: 2, says: /empty-plan\.json: not valid JSON/ },
  { category: 'plan files', name: 'a binary plan file', args: rawPlanFile('bin-plan.json', Buffer.from([0xff, 0xfe, 0, 0, 1, 2, 3, 4])), code: 2, says: /bin-plan\.json: not valid JSON/ },
  { category: 'plan files', name: 'a plan file that does not exist', args: (ctx) => ['apply', '--db', ctx.db, '--plan', `${ctx.dir}/nope.json`, '--window', ctx.window, '--yes'], code: 2, says: /^cannot read plan file .*nope\.json: no such file — write one with pgmend plan --format json --out FILE$/ },
  {
    category: 'plan files',
    name: 'a plan file whose step SQL was edited to drop a table',
    args: applyPlanFile('tampered-step.json', (p) => {
      const steps = findingOf(p, 'SHOP-CHK').steps as { sql: string }[];
      steps[steps.length - 1]!.sql = 'ALTER TABLE public.prices ADD CONSTRAINT prices_amount_nonneg CHECK (amount >= 0); DROP TABLE public.customers CASCADE';
    }),
    code: 1,
    says: /^refused: the plan's SQL is not what its findings render to — SHOP-CHK step 5: the plan says "… CHECK \(amount >= 0\); DROP TABLE public\.customers CASCADE" where the finding renders "… CHECK \(amount >= 0\)" — the plan file was edited/,
  },
  {
    category: 'plan files',
    name: 'a plan file whose rollback SQL was edited',
    args: applyPlanFile('tampered-rollback.json', (p) => {
      findingOf(p, 'SHOP-CHK').rollback = ['DROP TABLE public.customers CASCADE'];
    }),
    code: 1,
    says: /^refused: the plan's SQL is not what its findings render to — SHOP-CHK: its rollback SQL differs from what the finding renders/,
  },
  {
    category: 'plan files',
    name: 'a plan file whose verification SQL was edited',
    args: applyPlanFile('tampered-verify.json', (p) => {
      findingOf(p, 'SHOP-IDX').verify = [{ says: 'always', sql: 'SELECT true AS ok FROM pg_sleep(0)' }];
    }),
    code: 1,
    says: /SHOP-IDX: its verification SQL differs/,
  },
  {
    category: 'plan files',
    name: 'a plan file whose blocking counts were zeroed',
    args: applyPlanFile('tampered-counts.json', (p) => {
      const f = findingOf(p, 'SHOP-CHK');
      for (const c of f.checks as { rows: number }[]) c.rows = 0;
    }),
    code: 1,
    says: /^refused: the plan is stale — SHOP-CHK violations: 0 rows in the plan, 4 now/,
  },
  { category: 'plan files', name: 'a window-mode plan applied with --mode online', args: (ctx) => ['apply', '--db', ctx.db, '--plan', ctx.planFile, '--mode', 'online', '--window', ctx.window, '--yes'], code: 2, says: /^the plan was made for window mode, not online — make a new plan with --mode online$/ },

  // ---- connections ----
  { category: 'connections', name: 'a mysql:// URL', args: async (ctx) => ['plan', '--db', 'mysql://root@localhost/shop', '--findings', await ctx.file('shop.yaml', SHOP_FILE)], code: 2, says: /^--db: unsupported scheme "mysql" — use postgresql:\/\/user@host:5432\/dbname$/ },
  { category: 'connections', name: 'an http:// URL', args: async (ctx) => ['plan', '--db', 'http://localhost:5432/shop', '--findings', await ctx.file('shop.yaml', SHOP_FILE)], code: 2, says: /^--db: unsupported scheme "http"/ },
  { category: 'connections', name: 'DATABASE_URL with a bad scheme', args: async (ctx) => ['plan', '--findings', await ctx.file('shop.yaml', SHOP_FILE)], env: () => ({ DATABASE_URL: 'jdbc:postgresql://localhost/shop' }), code: 2, says: /^--db: unsupported scheme "jdbc"/ },
  { category: 'connections', name: 'not a URL at all', args: async (ctx) => ['plan', '--db', 'not a url', '--findings', await ctx.file('shop.yaml', SHOP_FILE)], code: 2, says: /^--db: not a connection URL: not a url — use postgresql:\/\// },
  { category: 'connections', name: 'a port out of range', args: async (ctx) => ['plan', '--db', 'postgresql://postgres@127.0.0.1:99999/shop', '--findings', await ctx.file('shop.yaml', SHOP_FILE)], code: 2, says: /^--db: not a connection URL/ },
  { category: 'connections', name: 'nothing listening', args: async (ctx) => ['plan', '--db', 'postgresql://postgres@127.0.0.1:1/shop', '--findings', await ctx.file('shop.yaml', SHOP_FILE)], code: 1, says: /^cannot connect to postgres@127\.0\.0\.1:1\/shop: connection refused — is PostgreSQL running there\?/ },
  { category: 'connections', name: 'an unknown host', args: async (ctx) => ['plan', '--db', 'postgresql://postgres@no-such-host.invalid/shop', '--findings', await ctx.file('shop.yaml', SHOP_FILE)], code: 1, says: /^cannot connect to postgres@no-such-host\.invalid:5432\/shop: (unknown host no-such-host\.invalid — check the host name|timed out)/ },
  { category: 'connections', name: 'a database that does not exist', args: async (ctx) => ['plan', '--db', ctx.db.replace(/\/[^/]+$/, '/no_such_db'), '--findings', await ctx.file('shop.yaml', SHOP_FILE)], code: 1, says: /^cannot connect to .*\/no_such_db: database "no_such_db" does not exist — check the database name in --db$/ },
  { category: 'connections', name: 'a role that does not exist', args: async (ctx) => ['plan', '--db', ctx.db.replace('//postgres@', '//no_such_role@'), '--findings', await ctx.file('shop.yaml', SHOP_FILE)], code: 1, says: /^cannot connect to no_such_role@.*: role "no_such_role" does not exist — check the user name/ },
  { category: 'connections', name: 'a wrong password in the URL', args: async (ctx) => ['plan', '--db', ctx.password.base.replace('//', `//${ctx.password.user}:wrong-password@`), '--findings', await ctx.file('shop.yaml', SHOP_FILE)], code: 1, says: /^cannot connect to \w+@127\.0\.0\.1:\d+\/postgres: authentication failed for user "\w+" — check the password \(URL, PGPASSWORD or ~\/\.pgpass\)$/ },
  { category: 'connections', name: 'a wrong password in PGPASSWORD', args: async (ctx) => ['plan', '--db', ctx.password.base.replace('//', `//${ctx.password.user}@`), '--findings', await ctx.file('shop.yaml', SHOP_FILE)], env: () => ({ PGPASSWORD: 'also-wrong' }), code: 1, says: /authentication failed for user "\w+" — check the password/ },
  { category: 'connections', name: 'no password where one is required', args: async (ctx) => ['plan', '--db', ctx.password.base.replace('//', `//${ctx.password.user}@`), '--findings', await ctx.file('shop.yaml', SHOP_FILE)], env: () => ({ PGPASSWORD: '', PGPASSFILE: '/nonexistent' }), code: 1, says: /^cannot connect to \w+@127\.0\.0\.1:\d+\/postgres: the server asks for a password and none was given — set PGPASSWORD, or put it in ~\/\.pgpass/ },

  // ---- server state and privileges ----
  { category: 'read-only server and privileges', name: 'apply on a read-only database (default_transaction_read_only), window mode', args: async (ctx) => ['apply', '--db', ctx.readOnlyDb, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--window', ctx.window, '--yes', '--snapshots', `${ctx.dir}/snapshots`], code: 1, says: /^refused: database \w+ is read-only for this session \(transaction_read_only is on: default_transaction_read_only is set\) — nothing was changed; apply where default_transaction_read_only is off/ },
  { category: 'read-only server and privileges', name: 'apply on a read-only database, online mode', args: async (ctx) => ['apply', '--db', ctx.readOnlyDb, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--mode', 'online', '--window', ctx.window, '--yes', '--snapshots', `${ctx.dir}/snapshots`], code: 1, says: /^refused: database \w+ is read-only for this session/ },
  { category: 'read-only server and privileges', name: 'a role with table privileges but not the owner, altering a table', args: async (ctx) => ['apply', '--db', ctx.privDb.asDml, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--window', ctx.window, '--yes', '--snapshots', `${ctx.dir}/snapshots`], code: 1, says: /^refused: role "\w+" lacks privileges this apply needs — ownership of public\.events \(owner "\w+", for CREATE INDEX\): SHOP-IDX; CREATE on schema public: SHOP-IDX — nothing was changed; run apply as the tables' owner/ },
  {
    category: 'read-only server and privileges',
    name: 'the owner without DELETE on the table a resolution deletes from, nor CREATE on the database',
    args: async (ctx) => ['apply', '--db', ctx.privDb.asOwner, '--findings', await ctx.file('fk.yaml', F('  - {id: SHOP-FK, title: orphans, severity: high, playbook: foreign-key, params: {table: orders, columns: [customer_id], references: {table: customers, columns: [id]}, onDelete: cascade}, resolution: {strategy: delete}}\n')), '--window', ctx.window, '--yes', '--snapshots', `${ctx.dir}/snapshots`],
    code: 1,
    says: /^refused: role "\w+" lacks privileges this apply needs — DELETE on public\.orders: SHOP-FK; CREATE on database \w+: the journal, SHOP-FK — /,
  },
  { category: 'read-only server and privileges', name: 'the owner without CREATE on the database (the journal) nor on schema public (the index)', args: async (ctx) => ['apply', '--db', ctx.privDb.asOwner, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--mode', 'online', '--window', ctx.window, '--yes', '--snapshots', `${ctx.dir}/snapshots`], code: 1, says: /^refused: role "\w+" lacks privileges this apply needs — CREATE on schema public: SHOP-IDX; CREATE on database \w+: the journal — nothing was changed; run apply as a role that has them, or GRANT what is listed$/ },

  // ---- command line ----
  { category: 'command line', name: 'a malformed --window', args: async (ctx) => ['apply', '--db', ctx.db, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--window', '25:00-26:00', '--yes'], code: 2, says: /^--window 25:00-26:00: / },
  { category: 'command line', name: '--lock-timeout that is not a number', args: async (ctx) => ['apply', '--db', ctx.db, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--window', ctx.window, '--lock-timeout', 'soon', '--yes'], code: 2, says: /^--lock-timeout: expected a whole number ≥ 1, got "soon"$/ },
  { category: 'command line', name: 'an unknown --mode', args: async (ctx) => ['plan', '--db', ctx.db, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--mode', 'fast'], code: 2, says: /^option '--mode <mode>' argument 'fast' is invalid\. Allowed choices are window, online — run pgmend --help for usage$/ },
  { category: 'command line', name: 'an unknown --format', args: async (ctx) => ['plan', '--db', ctx.db, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--format', 'xml'], code: 2, says: /argument 'xml' is invalid\. Allowed choices are md, json, sql — run pgmend --help for usage$/ },
  { category: 'command line', name: '--only naming a finding that is not there', args: async (ctx) => ['apply', '--db', ctx.db, '--findings', await ctx.file('shop.yaml', SHOP_FILE), '--only', 'SHOP-IDX,NOPE', '--window', ctx.window, '--yes'], code: 2, says: /^--only: no finding "NOPE" in the plan — findings: SHOP-IDX$/ },
  { category: 'command line', name: '--resume that is not a run id', args: (ctx) => ['apply', '--db', ctx.db, '--resume', 'last', '--window', ctx.window, '--yes'], code: 2, says: /^--resume: expected a whole number ≥ 1, got "last"$/ },
  { category: 'command line', name: 'rollback of a run that does not exist', args: (ctx) => ['rollback', '--db', ctx.db, '--run', '999', '--yes'], code: 1, says: /999/ },
  { category: 'command line', name: 'an unknown command', args: () => ['fix-everything'], code: 2, says: /^unknown command 'fix-everything' — run pgmend --help for usage$/ },
  { category: 'command line', name: 'an unknown option', args: (ctx) => ['plan', '--db', ctx.db, '--force-it'], code: 2, says: /^unknown option '--force-it' — run pgmend --help for usage$/ },
];
