/**
 * A value handed on (a plan once emitted) is never changed: new values replace it. In development
 * and tests it is frozen, deep, so a mutation throws where it happens (ES modules are strict); in
 * production it is handed on as is, at no cost.
 */
export function frozenInDev<T>(value: T): T {
  const env = process.env.NODE_ENV;
  return env === 'test' || env === 'development' ? deepFreeze(value) : value;
}

function deepFreeze<T>(value: T): T {
  // A Buffer (a bytea cell of a sample) cannot be frozen; its bytes are not the plan's shape.
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return value;
}
