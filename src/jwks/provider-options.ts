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
import type { JwksCacheOptions, JwksProviderOptions } from './provider.js';

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
