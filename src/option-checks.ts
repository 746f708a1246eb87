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
  return typeof value === 'object' || typeof value === 'undefined'
    ? `an ${typeof value}`
    : `a ${typeof value}`;
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
 * The keys of an options type, listed as a record so that a key added to the type but not here fails
 * to compile: the list {@link checkKnownKeys} checks against can never fall behind the type.
 */
export function optionKeys<T>(keys: { readonly [K in keyof T]-?: true }): readonly string[] {
  return Object.keys(keys);
}

/**
 * An options object: a plain object (not an array, a string or `null`). `undefined` is read as `{}`
 * when `optional`, and refused otherwise.
 */
export function optionsObject(
  value: unknown,
  name: string,
  optional = false,
): Readonly<Record<string, unknown>> {
  if (value === undefined && optional) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`tokenwarden: ${name} must be an options object (got ${describeValue(value)})`);
  }
  return value as Readonly<Record<string, unknown>>;
}

/** A non-empty string, or `undefined` when absent. */
export function optionalString(value: unknown, name: string): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new TypeError(`tokenwarden: ${name} must be a non-empty string (got ${describeValue(value)})`);
  }
  return value;
}

/** A list of non-empty strings, or `undefined` when absent; a lone string is refused, not split. */
export function optionalStringList(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    throw new TypeError(`tokenwarden: ${name} must be a list of strings (got ${describeValue(value)})`);
  }
  for (const item of value) {
    if (typeof item !== 'string' || item === '') {
      throw new TypeError(
        `tokenwarden: ${name} must list non-empty strings only (got ${describeValue(item)})`,
      );
    }
  }
  return value as readonly string[];
}

/** An object with every method in `methods`, or `undefined` when absent (a replay store, a key provider). */
export function optionalObjectWithMethods(
  value: unknown,
  name: string,
  methods: readonly string[],
): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Readonly<Record<string, unknown>> | null;
  if (
    (typeof candidate !== 'object' && typeof candidate !== 'function') ||
    candidate === null ||
    methods.some((method) => typeof candidate[method] !== 'function')
  ) {
    throw new TypeError(
      `tokenwarden: ${name} must be an object with ${methods.join(' and ')} methods (got ${describeValue(value)})`,
    );
  }
  return candidate;
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
