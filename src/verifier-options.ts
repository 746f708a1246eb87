import { checkMetadataUrlOption } from './jwks/metadata-url.js';
import { checkJwksCacheOptions, checkKeySetOption, JWKS_CACHE_OPTION_KEYS } from './jwks/provider-options.js';
import {
  booleanOption,
  checkKnownKeys,
  describeValue,
  integerAtLeast,
  optionalFunction,
  optionalNonNegativeNumber,
  optionalObjectWithMethods,
  optionalString,
  optionalStringList,
  optionKeys,
  optionsObject,
} from './option-checks.js';
import type { VerifierOptions } from './verifier.js';

/**
 * Every key {@link VerifierOptions} has, token extraction's included. Written as a record so that a
 * key added to the type but not here fails to compile, rather than being refused as unknown.
 */
export const VERIFIER_OPTION_KEYS = optionKeys<VerifierOptions>({
  issuer: true,
  audience: true,
  algorithms: true,
  jwksUri: true,
  keySet: true,
  keyProvider: true,
  secret: true,
  clockTolerance: true,
  maxTokenAge: true,
  requiredClaims: true,
  typ: true,
  validateClaims: true,
  credentialsOptional: true,
  maxTokenSize: true,
  clock: true,
  jwksOptions: true,
  fetch: true,
  dpop: true,
  cache: true,
  onEvent: true,
  cookie: true,
  allowQueryToken: true,
  getToken: true,
});

/**
 * Checks the type, range and spelling of every verifier option once, when the verifier is built, so
 * that a typo, a string from `process.env` or an unset variable (`Number(undefined)` is `NaN`) stops
 * the start-up with a `TypeError` naming the option, instead of silently disabling a check.
 *
 * The `dpop` and `cache` objects are checked where they are read (the presentation rules and the
 * token cache), with the same helpers; everything else is checked here.
 */
export function checkVerifierOptions(options: VerifierOptions): void {
  optionsObject(options, 'createVerifier options');
  checkKnownKeys(options, VERIFIER_OPTION_KEYS, '');
  for (const issuer of Array.isArray(options.issuer) ? options.issuer : [options.issuer]) {
    // Only a missing issuer is left to the "required" message of the verifier.
    if (issuer !== undefined && issuer !== '') checkMetadataUrlOption(issuer, 'issuer', { query: false });
  }
  if (options.jwksUri !== undefined) checkMetadataUrlOption(options.jwksUri, 'jwksUri', { query: true });
  if (options.algorithms !== undefined && !Array.isArray(options.algorithms)) {
    throw new TypeError(
      `tokenwarden: algorithms must be a list of algorithm names (got ${describeValue(options.algorithms)})`,
    );
  }
  if (options.keySet !== undefined) checkKeySetOption(options.keySet, 'keySet');
  optionalObjectWithMethods(options.keyProvider, 'keyProvider', ['getKey']);
  const { secret } = options;
  if (secret !== undefined && typeof secret !== 'string' && !(secret instanceof Uint8Array)) {
    throw new TypeError(
      `tokenwarden: secret must be a string or a Uint8Array (got ${describeValue(secret)})`,
    );
  }
  optionalNonNegativeNumber(options.clockTolerance, 'clockTolerance', 'seconds');
  optionalNonNegativeNumber(options.maxTokenAge, 'maxTokenAge', 'seconds');
  integerAtLeast(options.maxTokenSize, 'maxTokenSize', 0, 1, 'characters');
  optionalStringList(options.requiredClaims, 'requiredClaims');
  optionalString(options.typ, 'typ');
  optionalString(options.cookie, 'cookie');
  booleanOption(options.credentialsOptional, 'credentialsOptional', false);
  booleanOption(options.allowQueryToken, 'allowQueryToken', false);
  for (const name of ['validateClaims', 'getToken', 'clock', 'fetch', 'onEvent'] as const) {
    optionalFunction(options[name], name);
  }
  const jwksOptions = optionsObject(options.jwksOptions, 'jwksOptions', true);
  checkKnownKeys(jwksOptions, JWKS_CACHE_OPTION_KEYS, 'jwksOptions.');
  checkJwksCacheOptions(jwksOptions, 'jwksOptions.');
  const { cache } = options;
  if (
    cache !== undefined &&
    cache !== false &&
    (typeof cache !== 'object' || cache === null || Array.isArray(cache))
  ) {
    throw new TypeError(
      `tokenwarden: cache must be false or an options object (got ${describeValue(cache)})`,
    );
  }
}
