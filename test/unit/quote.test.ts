import { describe, expect, it } from 'vitest';
import { quoteIdent, quoteLiteral, quoteQualified } from '../../src/db/quote.js';
import { parseName } from '../../src/db/names.js';
import { UsageError } from '../../src/util/errors.js';

describe('quoteIdent', () => {
  it('leaves plain lower-case identifiers bare', () => {
    expect(quoteIdent('users')).toBe('users');
    expect(quoteIdent('_x1')).toBe('_x1');
    expect(quoteIdent('last_update')).toBe('last_update');
  });

  it('quotes reserved words of every category quote_ident quotes', () => {
    expect(quoteIdent('select')).toBe('"select"'); // reserved
    expect(quoteIdent('user')).toBe('"user"'); // reserved
    expect(quoteIdent('order')).toBe('"order"');
    expect(quoteIdent('left')).toBe('"left"'); // reserved (can be function or type)
    expect(quoteIdent('verbose')).toBe('"verbose"');
    expect(quoteIdent('int')).toBe('"int"'); // non-reserved (cannot be function or type)
    expect(quoteIdent('values')).toBe('"values"');
  });

  it('leaves unreserved keywords bare', () => {
    expect(quoteIdent('name')).toBe('name');
    expect(quoteIdent('year')).toBe('year');
    expect(quoteIdent('action')).toBe('action');
  });

  it('quotes mixed case, leading digits, spaces, $ and non-ASCII', () => {
    expect(quoteIdent('Order')).toBe('"Order"');
    expect(quoteIdent('1st')).toBe('"1st"');
    expect(quoteIdent('first name')).toBe('"first name"');
    expect(quoteIdent('a$b')).toBe('"a$b"');
    expect(quoteIdent('café')).toBe('"café"');
  });

  it('doubles embedded double quotes', () => {
    expect(quoteIdent('say "hi"')).toBe('"say ""hi"""');
    expect(quoteIdent('"')).toBe('""""');
  });

  it('rejects NUL bytes and empty names with a UsageError', () => {
    expect(() => quoteIdent('a\0b')).toThrow(UsageError);
    expect(() => quoteIdent('a\0b')).toThrow(/NUL/);
    expect(() => quoteIdent('')).toThrow(UsageError);
  });

  it('quotes each part of a qualified name on its own', () => {
    expect(quoteQualified('public', 'users')).toBe('public.users');
    expect(quoteQualified('Sales', 'order')).toBe('"Sales"."order"');
    expect(quoteQualified('a.b', 'c')).toBe('"a.b".c');
  });
});

describe('quoteLiteral', () => {
  it('doubles single quotes and keeps backslashes as they are (standard_conforming_strings)', () => {
    expect(quoteLiteral("O'Brien")).toBe("'O''Brien'");
    expect(quoteLiteral('C:\\temp\\n')).toBe("'C:\\temp\\n'");
    expect(quoteLiteral("\\'")).toBe("'\\'''");
    expect(quoteLiteral('')).toBe("''");
    expect(quoteLiteral('line\nbreak')).toBe("'line\nbreak'");
  });

  it('renders numbers, bigints, booleans and null', () => {
    expect(quoteLiteral(42)).toBe('42');
    expect(quoteLiteral(-1.5)).toBe('-1.5');
    expect(quoteLiteral(12345678901234567890n)).toBe('12345678901234567890');
    expect(quoteLiteral(true)).toBe('TRUE');
    expect(quoteLiteral(false)).toBe('FALSE');
    expect(quoteLiteral(null)).toBe('NULL');
  });

  it('rejects non-finite numbers, NUL bytes and other types', () => {
    expect(() => quoteLiteral(Number.NaN)).toThrow(/finite/);
    expect(() => quoteLiteral(Number.POSITIVE_INFINITY)).toThrow(UsageError);
    expect(() => quoteLiteral('a\0')).toThrow(/NUL/);
    expect(() => quoteLiteral({} as unknown as string)).toThrow(UsageError);
    expect(() => quoteLiteral(undefined as unknown as null)).toThrow(UsageError);
  });
});

describe('parseName', () => {
  it('splits plain, qualified and quoted names', () => {
    expect(parseName('users', 'table', 2)).toEqual([{ text: 'users', quoted: false }]);
    expect(parseName('app.Users', 'table', 2)).toEqual([
      { text: 'app', quoted: false },
      { text: 'Users', quoted: false },
    ]);
    expect(parseName('"My Schema"."Order"', 'table', 2)).toEqual([
      { text: 'My Schema', quoted: true },
      { text: 'Order', quoted: true },
    ]);
    expect(parseName('"a.b"', 'table', 2)).toEqual([{ text: 'a.b', quoted: true }]);
    expect(parseName('"say ""hi"""', 'table', 2)).toEqual([{ text: 'say "hi"', quoted: true }]);
  });

  it('rejects malformed names with one clear line', () => {
    expect(() => parseName('"open', 'table', 2)).toThrow(/unterminated quote/);
    expect(() => parseName('a..b', 'table', 2)).toThrow(/empty name part/);
    expect(() => parseName('a.b.c', 'table', 2)).toThrow(/too many dotted parts/);
    expect(() => parseName('"a"b', 'table', 2)).toThrow(UsageError);
  });
});
