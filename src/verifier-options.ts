/**
 * The verifier's options: their type, their key list, their checks and their unpacking with every
 * default. Over 300 lines because it is the one place every option is described and defaulted; split
 * by option it would scatter the defaults the style guide asks to keep together.
 */
import type { JSONWebKeySet } from 'jose';
import { type Algorithm, DEFAULT_ALGORITHMS, isKnownAlgorithm, isSymmetricAlgorithm } from './algorithms.js';
import { DEFAULT_CLOCK_TOLERANCE, systemClock } from './clock.js';
import type { DpopOptions, ProofOfPossessionSettings } from './dpop/proof-of-possession.js';
import type { EventListener } from './events.js';
import type { ExtractOptions } from './extract.js';
import { type FapiProfile, withProfile } from './fapi2-profile.js';
import { checkSecretFor, HmacKeys, secretBytes } from './hmac-secret.js';
import type { TokenIntrospector } from './introspection/introspected-token.js';
import type { IntrospectionResolverSettings } from './introspection/introspection-resolver.js';
import { checkMetadataUrlOption } from './jwks/metadata-url.js';
import { createJwksProvider, createStaticKeyProvider, type KeyProvider } from './jwks/provider.js';
import type { JwksCacheOptions } from './jwks/provider-options.js';
import { checkJwksCacheOptions, checkKeySetOption, JWKS_CACHE_OPTION_KEYS } from './jwks/provider-options.js';
import type { JwtResolverSettings } from './jwt-resolver.js';
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
import { checkProtectedResourceOptions, type ProtectedResourceOptions } from './protected-resource.js';
import { DEFAULT_MAX_TOKEN_SIZE } from './token.js';
import type { ClaimsValidator } from './verified-token.js';
import { type TokenCacheOptions, VerifiedTokenCache } from './verified-token-cache.js';
import { checkLoggerOption, type LoggerOption, withWarningLog } from './warning-log.js';

/** Options for {@link createVerifier}. Defaults in brackets; durations in seconds. */
export interface VerifierOptions extends ExtractOptions {
  /**
   * The trusted issuer(s), matched exactly against `iss` (`https://x/` and `https://x` differ).
   * With several, each has its own discovered key set; a token's `iss` only picks which to try.
   */
  readonly issuer: string | readonly string[];
  /**
   * This API's identifier(s); the token's `aud` must contain at least one, compared as exact strings.
   * [`protectedResource.resource`; required without it]
   */
  readonly audience?: string | readonly string[] | undefined;
  /**
   * Amazon Cognito: the app client ids whose access tokens this API accepts. Cognito access tokens
   * carry no `aud`, only `client_id` and `token_use: 'access'`; with this option such a token passes
   * the audience rule when its `client_id` is listed. Every token must then name a listed
   * `client_id`, and a token that has an `aud` must still match `audience`. Without `audience`, only
   * tokens without `aud` can pass. [none: every token needs an `aud` matching `audience`]
   */
  readonly clientIds?: string | readonly string[] | undefined;
  /**
   * Accepted signature algorithms. [`['RS256','PS256','ES256','EdDSA']`, plus `HS256` when a `secret`
   * is set] `none` is never accepted; `HS*` only with a `secret`.
   */
  readonly algorithms?: readonly Algorithm[] | undefined;
  /** The key set URL. [discovered from each issuer's `/.well-known/openid-configuration`, then RFC 8414] */
  readonly jwksUri?: string | undefined;
  /** A fixed key set to use instead of fetching one (keys rotated by redeploying). */
  readonly keySet?: JSONWebKeySet | undefined;
  /** A key provider of your own; takes precedence over `jwksUri` and `keySet`. */
  readonly keyProvider?: KeyProvider | undefined;
  /**
   * Shared secret for `HS256`/`HS384`/`HS512`; at least as many bytes as the hash (RFC 7518 §3.2).
   * Key material (PEM, OpenSSH or JWK text) is refused: a public key is no secret (RFC 8725 §2.1).
   */
  readonly secret?: string | Uint8Array | undefined;
  /** Allowed clock difference applied to `exp`, `nbf` and a future `iat`. [60] */
  readonly clockTolerance?: number | undefined;
  /** Largest accepted age (`now - iat`); tokens without `iat` are then refused. [no limit] */
  readonly maxTokenAge?: number | undefined;
  /** Claims that must be present besides `iss`, `aud` and `exp`, e.g. `['sub', 'client_id']`. [none] */
  readonly requiredClaims?: readonly string[] | undefined;
  /**
   * Expected `typ` header. Set `'at+jwt'` for RFC 9068 strict mode: only `at+jwt` or
   * `application/at+jwt` is accepted, which keeps ID tokens out. [not checked]
   */
  readonly typ?: string | undefined;
  /** Your own claims rule, run last. */
  readonly validateClaims?: ClaimsValidator | undefined;
  /** Let requests without any token through unauthenticated (a present but bad token still fails). [false] */
  readonly credentialsOptional?: boolean | undefined;
  /** Largest token in characters, checked before any parsing. [16384] */
  readonly maxTokenSize?: number | undefined;
  /** Seconds since the epoch; inject one in tests. [system clock] */
  readonly clock?: (() => number) | undefined;
  /** Fetching and caching of remote key sets. */
  readonly jwksOptions?: JwksCacheOptions | undefined;
  /** The `fetch` used for discovery and key sets. [globalThis.fetch] */
  readonly fetch?: typeof fetch | undefined;
  /**
   * DPoP (RFC 9449) sender-constrained tokens: mode, proof algorithms, replay store, nonces and how
   * to learn the public URL behind a proxy. [mode `'allowed'`]
   */
  readonly dpop?: DpopOptions | undefined;
  /**
   * Cache of verified tokens: a token seen before skips decoding and the signature check until it
   * expires or its key leaves the key set (once the refetch that removes it completes, or the set is
   * past `jwksOptions.staleIfError`). Time-based claims and `validateClaims` are still applied on
   * every hit. `false` turns it off. [on, 10 000 tokens, 32 MiB]
   */
  readonly cache?: false | TokenCacheOptions | undefined;
  /** Receives structured events: token verified or rejected, key set fetched, failed, cooling down. */
  readonly onEvent?: EventListener | undefined;
  /**
   * Where configuration-class failures are written, one line per distinct cause per 5 minutes: a key
   * server unreachable or answering 404 or no JSON, a discovery document naming another issuer, an
   * http URL refused, a key ignored, the replay store failing. Any object with a `warn(message)`
   * method (pino, winston); `false` for silence. Rejected tokens are never written. [console]
   */
  readonly logger?: LoggerOption | undefined;
  /**
   * Resolves tokens that are not JWTs (RFC 7662): an introspector from `createIntrospector` or
   * `createAuthleteIntrospector`. A compact JWS is still verified locally; any other token is sent to
   * the authorization server, and its answer held to the same claim rules. [opaque tokens are
   * refused as `token_malformed`]
   */
  readonly introspection?: TokenIntrospector | undefined;
  /**
   * Also introspect JWT access tokens once they pass locally, and again when recalled, so a revoked
   * JWT is refused within the introspector's cache lifetime (FAPI 2.0 §5.3.4). Needs `introspection`.
   * [false]
   */
  readonly introspectJwts?: boolean | undefined;
  /**
   * A security profile whose requirements the other options are held to: `'fapi2'` is the FAPI 2.0
   * Security Profile (see docs/security.md). An option that would weaken it is a `TypeError`. [none]
   */
  readonly profile?: FapiProfile | undefined;
  /**
   * RFC 9728 protected resource metadata: the document adapters serve at
   * `/.well-known/oauth-protected-resource[/path]`, and `resource_metadata` in every challenge. Its
   * `resource` is the audience when `audience` is not set. [none: no document, challenges unchanged]
   */
  readonly protectedResource?: ProtectedResourceOptions | undefined;
}

/**
 * Every key {@link VerifierOptions} has, token extraction's included. Written as a record so that a
 * key added to the type but not here fails to compile, rather than being refused as unknown.
 */
export const VERIFIER_OPTION_KEYS = optionKeys<VerifierOptions>({
  issuer: true,
  audience: true,
  clientIds: true,
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
  logger: true,
  introspection: true,
  introspectJwts: true,
  profile: true,
  protectedResource: true,
  cookie: true,
  allowQueryToken: true,
  getToken: true,
});

/**
 * Checks the type, range and spelling of every verifier option once, when the verifier is built, so
 * that a typo, a string from `process.env` or an unset variable (`Number(undefined)` is `NaN`) stops
 * the start-up with a `TypeError` naming the option, instead of silently disabling a check.
 *
 * The `dpop` and `cache` objects are checked where they are read (the sender constraint and the
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
  const { clientIds } = options;
  if (
    clientIds !== undefined &&
    (typeof clientIds === 'string'
      ? clientIds === ''
      : !Array.isArray(clientIds) ||
        clientIds.length === 0 ||
        clientIds.some((id) => typeof id !== 'string' || id === ''))
  ) {
    throw new TypeError(
      `tokenwarden: clientIds must be a client id or a non-empty list of them (got ${describeValue(clientIds)})`,
    );
  }
  optionalString(options.typ, 'typ');
  optionalString(options.cookie, 'cookie');
  booleanOption(options.credentialsOptional, 'credentialsOptional', false);
  booleanOption(options.allowQueryToken, 'allowQueryToken', false);
  for (const name of ['validateClaims', 'getToken', 'clock', 'fetch', 'onEvent'] as const) {
    optionalFunction(options[name], name);
  }
  checkLoggerOption(options.logger, 'logger');
  optionalObjectWithMethods(options.introspection, 'introspection', ['introspect']);
  if (booleanOption(options.introspectJwts, 'introspectJwts', false) && options.introspection === undefined) {
    throw new TypeError('tokenwarden: introspectJwts needs an introspection option to ask');
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

/** A verifier's options, checked once and unpacked with their defaults: what its steps are built from. */
export interface VerifierSettings {
  /** What the JWT resolver runs with: algorithms, claim rules, key sources, cache. */
  readonly resolver: JwtResolverSettings;
  /** What the sender constraint is built from: the `dpop` option, checked there, and the clock. */
  readonly senderConstraint: ProofOfPossessionSettings;
  /** What resolves tokens that are not JWTs, when the `introspection` option is set. */
  readonly introspection: IntrospectionResolverSettings | undefined;
  /** Whether JWTs are introspected too, for their revocation status. */
  readonly introspectJwts: boolean;
  readonly credentialsOptional: boolean;
  readonly onEvent: EventListener | undefined;
  /** The `protectedResource` option, checked. */
  readonly protectedResource: ProtectedResourceOptions | undefined;
  /** The trusted issuers, the default `authorization_servers` of the metadata. */
  readonly issuers: readonly string[];
  readonly allowQueryToken: boolean;
  readonly clock: () => number;
  readonly clockTolerance: number;
}

/**
 * Checks `options` ({@link checkVerifierOptions}, then the rules between them) and unpacks every one
 * with its default, in this one place. Builds the key sources and the token cache.
 *
 * @throws {TypeError} naming the first option refused.
 */
export function verifierSettings(given: VerifierOptions): VerifierSettings {
  checkVerifierOptions(given);
  const options = withProfile(given);
  const protectedResource = checkProtectedResourceOptions(options.protectedResource);
  const issuers = toList(options.issuer, 'issuer');
  // RFC 9068 §4, RFC 8707: the resource identifier is the audience, matched as the exact string.
  const audienceOption = options.audience ?? protectedResource?.resource;
  const clientIds = options.clientIds === undefined ? undefined : toList(options.clientIds, 'clientIds');
  // With clientIds (Cognito), tokens without aud are checked by their client_id instead.
  const audiences =
    audienceOption === undefined && clientIds !== undefined ? [] : toList(audienceOption, 'audience');
  const secret = secretBytes(options.secret);
  const algorithms = acceptedAlgorithms(options.algorithms, secret);
  const clock = options.clock ?? systemClock;
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  // Key source and replay store failures are configuration trouble: the logger hears those, while
  // token events go to onEvent alone and the request path is unchanged.
  const onServerEvent = withWarningLog(options.onEvent, options.logger, clock);
  const providerOptions = { ...options.jwksOptions, clock, fetch: options.fetch, onEvent: onServerEvent };
  let sharedKeyProvider: KeyProvider | undefined = options.keyProvider;
  if (sharedKeyProvider === undefined && options.keySet !== undefined) {
    sharedKeyProvider = createStaticKeyProvider(options.keySet);
  }
  if (sharedKeyProvider === undefined && options.jwksUri !== undefined) {
    sharedKeyProvider = createJwksProvider({ ...providerOptions, jwksUri: options.jwksUri });
  }
  const keyProviders = new Map<string, KeyProvider>();
  if (sharedKeyProvider === undefined) {
    for (const issuer of issuers)
      keyProviders.set(issuer, createJwksProvider({ ...providerOptions, issuer }));
  }
  const rules = {
    issuers: new Set(issuers),
    audiences,
    clientIds,
    clockTolerance,
    maxTokenAge: options.maxTokenAge,
    requiredClaims: options.requiredClaims ?? [],
  };
  const maxTokenSize = options.maxTokenSize ?? DEFAULT_MAX_TOKEN_SIZE;
  return {
    resolver: {
      algorithms,
      rules,
      hmacKeys: secret === undefined ? undefined : new HmacKeys(secret),
      keyProviders,
      sharedKeyProvider,
      maxTokenSize,
      clock,
      typ: options.typ,
      validateClaims: options.validateClaims,
      cache: options.cache === false ? undefined : new VerifiedTokenCache(options.cache),
    },
    senderConstraint: { dpop: options.dpop, clockTolerance, clock, onEvent: onServerEvent },
    introspection:
      options.introspection === undefined
        ? undefined
        : {
            introspector: options.introspection,
            rules,
            maxTokenSize,
            clock,
            validateClaims: options.validateClaims,
            publicUrl: options.dpop ?? {},
          },
    introspectJwts: options.introspectJwts ?? false,
    credentialsOptional: options.credentialsOptional ?? false,
    onEvent: options.onEvent,
    protectedResource,
    issuers,
    allowQueryToken: options.allowQueryToken ?? false,
    clock,
    clockTolerance,
  };
}

/**
 * The accepted signature algorithms: the `algorithms` option, or the defaults (with `HS256` when a
 * secret is set). `none` is not an algorithm here, and `HS*` needs a secret long enough for it.
 */
function acceptedAlgorithms(
  given: readonly Algorithm[] | undefined,
  secret: Uint8Array | undefined,
): ReadonlySet<Algorithm> {
  const algorithms = new Set<Algorithm>(
    given ?? (secret === undefined ? DEFAULT_ALGORITHMS : [...DEFAULT_ALGORITHMS, 'HS256']),
  );
  for (const alg of algorithms) {
    if (!isKnownAlgorithm(alg)) throw new TypeError(`tokenwarden: unsupported algorithm ${String(alg)}`);
    if (isSymmetricAlgorithm(alg)) checkSecretFor(alg, secret);
  }
  if (algorithms.size === 0) throw new TypeError('tokenwarden: algorithms must not be empty');
  return algorithms;
}

function toList(value: string | readonly string[] | undefined, name: string): string[] {
  const list = typeof value === 'string' ? [value] : [...(value ?? [])];
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) {
    throw new TypeError(`tokenwarden: the ${name} option is required`);
  }
  return list;
}
