/**
 * Freezes a decoded JSON value and everything in it. A verified or introspected token is handed to
 * every request presenting the same token (from a cache), so one request changing its claims must
 * not change what the next one is told.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) freezeObject(value);
  return value;
}

/**
 * Runs once per cold token: only objects recurse, so a claim set of strings costs one pass. Arrays
 * are walked by index and objects with `for…in` (own members only), which allocates no key list.
 */
function freezeObject(value: object): void {
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) freezeMember(value[index]);
    return;
  }
  for (const name in value) {
    if (Object.hasOwn(value, name)) freezeMember((value as Record<string, unknown>)[name]);
  }
}

function freezeMember(member: unknown): void {
  if (typeof member === 'object' && member !== null && !Object.isFrozen(member)) freezeObject(member);
}
