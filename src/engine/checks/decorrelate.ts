import { deparseSync, parseSync } from 'pgsql-parser';

/**
 * Correlated aggregate subqueries in a check's predicate — a counter's
 * `(SELECT count(*) FROM usage_logs WHERE usage_logs.identity_id = identities.id AND …)` — run once
 * per row of the checked table, each an index scan that visits that parent's child rows one heap
 * page at a time: on a child table of millions of rows, every page is read hundreds of times.
 * The same values come from ONE scan of the child table grouped by its key, LEFT JOINed back:
 * subqueries over the same child table and key share that scan (their WHERE moves into each
 * aggregate's FILTER, which gives the same value, empty groups included).
 *
 * Only the plainly safe shape is rewritten: one known aggregate over one table (qualified column
 * references only), correlated by equalities `inner.col = outer.col` and nothing else naming the
 * outer table. Anything else is left as it is (still correct, just slower).
 *
 * Likewise an orphan check's `EXISTS (SELECT … FROM parent WHERE parent.k = outer.x)`, when `k`
 * holds a unique key of the parent (so a join cannot repeat a row), becomes a LEFT JOIN to the
 * parent: the planner can then hash it, in parallel, even against a parent of millions of rows —
 * inside an aggregate's FILTER an EXISTS is otherwise probed once per row.
 */

type Node = Record<string, unknown>;

/** Aggregates and their value over no rows: count is 0, the others NULL (a LEFT JOIN miss). */
const AGGREGATES: Record<string, 'zero' | 'null'> = { count: 'zero', sum: 'null', min: 'null', max: 'null', avg: 'null', bool_and: 'null', bool_or: 'null', every: 'null' };

const strings = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((f) => (f as { String?: { sval?: string } }).String?.sval ?? '\u0000') : [];

/** One grouped scan of a child table: `SELECT keys, values FROM from GROUP BY keys`, LEFT JOINed on outerKeys. */
export interface DerivedTable {
  alias: string;
  from: string;
  keys: string[];
  outerKeys: string[];
  values: string[];
  /** Per value: how partial results over sub-groups combine, `$` standing for them (`sum($)::bigint` for a count); '' when they cannot (avg, DISTINCT). */
  rollups: string[];
}

/** How partial aggregates over sub-groups combine into the aggregate over their union (`$`: the partials). */
const ROLLUP: Record<string, string> = { count: 'sum($)::bigint', sum: 'sum($)', min: 'min($)', max: 'max($)', bool_and: 'bool_and($)', every: 'bool_and($)', bool_or: 'bool_or($)' };

interface ParentJoin {
  alias: string;
  from: string;
  on: string;
  /** A parent key column: NULL after the join exactly when no parent row matched. */
  probe: string;
}

/** The unique keys (column names) of a table a query names; undefined when it is not known. */
export type UniqueKeys = (table: { schema?: string; name: string }) => string[][] | undefined;

interface Correlated {
  from: string;
  keys: string[];
  outerKeys: string[];
  aggregate: Node;
  empty: 'zero' | 'null';
  rollup: string;
}

export class AggregateJoins {
  private readonly derived: DerivedTable[] = [];
  private readonly parents: ParentJoin[] = [];
  /** A rewritten predicate still holds a subquery (it stays correlated). */
  subqueriesLeft = false;

  /**
   * @param outer the checked table, as the predicates name it (`identities` or `public.identities`)
   * @param uniqueKeys enables the EXISTS → LEFT JOIN rewrite (it needs to know the parent's keys)
   * @param prefix keeps aliases apart when several instances share one query
   */
  constructor(
    private readonly outer: { schema: string; name: string },
    private readonly uniqueKeys?: UniqueKeys,
    private readonly prefix = 'pgmend_d',
  ) {}

  /** The predicate with each rewritable subquery replaced by a joined column; unchanged otherwise. */
  rewrite(predicate: string): string {
    let tree: { stmts: { stmt: Node }[] };
    try {
      tree = parseSync(`SELECT (${predicate})`) as typeof tree;
    } catch {
      return predicate;
    }
    const target = ((tree.stmts[0]?.stmt.SelectStmt as Node | undefined)?.targetList as Node[] | undefined)?.[0]?.ResTarget as Node | undefined;
    if (!target?.val) return predicate;
    const found: { holder: Node | unknown[]; key: string | number; correlated?: Correlated; parent?: Omit<ParentJoin, 'alias'> }[] = [];
    let unsafe = false;
    let left = false;
    const visit = (node: unknown, holder: Node | unknown[], key: string | number): void => {
      if (Array.isArray(node)) {
        node.forEach((n, i) => visit(n, node, i));
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const sub = (node as Node).SubLink as Node | undefined;
      if (sub) {
        const correlated = sub.subLinkType === 'EXPR_SUBLINK' ? this.match(sub.subselect as Node) : undefined;
        const parent = sub.subLinkType === 'EXISTS_SUBLINK' ? this.matchExists(sub.subselect as Node) : undefined;
        if (correlated) found.push({ holder, key, correlated });
        else if (parent) found.push({ holder, key, parent });
        else {
          left = true;
          if (sub.subLinkType === 'EXPR_SUBLINK' && this.namesOuter(sub)) unsafe = true;
        }
        return; // nested subqueries stay as they are
      }
      for (const [k, v] of Object.entries(node as Node)) visit(v, node as Node, k);
    };
    visit(target.val, target, 'val');
    if (found.length === 0 || unsafe) {
      this.subqueriesLeft ||= found.length > 0 || left;
      return predicate;
    }
    const placeholders: string[] = [];
    for (const f of found) {
      let text: string;
      if (f.correlated) {
        const column = this.place(f.correlated);
        text = f.correlated.empty === 'zero' ? `coalesce(${column}, 0)` : column;
      } else {
        const alias = `${this.prefix}p${this.parents.length}`;
        this.parents.push({ alias, ...f.parent! });
        text = `(${alias}.${f.parent!.probe} IS NOT NULL)`;
      }
      const i = placeholders.push(text) - 1;
      (f.holder as Record<string | number, unknown>)[f.key] = { ColumnRef: { fields: [{ String: { sval: `pgmend_placeholder_${i}` } }] } };
    }
    let text: string;
    try {
      text = deparseSync(target.val as never);
    } catch {
      this.subqueriesLeft = true;
      return predicate;
    }
    this.subqueriesLeft ||= left;
    return text.replace(/\bpgmend_placeholder_(\d+)\b/g, (_, i: string) => placeholders[Number(i)]!);
  }

  /**
   * `WITH …` to put before the query: each grouped scan as a MATERIALIZED CTE, so it is planned
   * for all its rows — under a LIMIT (samples) the planner would otherwise walk the child's index
   * in key order, visiting every child row through the heap.
   */
  with(): string {
    return this.derived.length === 0 ? '' : `WITH ${this.ctes().join(',\n')}\n`;
  }

  /** The grouped scans' CTEs, without `WITH`; `body` may answer one from elsewhere (same columns: pgmend_k*, pgmend_v*). */
  ctes(body?: (d: DerivedTable) => string | undefined): string[] {
    return this.derived.map((d) => {
      const cols = [...d.keys.map((k, i) => `${k} AS pgmend_k${i}`), ...d.values.map((v, i) => `${v} AS pgmend_v${i}`)].join(', ');
      const groupBy = d.keys.map((_, i) => String(i + 1)).join(', ');
      return `${d.alias} AS MATERIALIZED (${body?.(d) ?? `SELECT ${cols} FROM ${d.from} GROUP BY ${groupBy}`})`;
    });
  }

  /** The grouped scans the rewritten predicates join. */
  grouped(): readonly DerivedTable[] {
    return this.derived;
  }

  /** The LEFT JOINs the rewritten predicates need, to follow `FROM <outer table>`. */
  joins(): string {
    const grouped = this.derived.map((d) => `\nLEFT JOIN ${d.alias} ON ${d.outerKeys.map((o, i) => `${d.alias}.pgmend_k${i} = ${o}`).join(' AND ')}`);
    const parents = this.parents.map((p) => `\nLEFT JOIN ${p.from} AS ${p.alias} ON ${p.on.replaceAll('pgmend_alias', p.alias)}`);
    return [...grouped, ...parents].join('');
  }

  /**
   * `EXISTS (SELECT … FROM parent [AS a] WHERE a.k1 = outer.x1 AND …)` — equalities only, whose
   * parent columns hold a unique key of the parent — else undefined.
   */
  private matchExists(select: Node | undefined): Omit<ParentJoin, 'alias'> | undefined {
    const s = select?.SelectStmt as Node | undefined;
    if (!s || !this.uniqueKeys) return undefined;
    const allowed = new Set(['targetList', 'fromClause', 'whereClause', 'limitOption', 'op']);
    if (Object.keys(s).some((k) => !allowed.has(k)) || (s.op !== undefined && s.op !== 'SETOP_NONE')) return undefined;
    const from = s.fromClause as Node[] | undefined;
    const range = from?.length === 1 ? (from[0]!.RangeVar as Node | undefined) : undefined;
    if (!range || range.inh === false) return undefined;
    const innerName = ((range.alias as Node | undefined)?.aliasname as string | undefined) ?? (range.relname as string);
    if (innerName === this.outer.name) return undefined;
    const where = s.whereClause as Node | undefined;
    if (!where) return undefined;
    const bool = where.BoolExpr as Node | undefined;
    const conjuncts = bool?.boolop === 'AND_EXPR' ? (bool.args as Node[]) : bool ? [] : [where];
    if (conjuncts.length === 0) return undefined;
    const pairs: { inner: string; outer: string }[] = [];
    for (const c of conjuncts) {
      const e = c.A_Expr as Node | undefined;
      if (e?.kind !== 'AEXPR_OP' || strings(e.name).join('.') !== '=') return undefined;
      const l = strings(((e.lexpr as Node | undefined)?.ColumnRef as Node | undefined)?.fields);
      const r = strings(((e.rexpr as Node | undefined)?.ColumnRef as Node | undefined)?.fields);
      if (l.length === 2 && l[0] === innerName && this.isOuter(r)) pairs.push({ inner: l[1]!, outer: deparseSync(e.rexpr as never) });
      else if (r.length === 2 && r[0] === innerName && this.isOuter(l)) pairs.push({ inner: r[1]!, outer: deparseSync(e.lexpr as never) });
      else return undefined;
    }
    const keys = this.uniqueKeys({ ...(range.schemaname ? { schema: range.schemaname as string } : {}), name: range.relname as string });
    const columns = new Set(pairs.map((p) => p.inner));
    if (!keys?.some((k) => k.length > 0 && k.every((col) => columns.has(col)))) return undefined;
    const ident = (name: string) => deparseSync({ ColumnRef: { fields: [{ String: { sval: name } }] } } as never);
    const bare: Node = { ...range };
    delete bare.alias;
    const fromText = deparseSync({ RangeVar: bare } as never);
    // Only the key columns are exposed: a parent column named like one of the checked table's
    // would make the other predicates' unqualified references ambiguous.
    return {
      from: `(SELECT ${pairs.map((p, i) => `${ident(p.inner)} AS pgmend_k${i}`).join(', ')} FROM ${fromText})`,
      on: pairs.map((p, i) => `pgmend_alias.pgmend_k${i} = ${p.outer}`).join(' AND '),
      probe: 'pgmend_k0',
    };
  }

  /** Adds the aggregate to the derived table of its child table and key; returns its column. */
  private place(c: Correlated): string {
    let d = this.derived.find((x) => x.from === c.from && x.keys.join('\u0000') === c.keys.join('\u0000') && x.outerKeys.join('\u0000') === c.outerKeys.join('\u0000'));
    if (!d) {
      d = { alias: `${this.prefix}${this.derived.length}`, from: c.from, keys: c.keys, outerKeys: c.outerKeys, values: [], rollups: [] };
      this.derived.push(d);
    }
    const value = deparseSync(c.aggregate as never);
    let i = d.values.indexOf(value);
    if (i < 0) {
      i = d.values.push(value) - 1;
      d.rollups.push(c.rollup);
    }
    return `${d.alias}.pgmend_v${i}`;
  }

  private isOuter(parts: string[]): boolean {
    return (parts.length === 2 && parts[0] === this.outer.name) || (parts.length === 3 && parts[0] === this.outer.schema && parts[1] === this.outer.name);
  }

  private namesOuter(node: unknown): boolean {
    let hit = false;
    const visit = (n: unknown): void => {
      if (hit || n === null || typeof n !== 'object') return;
      if (Array.isArray(n)) return n.forEach(visit);
      const ref = (n as Node).ColumnRef as Node | undefined;
      if (ref && this.isOuter(strings(ref.fields))) hit = true;
      Object.values(n as Node).forEach(visit);
    };
    visit(node);
    return hit;
  }

  /** `SELECT agg(…) FROM child [AS a] WHERE child.k = outer.k AND <child-only conditions>`, else undefined. */
  private match(select: Node | undefined): Correlated | undefined {
    const s = select?.SelectStmt as Node | undefined;
    if (!s) return undefined;
    const allowed = new Set(['targetList', 'fromClause', 'whereClause', 'limitOption', 'op']);
    if (Object.keys(s).some((k) => !allowed.has(k)) || (s.op !== undefined && s.op !== 'SETOP_NONE')) return undefined;
    const targets = s.targetList as Node[] | undefined;
    const from = s.fromClause as Node[] | undefined;
    if (targets?.length !== 1 || from?.length !== 1) return undefined;
    const range = from[0]!.RangeVar as Node | undefined;
    if (!range) return undefined;
    const innerName = ((range.alias as Node | undefined)?.aliasname as string | undefined) ?? (range.relname as string);
    if (innerName === this.outer.name) return undefined;
    const fc = (targets[0]!.ResTarget as Node | undefined)?.val as Node | undefined;
    const call = fc?.FuncCall as Node | undefined;
    const fname = strings(call?.funcname);
    const aggName = fname.length === 1 || (fname.length === 2 && fname[0] === 'pg_catalog') ? fname.at(-1)! : '';
    if (!call || !(aggName in AGGREGATES) || call.over || call.agg_within_group) return undefined;

    // Every column reference inside is qualified: by the child (inner) or, only in the key equalities, by the outer table.
    const conjuncts: Node[] = [];
    const where = s.whereClause as Node | undefined;
    if (!where) return undefined;
    const bool = where.BoolExpr as Node | undefined;
    if (bool?.boolop === 'AND_EXPR') conjuncts.push(...(bool.args as Node[]));
    else conjuncts.push(where);
    const keys: string[] = [];
    const outerKeys: string[] = [];
    const rest: Node[] = [];
    const innerRef = (n: Node | undefined) => {
      const parts = strings((n?.ColumnRef as Node | undefined)?.fields);
      return parts.length === 2 && parts[0] === innerName;
    };
    const outerRef = (n: Node | undefined) => this.isOuter(strings((n?.ColumnRef as Node | undefined)?.fields));
    for (const c of conjuncts) {
      const e = c.A_Expr as Node | undefined;
      const isEq = e?.kind === 'AEXPR_OP' && strings(e.name).join('.') === '=';
      const l = e?.lexpr as Node | undefined;
      const r = e?.rexpr as Node | undefined;
      if (isEq && innerRef(l) && outerRef(r)) {
        keys.push(deparseSync(l as never));
        outerKeys.push(deparseSync(r as never));
      } else if (isEq && outerRef(l) && innerRef(r)) {
        keys.push(deparseSync(r as never));
        outerKeys.push(deparseSync(l as never));
      } else {
        rest.push(c);
      }
    }
    if (keys.length === 0) return undefined;
    const onlyInner = (n: unknown): boolean => {
      let ok = true;
      const visit = (x: unknown): void => {
        if (!ok || x === null || typeof x !== 'object') return;
        if (Array.isArray(x)) return x.forEach(visit);
        if ((x as Node).SubLink) {
          ok = false;
          return;
        }
        const ref = (x as Node).ColumnRef as Node | undefined;
        if (ref) {
          const parts = strings(ref.fields);
          const star = (ref.fields as Node[]).some((f) => 'A_Star' in f);
          if (star || parts.length !== 2 || parts[0] !== innerName) ok = false;
        }
        Object.values(x as Node).forEach(visit);
      };
      visit(n);
      return ok;
    };
    if (!rest.every(onlyInner) || !onlyInner(call.args ?? []) || !onlyInner(call.agg_filter ?? []) || !onlyInner(call.agg_order ?? [])) return undefined;

    // The child-only conditions become the aggregate's FILTER: same value per key, one shared scan.
    const filters = [...(call.agg_filter ? [call.agg_filter as Node] : []), ...rest];
    const aggregate: Node = { FuncCall: { ...call } };
    if (filters.length === 1) (aggregate.FuncCall as Node).agg_filter = filters[0];
    else if (filters.length > 1) (aggregate.FuncCall as Node).agg_filter = { BoolExpr: { boolop: 'AND_EXPR', args: filters } };
    const rollup = call.agg_distinct ? '' : (ROLLUP[aggName] ?? '');
    return { from: deparseSync(from[0] as never), keys, outerKeys, aggregate, empty: AGGREGATES[aggName]!, rollup };
  }
}
