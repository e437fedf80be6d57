import { beforeAll, describe, expect, it } from 'vitest';
import type { CodeBlock } from '../../src/findings/import/markdown.js';
import { loadSqlParser } from '../../src/findings/import/sql-parser.js';
import { splitStatements, type Statement } from '../../src/findings/import/statements.js';

const block = (text: string, line = 10): CodeBlock => ({ lang: 'sql', text, line, headings: [] });

function split(text: string, line = 10): Statement[] {
  const out = splitStatements(block(text, line), 0);
  if (!out.ok) throw new Error(out.message);
  return out.statements;
}

beforeAll(() => loadSqlParser());

describe('splitStatements', () => {
  it('cuts each statement’s original text by the parser’s locations, without the semicolon', () => {
    const s = split('BEGIN;\nALTER TABLE a\n    ADD COLUMN b int;\nCOMMIT;');
    expect(s.map((x) => [x.kind, x.sql, x.line])).toEqual([
      ['TransactionStmt', 'BEGIN', 10],
      ['AlterTableStmt', 'ALTER TABLE a\n    ADD COLUMN b int', 11],
      ['TransactionStmt', 'COMMIT', 13],
    ]);
  });

  it('takes the run of -- lines directly above a statement as its comment', () => {
    const s = split(
      [
        '-- Section comment',
        '',
        '-- first line',
        '-- second line',
        'SELECT 1;',
        '',
        'SELECT 2; -- trailing note of SELECT 2',
        'SELECT 3;',
        '-- separated',
        '',
        'SELECT 4;',
      ].join('\n'),
    );
    expect(s.map((x) => x.comment)).toEqual(['first line second line', undefined, undefined, undefined]);
    expect(s.map((x) => x.line)).toEqual([14, 16, 17, 20]);
  });

  it('counts lines in characters, not bytes, after non-ASCII text', () => {
    const s = split("SELECT '🔧 é';\n\nSELECT 2;", 5);
    expect(s.map((x) => x.line)).toEqual([5, 7]);
    expect(s[0]?.sql).toBe("SELECT '🔧 é'");
  });

  it('reports a syntax error with the report line it is on', () => {
    const out = splitStatements(block('SELECT 1;\n-- scenario\n1. DELETE FROM users;', 584), 0);
    expect(out).toEqual({ ok: false, message: 'syntax error at or near "1."', line: 586 });
  });

  it('finds no statements in a block of comments', () => {
    expect(split('-- DROP TRIGGER IF EXISTS ...;\n-- ALTER TABLE ...;')).toEqual([]);
  });
});
