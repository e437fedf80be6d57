import { describe, expect, it } from 'vitest';
import { readMarkdown } from '../../src/findings/import/markdown.js';
import { cellSeverity, headingSeverity, sectionLabel, sectionTitle } from '../../src/findings/import/sections.js';

describe('readMarkdown', () => {
  const report = [
    '# Audit', //                                   1
    '', //                                          2
    '## 1. Missing keys (CRITICAL)', //             3
    '', //                                          4
    '### 1.1 Matrix', //                            5
    '', //                                          6
    '| Parent Table | Child Table | FK Column | Risk Level |', // 7
    '|---|:---:|---|---|', //                       8
    '| users | `identities` | user_id | **HIGH** |', // 9
    '| a \\| b | x | `c|d` | LOW |', //            10
    '', //                                          11
    '### 1.2 Script', //                            12
    '', //                                          13
    '```SQL', //                                    14
    'SELECT 1;', //                                 15
    '```', //                                       16
    '', //                                          17
    '1. In a list:', //                             18
    '   ```python', //                              19
    '   print(1)', //                               20
    '   ```', //                                    21
    '', //                                          22
    '## 2. Other', //                               23
    '', //                                          24
    '    indented code', //                         25
    '', //                                          26
    '~~~', //                                       27
    'plain', //                                     28
    '~~~', //                                       29
  ].join('\n');
  const doc = readMarkdown(report);

  it('finds fenced, listed, indented and tilde blocks with their first content line', () => {
    expect(doc.blocks.map((b) => [b.lang, b.line, b.text])).toEqual([
      ['sql', 15, 'SELECT 1;'],
      ['python', 20, 'print(1)'],
      [null, 25, 'indented code'],
      [null, 28, 'plain'],
    ]);
  });

  it('gives each block its heading path, outermost first', () => {
    expect(doc.blocks[0]?.headings.map((h) => h.text)).toEqual(['Audit', '1. Missing keys (CRITICAL)', '1.2 Script']);
    expect(doc.blocks[2]?.headings.map((h) => h.text)).toEqual(['Audit', '2. Other']);
  });

  it('reads GFM pipe tables: inline marks removed, escaped pipes and code spans kept in their cell', () => {
    expect(doc.tables).toHaveLength(1);
    const table = doc.tables[0]!;
    expect(table.line).toBe(7);
    expect(table.header).toEqual(['Parent Table', 'Child Table', 'FK Column', 'Risk Level']);
    expect(table.rows).toEqual([
      ['users', 'identities', 'user_id', 'HIGH'],
      ['a | b', 'x', 'c|d', 'LOW'],
    ]);
    expect(table.headings.map((h) => h.text)).toEqual(['Audit', '1. Missing keys (CRITICAL)', '1.1 Matrix']);
  });

  it('does not take a paragraph with pipes but no delimiter row for a table', () => {
    expect(readMarkdown('a | b\nc | d\n').tables).toEqual([]);
  });
});

describe('sections', () => {
  const h = (text: string) => ({ depth: 2, text, line: 1 });
  it('labels a heading by its number, else its words without leading symbols', () => {
    expect(sectionLabel(h('1.3 Migration Script'))).toBe('1.3');
    expect(sectionLabel(h('1. Missing ON DELETE Behavior (CRITICAL)'))).toBe('1');
    expect(sectionLabel(h('🔧 Minor Schema Enhancements'))).toBe('Minor Schema Enhancements');
    expect(sectionTitle(h('1.3 Migration Script'))).toBe('Migration Script');
  });

  it('reads severities written into headings and cells', () => {
    expect(headingSeverity('1. Missing ON DELETE Behavior (CRITICAL)')).toBe('critical');
    expect(headingSeverity('HIGH SEVERITY ISSUES (MAJOR RISKS)')).toBe('high');
    expect(headingSeverity('Medium priority fixes')).toBe('medium');
    expect(headingSeverity('A low-level overview')).toBeUndefined();
    expect(cellSeverity('CRITICAL')).toBe('critical');
    expect(cellSeverity('Negative prices corrupt financials')).toBeUndefined();
  });
});
