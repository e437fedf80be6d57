/**
 * Finding ids: readable and stable, from constraint, index or object names
 * (`FK-identities_user_id_fkey`), made valid for the findings format and unique within a file.
 */

const MAX = 63;

export class IdAllocator {
  private readonly used = new Set<string>();

  /** A valid, not yet used id for `wanted`: `X`, then `X-2`, `X-3`, … */
  take(wanted: string): string {
    const base = sanitize(wanted);
    let id = base;
    for (let n = 2; this.used.has(id.toLowerCase()); n++) {
      const suffix = `-${n}`;
      id = base.slice(0, MAX - suffix.length) + suffix;
    }
    this.used.add(id.toLowerCase());
    return id;
  }
}

/** Letters, digits, `-`, `_`, `.`; starting with a letter or digit; at most 63 characters. */
export function sanitize(wanted: string): string {
  const cleaned = wanted
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX)
    .replace(/[_.-]+$/, '');
  return cleaned.length > 0 ? cleaned : 'finding';
}
