/**
 * Database values as they come back from `pg` (strings, numbers, Dates, Buffers, bigints, JSON
 * objects) turned into something JSON can hold and something a person can read.
 */

/** A JSON-safe copy: bigint → string, Date → ISO string, Buffer → `\x…` hex, objects recursed. */
export function jsonValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
  if (v instanceof Uint8Array) return '\\x' + Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = jsonValue(x);
    return out;
  }
  return String(v);
}

/** One line of text for a value; `null` for SQL NULL so callers can render it distinctly. */
export function displayValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const j = jsonValue(v);
  return typeof j === 'string' ? j : JSON.stringify(j);
}

/** At most `max` characters, with `…` marking the cut. */
export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max - 1).join('') + '…';
}

/** Collapses newlines and control characters so text fits on one line (comments, \echo, cells). */
export function oneLine(s: string): string {
  return s.replace(/\s*(\r\n|\r|\n)\s*/g, ' ').replace(/[\u0000-\u001f\u007f]/g, ' ');
}

export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}
