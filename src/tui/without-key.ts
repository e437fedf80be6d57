/** A copy of `o` without `k` (an optional field cleared, rather than set to undefined). */
export function withoutKey<T extends object, K extends keyof T>(o: T, k: K): T {
  const copy = { ...o };
  delete copy[k];
  return copy;
}
