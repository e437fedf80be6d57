import { distance } from 'fastest-levenshtein';

/**
 * "did you mean …?" suggestions: the nearest candidate by case-insensitive edit distance, when it is
 * near enough to be a typo rather than a different name.
 */

/** How many edits still count as a typo of a name this long. */
export function typoThreshold(length: number): number {
  if (length <= 3) return 1;
  if (length <= 6) return 2;
  return Math.ceil(length / 3);
}

/** The item whose key is closest to `name`; ties go to the first in key order, so output is stable. */
export function closestBy<T>(name: string, items: Iterable<T>, key: (item: T) => string): T | undefined {
  const wanted = name.toLowerCase();
  const limit = typoThreshold(wanted.length);
  let best: { item: T; d: number; k: string } | undefined;
  for (const item of items) {
    const k = key(item);
    const d = distance(wanted, k.toLowerCase());
    if (d > limit) continue;
    if (!best || d < best.d || (d === best.d && k < best.k)) best = { item, d, k };
  }
  return best?.item;
}

export function closest(name: string, candidates: Iterable<string>): string | undefined {
  return closestBy(name, candidates, (c) => c);
}
