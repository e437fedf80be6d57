import { oneLine } from './values.js';

/** Text helpers for writing SQL and psql scripts around SQL we did not write. */

/** A string literal that means the same whatever `standard_conforming_strings` is (as quote_literal does). */
export function quoteLiteral(s: string): string {
  const body = s.replace(/'/g, "''");
  return s.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

/** A psql meta-command argument: single-quoted, so no `:variable` or backquote is interpreted. */
export function psqlArgument(s: string): string {
  return `'${oneLine(s).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A `--` comment line; newlines folded so text can never escape the comment. */
export function sqlComment(s: string): string {
  return `-- ${oneLine(s)}`.trimEnd();
}

/**
 * The statement with a terminating `;`. A trailing `-- comment` would swallow a `;` appended on the
 * same line, so in that case the `;` goes on a line of its own.
 */
export function terminated(sql: string): string {
  const s = sql.replace(/\s+$/, '');
  if (s.endsWith(';')) return s;
  const lastLine = s.slice(s.lastIndexOf('\n') + 1);
  return lastLine.includes('--') ? `${s}\n;` : `${s};`;
}

/** A query usable as a subquery: no trailing `;`, and a trailing comment closed by a newline. */
export function asSubquery(sql: string): string {
  const s = sql.replace(/[\s;]+$/, '');
  const lastLine = s.slice(s.lastIndexOf('\n') + 1);
  return lastLine.includes('--') ? `${s}\n` : s;
}

/** A dollar-quote tag, `$base$` or `$base_N$`, that occurs nowhere in `texts`. */
export function dollarTag(base: string, texts: string[]): string {
  for (let n = 0; ; n++) {
    const tag = n === 0 ? `$${base}$` : `$${base}_${n}$`;
    if (!texts.some((t) => t.includes(tag))) return tag;
  }
}
