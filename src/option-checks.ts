/**
 * Checks for option values, run once when a verifier, provider or store is built. Each throws a
 * `TypeError` that names the option and what it received, so a typo or an unset environment variable
 * (`Number(process.env.UNSET)` is `NaN`) stops the start-up instead of silently disabling a check.
 */

/** A short, safe description of a received value for an error message: its type, never its content. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return String(value);
    return `the number ${value}`;
  }
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

/**
 * A finite, non-negative number (fractions allowed), or `fallback` when `value` is `undefined`.
 * `unit` is the documented unit, named in the message (`'seconds'`, `'milliseconds'`, `'bytes'`).
 */
export function nonNegativeNumber(value: unknown, name: string, fallback: number, unit: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(
      `tokenwarden: ${name} must be a finite, non-negative number of ${unit} (got ${describeValue(value)})`,
    );
  }
  return value;
}

/** Like {@link nonNegativeNumber}, but `undefined` stays `undefined` (an option with no default). */
export function optionalNonNegativeNumber(value: unknown, name: string, unit: string): number | undefined {
  return value === undefined ? undefined : nonNegativeNumber(value, name, 0, unit);
}

/** A whole number of at least `min`, or `fallback` when `value` is `undefined`. */
export function integerAtLeast(
  value: unknown,
  name: string,
  fallback: number,
  min: number,
  unit: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(
      `tokenwarden: ${name} must be a whole number of ${unit}, at least ${min} (got ${describeValue(value)})`,
    );
  }
  return value;
}

/** `true`, `false`, or `fallback` when `undefined`; anything else (`'false'`, `1`) is refused. */
export function booleanOption(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new TypeError(`tokenwarden: ${name} must be true or false (got ${describeValue(value)})`);
  }
  return value;
}

/** A function, or `undefined` when absent. */
export function optionalFunction<T>(value: T | undefined, name: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`tokenwarden: ${name} must be a function (got ${describeValue(value)})`);
  }
  return value;
}

/**
 * Refuses keys of `options` that are not in `known`, naming the closest known key, so a misspelt
 * security setting (`clockTolerence`) is an error and not a silently ignored option.
 */
export function checkKnownKeys(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const closest = closestName(key, known);
    const hint = closest === undefined ? '' : `; did you mean ${closest}?`;
    throw new TypeError(`tokenwarden: unknown option ${where}${key}${hint}`);
  }
}

/** The known name nearest to `name` by edit distance, when it is plausibly a typo of it. */
function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Levenshtein distance; options names are short, so the quadratic table is cheap. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * A whole number from `min` to `max`, or `fallback` when `value` is `undefined`. For timer delays,
 * `max` is 2^31 − 1 ms: a longer `setTimeout` fires at once.
 */
export function integerInRange(
  value: unknown,
  name: string,
  fallback: number,
  range: { readonly min: number; readonly max: number },
  unit: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new TypeError(
      `tokenwarden: ${name} must be a whole number of ${unit} from ${range.min} to ${range.max} (got ${describeValue(value)})`,
    );
  }
  return value;
}
