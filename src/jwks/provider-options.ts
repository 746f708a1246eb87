import type { EventListener } from '../events.js';
import {
  checkKnownKeys,
  describeValue,
  integerAtLeast,
  optionalFunction,
  optionalNonNegativeNumber,
  optionKeys,
  optionsObject,
} from '../option-checks.js';
import { checkMetadataUrlOption } from './metadata-url.js';

/** Tuning for a remote key set. Every duration is in seconds unless its name says otherwise. */
export interface JwksCacheOptions {
  /**
   * After a refetch for an unknown `kid`, further unknown kids are rejected without fetching for this
   * long, so a flood of made-up kids costs at most one fetch per period; an unknown kid after any
   * other fetch refetches at once. Also the wait before retrying a failed fetch. [30]
   */
  readonly cooldown?: number | undefined;
  /** Milliseconds a fetch may take, body included. [5000] */
  readonly timeoutMs?: number | undefined;
  /** Largest key set or discovery document accepted, in bytes. [524288] */
  readonly maxResponseBytes?: number | undefined;
  /** Freshness when the response has no `Cache-Control: max-age`. [600] */
  readonly defaultMaxAge?: number | undefined;
  /** Lower clamp for `max-age`: never refetch more often than this. [60] */
  readonly minMaxAge?: number | undefined;
  /** Upper clamp for `max-age`: never trust a key set longer than this without refetching. [86400] */
  readonly maxMaxAge?: number | undefined;
  /**
   * How long past its freshness a key set keeps being used while it is refetched in the background or
   * refetching fails. Bounded so that an outage of the key source cannot keep a revoked key alive for
   * ever; past it, requests wait for a fetch and fail with `jwks_unavailable` if it fails. [3600]
   */
  readonly staleIfError?: number | undefined;
}

/** Options for `createJwksProvider` (`jwks/provider.ts`). */
export interface JwksProviderOptions extends JwksCacheOptions {
  /** The key set URL. When absent, it is discovered from `issuer`. */
  readonly jwksUri?: string | undefined;
  /** The issuer whose discovery document names the key set; needed when `jwksUri` is absent. */
  readonly issuer?: string | undefined;
  /** Seconds since the epoch. [system clock] */
  readonly clock?: (() => number) | undefined;
  /** The `fetch` to use. [globalThis.fetch] */
  readonly fetch?: typeof fetch | undefined;
  /** Receives fetch, failure and cooldown events. */
  readonly onEvent?: EventListener | undefined;
}

/** The options of a remote key set that tune its fetching and caching. */
export const JWKS_CACHE_OPTION_KEYS = optionKeys<JwksCacheOptions>({
  cooldown: true,
  timeoutMs: true,
  maxResponseBytes: true,
  defaultMaxAge: true,
  minMaxAge: true,
  maxMaxAge: true,
  staleIfError: true,
});

const JWKS_PROVIDER_OPTION_KEYS = [
  ...JWKS_CACHE_OPTION_KEYS,
  ...optionKeys<Omit<JwksProviderOptions, keyof JwksCacheOptions>>({
    jwksUri: true,
    issuer: true,
    clock: true,
    fetch: true,
    onEvent: true,
  }),
];

/**
 * Checks the numbers of a {@link JwksCacheOptions} (the verifier's `jwksOptions`, prefixed
 * `where`): durations are finite, non-negative seconds (`timeoutMs` milliseconds), the size a whole
 * number of bytes. Absent ones stay `undefined`, for the provider's defaults.
 */
export function checkJwksCacheOptions(options: JwksCacheOptions, where: string): JwksCacheOptions {
  const seconds = (name: keyof JwksCacheOptions) =>
    optionalNonNegativeNumber(options[name], `${where}${name}`, 'seconds');
  return {
    cooldown: seconds('cooldown'),
    timeoutMs: optionalNonNegativeNumber(options.timeoutMs, `${where}timeoutMs`, 'milliseconds'),
    maxResponseBytes:
      options.maxResponseBytes === undefined
        ? undefined
        : integerAtLeast(options.maxResponseBytes, `${where}maxResponseBytes`, 0, 0, 'bytes'),
    defaultMaxAge: seconds('defaultMaxAge'),
    minMaxAge: seconds('minMaxAge'),
    maxMaxAge: seconds('maxMaxAge'),
    staleIfError: seconds('staleIfError'),
  };
}

/** Checks every option of `createJwksProvider` once, and returns its checked cache numbers. */
export function checkJwksProviderOptions(options: JwksProviderOptions): JwksCacheOptions {
  optionsObject(options, 'createJwksProvider options');
  checkKnownKeys(options, JWKS_PROVIDER_OPTION_KEYS, '');
  if (options.jwksUri !== undefined) checkMetadataUrlOption(options.jwksUri, 'jwksUri', { query: true });
  if (options.issuer !== undefined) checkMetadataUrlOption(options.issuer, 'issuer', { query: false });
  optionalFunction(options.clock, 'clock');
  optionalFunction(options.fetch, 'fetch');
  optionalFunction(options.onEvent, 'onEvent');
  return checkJwksCacheOptions(options, '');
}

/** A key set given in configuration: an object with a `keys` list (RFC 7517 §5). */
export function checkKeySetOption(value: unknown, name: string): void {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Array.isArray((value as { keys?: unknown }).keys)
  ) {
    throw new TypeError(
      `tokenwarden: ${name} must be a JWK set, an object with a keys list (got ${describeValue(value)})`,
    );
  }
}
