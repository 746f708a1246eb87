/**
 * Freezes a decoded JSON value and everything in it. A verified or introspected token is handed to
 * every request presenting the same token (from a cache), so one request changing its claims must
 * not change what the next one is told.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) freezeObject(value);
  return value;
}

/** Runs once per cold token: only objects recurse, so a claim set of strings costs one pass. */
function freezeObject(value: object): void {
  Object.freeze(value);
  const keys = Object.keys(value);
  for (let index = 0; index < keys.length; index += 1) {
    const member: unknown = (value as Record<string, unknown>)[keys[index] as string];
    if (typeof member === 'object' && member !== null && !Object.isFrozen(member)) freezeObject(member);
  }
}
