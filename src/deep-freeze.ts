/**
 * Freezes a decoded JSON value and everything in it. A verified or introspected token is handed to
 * every request presenting the same token (from a cache), so one request changing its claims must
 * not change what the next one is told.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
