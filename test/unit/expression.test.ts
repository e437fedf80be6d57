import { beforeAll, describe, expect, it } from 'vitest';
import { ensureParser, parseExpression, parseStatements, SqlInputError, type ExpressionOptions } from '../../src/playbooks/expression.js';

/**
 * The parser guard in front of every template: text from a finding must be exactly one SQL
 * expression (checked with the real PostgreSQL parser), with no side effects, so it can be spliced
 * where an expression goes and stay one expression there.
 */

beforeAll(async () => {
  await ensureParser();
});

const EXPR: ExpressionOptions = { what: 'expression' };
const COUNTER: ExpressionOptions = { what: 'counter expression', subqueries: true, tableName: 'invoice' };

function rejects(text: string, opts: ExpressionOptions = EXPR): string {
  try {
    parseExpression(text, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(SqlInputError);
    const msg = (e as Error).message;
    expect(msg.split('\n'), msg).toHaveLength(1);
    return msg;
  }
  throw new Error(`accepted: ${text}`);
}

describe('accepted', () => {
  it('one expression, parenthesised, with the columns it names', () => {
    expect(parseExpression('amount > 0', EXPR)).toEqual({ sql: '(amount > 0)', columns: ['amount'] });
    expect(parseExpression('  valid_until IS NULL OR valid_until > valid_from \n', EXPR)).toEqual({
      sql: '(valid_until IS NULL OR valid_until > valid_from)',
      columns: ['valid_until', 'valid_from'],
    });
    expect(parseExpression('lower(name)', { what: 'key', tableName: 't' }).columns).toEqual(['name']);
  });

  it('parentheses inside literals, quoted names and comments do not count', () => {
    expect(parseExpression("x = 'a)' OR y", EXPR).sql).toBe("(x = 'a)' OR y)");
    expect(parseExpression('"a)" > 0', EXPR).sql).toBe('("a)" > 0)');
    expect(parseExpression('$$)$$ = a', EXPR).sql).toBe('($$)$$ = a)');
    expect(parseExpression('a > 0 /* ) */', EXPR).sql).toBe('(a > 0 /* ) */)');
  });

  it('a trailing -- comment cannot swallow the closing parenthesis', () => {
    const e = parseExpression('amount > 0 -- must be positive', EXPR);
    expect(e.sql).toBe('(amount > 0 -- must be positive\n)');
    // Spliced into a template with more after it, the parenthesis still closes.
    expect(`${e.sql} IS FALSE`.split('\n')[1]).toBe(') IS FALSE');
  });

  it('a correlated subquery where subqueries are allowed; columns of the outer table by its name', () => {
    const e = parseExpression('(SELECT sum(unit_price * quantity) FROM invoice_line WHERE invoice_line.invoice_id = invoice.invoice_id)', COUNTER);
    expect(e.sql).toBe('((SELECT sum(unit_price * quantity) FROM invoice_line WHERE invoice_line.invoice_id = invoice.invoice_id))');
    expect(e.columns).toContain('invoice_id');
  });

  it('other single expressions: casts, CASE, arrays, IN lists, explicit ROW', () => {
    for (const t of ['a::int', '-1', '(a).b', 'CASE WHEN a THEN 1 END', 'a[1]', 'ARRAY[1, 2]', 'a IN (1, 2)', 'ROW(1, 2) IS NOT NULL', "x AT TIME ZONE 'UTC'", "'{}'::jsonb ? 'a'"]) {
      expect(parseExpression(t, EXPR).sql, t).toBe(`(${t})`);
    }
  });
});

describe('rejected: not exactly one expression', () => {
  it('breaking out of the surrounding parentheses into other clauses', () => {
    expect(rejects('1) FROM t WHERE (1=1')).toBe('expression must be exactly one SQL expression');
    expect(rejects('a > 0) UNION (SELECT 1')).toBe('expression must be exactly one SQL expression');
    expect(rejects('1); DROP TABLE x; SELECT (1')).toBe('expression must be exactly one SQL expression');
  });

  it('closing and reopening the parentheses to change precedence where it is spliced', () => {
    // Would splice as `… AND (1=1) OR (1=1)`: valid SQL, but no longer one expression there.
    expect(rejects('1=1) OR (1=1', { what: 'WHERE predicate' })).toBe('WHERE predicate must be exactly one SQL expression');
    expect(rejects('a) + (b')).toBe('expression must be exactly one SQL expression');
  });

  it('a second statement', () => {
    expect(rejects('1; DROP TABLE x')).toMatch(/^does not parse: syntax error at or near ";"/);
    expect(rejects('amount > 0; DROP TABLE payment')).toMatch(/^does not parse: syntax error/);
  });

  it('a list, an alias, nothing at all', () => {
    expect(rejects('1, 2')).toBe('expression must be exactly one SQL expression, not a list');
    expect(rejects('a > 0, b > 0')).toBe('expression must be exactly one SQL expression, not a list');
    expect(rejects('1 AS x')).toMatch(/^does not parse: syntax error at or near "AS"/);
    expect(rejects('')).toBe('expression is empty');
    expect(rejects('   \n ')).toBe('expression is empty');
    expect(rejects('-- only a comment')).toMatch(/^expression must be exactly one SQL expression|^does not parse/);
  });

  it('an unterminated comment or literal', () => {
    expect(rejects('a > 0 /* open')).toMatch(/^does not parse: unterminated \/\* comment/);
    expect(rejects("a = 'open")).toMatch(/^does not parse: unterminated quoted string/);
    // The parser quotes the rest of the text, including the line break pgmend adds: still one line.
    expect(rejects('title"); DROP TABLE actor; --')).toBe('does not parse: unterminated quoted identifier at or near ""); DROP TABLE actor; -- )"');
  });
});

describe('rejected: subqueries and side effects', () => {
  it('subqueries where the playbook does not allow them', () => {
    expect(rejects('amount > (SELECT 0)')).toBe('expression must not contain a subquery');
    expect(rejects('EXISTS (SELECT 1)')).toBe('expression must not contain a subquery');
    expect(rejects('a IN (SELECT 1)', { what: 'WHERE predicate' })).toBe('WHERE predicate must not contain a subquery');
  });

  // Side-effecting functions are refused by their volatility, on the server: test/integration/expression-volatility.test.ts.

  it('data-modifying CTEs inside counter subqueries', () => {
    expect(rejects('(WITH d AS (DELETE FROM invoice_line RETURNING 1) SELECT count(*) FROM d)', COUNTER)).toBe('counter expression must not modify data');
    expect(rejects('(WITH d AS (UPDATE invoice SET total = 0 RETURNING 1) SELECT count(*) FROM d)', COUNTER)).toBe('counter expression must not modify data');
    expect(rejects('(WITH d AS (INSERT INTO invoice_line DEFAULT VALUES RETURNING 1) SELECT count(*) FROM d)', COUNTER)).toBe('counter expression must not modify data');
  });

  it('row locks inside counter subqueries', () => {
    expect(rejects('(SELECT count(*) FROM invoice_line FOR UPDATE)', COUNTER)).toBe('counter expression must not lock rows (FOR UPDATE / FOR SHARE)');
  });
});

describe('sql findings: statements', () => {
  it('splits statements, keeping dollar-quoted bodies whole', () => {
    expect(parseStatements('SELECT 1; SELECT 2;', 'sql')).toEqual(['SELECT 1', 'SELECT 2']);
    const fn = 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql';
    expect(parseStatements(fn, 'sql')).toEqual([fn]);
  });

  it('refuses transaction control, empty text and text that does not parse', () => {
    expect(() => parseStatements('BEGIN; DROP TABLE actor; COMMIT;', 'sql')).toThrow('sql must not contain BEGIN/COMMIT/ROLLBACK: pgmend runs it inside its own transaction');
    expect(() => parseStatements('ROLLBACK', 'rollback')).toThrow('rollback must not contain BEGIN/COMMIT/ROLLBACK');
    expect(() => parseStatements('  ', 'sql')).toThrow('sql is empty');
    expect(() => parseStatements('-- nothing', 'sql')).toThrow('sql has no statement');
    expect(() => parseStatements('SELEC 1', 'sql')).toThrow(/^does not parse: syntax error at or near "SELEC"/);
  });
});
