import { compactVerify, errors, type ProtectedHeaderParameters } from 'jose';
import {
  type Algorithm,
  DEFAULT_ALGORITHMS,
  isKnownAlgorithm,
  isSymmetricAlgorithm,
  type SymmetricAlgorithm,
} from './algorithms.js';
import {
  type AccessTokenClaims,
  type ClaimRules,
  checkClaims,
  checkIssuer,
  checkTimeClaims,
} from './claims.js';
import { systemClock } from './clock.js';
import { type AuthScheme, setChallengeContext, TokenError } from './errors.js';
import { type EventListener, emit } from './events.js';
import { checkTokenSyntax, findToken } from './extract.js';
import { checkHeader, checkType } from './header.js';
import { createJwksProvider, createStaticKeyProvider, type KeyProvider } from './jwks/provider.js';
import type { ResourceRequest } from './request.js';
import { permissionsOf, scopesOf } from './scopes.js';
import { createSenderConstraint, type SenderConstraint } from './sender-constraint.js';
import { DEFAULT_MAX_TOKEN_SIZE, decodeToken } from './token.js';
import type { ClaimsValidator, VerifiedToken } from './verified-token.js';
import { type CachedVerification, VerifiedTokenCache } from './verified-token-cache.js';
import { checkVerifierOptions, type VerifierOptions } from './verifier-options.js';

export type { ClaimsValidator, VerifiedToken } from './verified-token.js';
export type { VerifierOptions } from './verifier-options.js';

/** Verifies access tokens; create one per API and share it across routes. */
export interface Verifier {
  /**
   * Verifies a compact JWT access token as a Bearer token, with no request at hand. Rejects with a
   * {@link TokenError}: `dpop_binding_mismatch` for any sender-constrained token (a `cnf` claim, such
   * as DPoP's `cnf.jkt`), since there is no proof to check, and for every token when `dpop.mode` is
   * `'required'`. Use {@link Verifier.authenticate} for those.
   */
  verify(token: string): Promise<VerifiedToken>;
  /**
   * Finds the token in a request and verifies it. Resolves `undefined` only when there is no token
   * and `credentialsOptional` is set. Rejects with a {@link TokenError}.
   */
  authenticate(request: ResourceRequest): Promise<VerifiedToken | undefined>;
  /**
   * {@link Verifier.authenticate} without the promise when the outcome is known at once: a token
   * verified before presented as Bearer (and no `validateClaims`, which may be asynchronous), or no
   * token under `credentialsOptional`. Otherwise returns the promise `authenticate` would. Never
   * throws: a failure is a rejected promise. Adapters use it so a repeated token costs no promise.
   */
  authenticateEagerly(request: ResourceRequest): AuthenticationOutcome;
}

/** What {@link Verifier.authenticateEagerly} returns: the outcome itself, or a promise of it. */
export type AuthenticationOutcome = VerifiedToken | undefined | Promise<VerifiedToken | undefined>;

/**
 * Creates a verifier for JWT access tokens (RFC 9068) following RFC 8725's best practices.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({
 *   issuer: 'https://tenant.eu.auth0.com/',
 *   audience: 'https://api.example.com',
 * });
 * const { claims, scopes } = await verifier.verify(token);
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const config = normaliseOptions(options);

  function verify(token: string): Promise<VerifiedToken> {
    // verify() has no request, hence no DPoP proof: in required mode no token can pass it.
    if (config.presentation.proofRequired) return Promise.reject(proofNeeded('mode'));
    let cached: VerifiedToken | undefined;
    try {
      cached = typeof token === 'string' ? fromCache(token) : undefined;
    } catch (error) {
      return Promise.reject(error);
    }
    if (cached !== undefined) {
      if (cached.claims.cnf !== undefined) return Promise.reject(proofNeeded('cnf'));
      return observed(revalidate(cached), true);
    }
    return observed(verifyFully(token).then(unboundOnly), false);
  }

  /**
   * The earlier verification of `token` when it still stands: its key is current and, the claims
   * being frozen and the rules fixed, only the time-based claims need checking again. Throws when
   * they now fail (say, the token expired since), `undefined` when there is no usable entry.
   */
  function fromCache(token: string): VerifiedToken | undefined {
    const cache = config.cache;
    if (cache === undefined) return undefined;
    const now = readClock(config.clock);
    const hit = cache.get(token, now);
    if (hit === undefined) return undefined;
    if (!isCurrentKey(hit)) {
      cache.delete(token);
      return undefined;
    }
    try {
      checkTimeClaims(hit.result.claims, config.rules, now);
    } catch (error) {
      cache.delete(token);
      throw error;
    }
    return hit.result;
  }

  /** Reports success to `onEvent`; without a listener, adds nothing to the hot path. */
  function observed(verification: Promise<VerifiedToken>, cached: boolean): Promise<VerifiedToken> {
    if (config.onEvent === undefined) return verification;
    return verification.then((result) => {
      reportVerified(result, cached);
      return result;
    });
  }

  function reportVerified(result: VerifiedToken, cached: boolean): void {
    if (config.onEvent === undefined) return;
    emit(config.onEvent, {
      type: 'token_verified',
      issuer: result.claims.iss as string,
      subject: typeof result.claims.sub === 'string' ? result.claims.sub : undefined,
      cached,
    });
  }

  function reportRejected(error: unknown): never {
    if (error instanceof TokenError) emit(config.onEvent, { type: 'token_rejected', code: error.code });
    throw error;
  }

  async function verifyFully(token: string): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token.length === 0) {
      throw new TokenError('token_malformed', 'The token is empty');
    }
    const { header, claims } = decodeToken(token, config.maxTokenSize);
    const alg = checkHeader(header, config.algorithms);
    // The unverified iss only chooses whose keys to try; an unlisted one is refused before any fetch.
    checkIssuer(claims, config.rules.issuers);
    let key: CryptoKey;
    let provider: KeyProvider | undefined;
    if (isSymmetricAlgorithm(alg)) {
      key = config.secretKeys.get(alg) ?? (await importSecret(alg));
    } else {
      provider = providerFor(claims.iss as string);
      // A key already at hand is used without an await; only a first use or a refetch waits.
      key = provider.currentKey?.(header.kid, alg) ?? (await provider.getKey(header.kid, alg));
    }
    try {
      await compactVerify(token, key, { algorithms: [alg] });
    } catch (error) {
      throw toTokenError(error);
    }
    const now = readClock(config.clock);
    checkClaims(claims, config.rules, now);
    if (config.typ !== undefined) checkType(header, config.typ);
    // Frozen: a cached result is handed to every request presenting the same token, so one request
    // changing its claims must not change what the next one is told.
    const result: VerifiedToken = deepFreeze({
      token,
      header,
      claims,
      scopes: scopesOf(claims),
      permissions: permissionsOf(claims),
      scheme: 'Bearer',
    });
    if (config.validateClaims !== undefined) await runCustomValidator(config.validateClaims, claims, header);
    if (config.cache !== undefined && (provider === undefined || provider.isCurrentKey !== undefined)) {
      config.cache.set({ result, key, provider, cachedAt: now });
    }
    return result;
  }

  /**
   * Imports the HMAC secret once per algorithm: handing jose the raw bytes would make it import them
   * again on every verification.
   */
  async function importSecret(alg: SymmetricAlgorithm): Promise<CryptoKey> {
    const imported = await crypto.subtle.importKey(
      'raw',
      new Uint8Array(config.secret as Uint8Array),
      { name: 'HMAC', hash: `SHA-${alg.slice(2)}` },
      false,
      ['verify'],
    );
    config.secretKeys.set(alg, imported);
    return imported;
  }

  /** A cache hit: the signature and claims stand, but the custom rule may depend on state. */
  function revalidate(result: VerifiedToken): Promise<VerifiedToken> {
    if (config.validateClaims === undefined) return Promise.resolve(result);
    return runCustomValidator(config.validateClaims, result.claims, result.header).then(() => result);
  }

  function isCurrentKey(hit: CachedVerification): boolean {
    // No provider means the HMAC secret, which is configuration and never rotates at run time.
    if (hit.provider === undefined) return true;
    return !(hit.key instanceof Uint8Array) && hit.provider.isCurrentKey?.(hit.key) === true;
  }

  function providerFor(issuer: string): KeyProvider {
    const provider = config.keyProviders.get(issuer) ?? config.sharedKeyProvider;
    if (provider === undefined) throw new TokenError('key_not_found', 'No key source for this issuer');
    return provider;
  }

  function authenticateEagerly(request: ResourceRequest): AuthenticationOutcome {
    let scheme: AuthScheme | undefined;
    try {
      const found = findToken(request, options);
      if (found === undefined || !config.presentation.accepts(found.scheme)) {
        if (config.credentialsOptional) return undefined;
        throw new TokenError('token_missing', 'No access token was sent');
      }
      scheme = found.scheme;
      config.presentation.checkScheme(scheme);
      const cached = fromCache(found.token);
      if (cached !== undefined && config.validateClaims === undefined) {
        reportVerified(cached, true);
        const presented = config.presentation.check(request, scheme, cached);
        if (!(presented instanceof Promise)) return presented;
        return presented.catch((error: unknown) => Promise.reject(withChallenge(error, scheme)));
      }
      // A token verified before was a well-formed credential then; only a new one needs the scan.
      if (cached === undefined) checkTokenSyntax(found);
      const verification =
        cached === undefined ? observed(verifyFully(found.token), false) : observed(revalidate(cached), true);
      return present(request, scheme, verification);
    } catch (error) {
      return Promise.reject(withChallenge(error, scheme));
    }
  }

  async function present(
    request: ResourceRequest,
    scheme: AuthScheme,
    verification: Promise<VerifiedToken>,
  ): Promise<VerifiedToken> {
    try {
      return await config.presentation.check(request, scheme, await verification);
    } catch (error) {
      throw withChallenge(error, scheme);
    }
  }

  /** Marks a failure with this verifier's challenge, under the scheme the request used. */
  function withChallenge(error: unknown, scheme: AuthScheme | undefined): unknown {
    if (error instanceof TokenError) setChallengeContext(error, { ...config.presentation.challenge, scheme });
    return error;
  }

  function authenticate(request: ResourceRequest): Promise<VerifiedToken | undefined> {
    const outcome = authenticateEagerly(request);
    return outcome instanceof Promise ? outcome : Promise.resolve(outcome);
  }

  if (config.onEvent === undefined) return { verify, authenticate, authenticateEagerly };
  return {
    verify: (token) => verify(token).catch(reportRejected),
    authenticate: (request) => authenticate(request).catch(reportRejected),
    authenticateEagerly: (request) => {
      const outcome = authenticateEagerly(request);
      return outcome instanceof Promise ? outcome.catch(reportRejected) : outcome;
    },
  };
}

/** Freezes a decoded JSON value and everything in it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * The clock's reading in seconds. A clock giving no finite time (NaN from an unset variable,
 * Infinity, a string) fails closed: NaN makes every time comparison false, so an expired token
 * would pass.
 */
function readClock(clock: () => number): number {
  const now = clock();
  if (!Number.isFinite(now)) {
    throw new TokenError(
      'claim_invalid',
      "The token's times cannot be checked: the server clock gave no time",
    );
  }
  return now;
}

/**
 * RFC 9449 §7.2, RFC 8705 §3: a sender-constrained token (any `cnf`) is only good with proof of its
 * key or certificate, which `verify()`, having no request, never has. Accepting it as Bearer would
 * make a stolen bound token a bearer token again.
 */
function unboundOnly(result: VerifiedToken): VerifiedToken {
  if (result.claims.cnf !== undefined) throw proofNeeded('cnf');
  return result;
}

function proofNeeded(reason: 'cnf' | 'mode'): TokenError {
  return new TokenError(
    'dpop_binding_mismatch',
    reason === 'cnf'
      ? 'The access token is sender-constrained (cnf): check it with authenticate(request), not verify(token)'
      : 'This API accepts only DPoP-bound access tokens: check them with authenticate(request), not verify(token)',
  );
}

/** Maps jose's failures onto the closed set of codes, keeping the original as `cause` for logs. */
function toTokenError(error: unknown): TokenError {
  if (error instanceof TokenError) return error;
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new TokenError('signature_invalid', 'The token signature is invalid', { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new TokenError(
      'algorithm_not_allowed',
      'The token is signed with an algorithm this API does not accept',
      { cause: error },
    );
  }
  if (error instanceof TypeError) {
    // jose refuses a key whose type does not fit the algorithm (RFC 8725 §3.1).
    return new TokenError('algorithm_not_allowed', 'The token algorithm does not fit the signing key', {
      cause: error,
    });
  }
  return new TokenError('token_malformed', 'The token is malformed', { cause: error });
}

async function runCustomValidator(
  validator: ClaimsValidator,
  claims: AccessTokenClaims,
  header: ProtectedHeaderParameters,
): Promise<void> {
  if ((await validator(claims, header)) === false) {
    throw new TokenError('claim_invalid', 'The token failed a claims check');
  }
}

interface NormalisedOptions {
  readonly algorithms: ReadonlySet<Algorithm>;
  readonly rules: ClaimRules;
  readonly secret: Uint8Array | undefined;
  /** The secret imported as a Web Crypto key, per HMAC algorithm, filled on first use. */
  readonly secretKeys: Map<SymmetricAlgorithm, CryptoKey>;
  readonly keyProviders: ReadonlyMap<string, KeyProvider>;
  readonly sharedKeyProvider: KeyProvider | undefined;
  readonly maxTokenSize: number;
  readonly clock: () => number;
  readonly typ: string | undefined;
  readonly validateClaims: ClaimsValidator | undefined;
  readonly credentialsOptional: boolean;
  readonly cache: VerifiedTokenCache | undefined;
  readonly onEvent: EventListener | undefined;
  readonly presentation: SenderConstraint;
}

/** Seconds of clock difference allowed by default. */
const DEFAULT_CLOCK_TOLERANCE = 60;

/** Minimum HMAC key size per algorithm, in bytes (RFC 7518 §3.2). */
const MIN_SECRET_BYTES: Readonly<Record<SymmetricAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/**
 * Marks of asymmetric key material: PEM armour, OpenSSH public keys, JWK JSON. A public key used as
 * the HMAC secret lets anyone who can read it forge tokens (RFC 8725 §2.1; CVE-2017-11424,
 * CVE-2023-48223). Unanchored, so leading whitespace cannot hide a key (CVE-2026-34950).
 */
const KEY_MATERIAL =
  /-----BEGIN [A-Z0-9 ]*-----|\b(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+) AAAA|"kty"\s*:/;

function looksLikeKeyMaterial(secret: Uint8Array): boolean {
  return KEY_MATERIAL.test(new TextDecoder().decode(secret));
}

function normaliseOptions(options: VerifierOptions): NormalisedOptions {
  checkVerifierOptions(options);
  const issuers = toList(options.issuer, 'issuer');
  const audiences = toList(options.audience, 'audience');
  const secret =
    typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
  const algorithms = new Set<Algorithm>(
    options.algorithms ?? (secret === undefined ? DEFAULT_ALGORITHMS : [...DEFAULT_ALGORITHMS, 'HS256']),
  );
  if (secret !== undefined && looksLikeKeyMaterial(secret)) {
    throw new TypeError('tokenwarden: the secret looks like a public or private key, not a shared secret');
  }
  for (const alg of algorithms) {
    if (!isKnownAlgorithm(alg)) throw new TypeError(`tokenwarden: unsupported algorithm ${String(alg)}`);
    if (isSymmetricAlgorithm(alg)) {
      if (secret === undefined) throw new TypeError(`tokenwarden: ${alg} needs the secret option`);
      if (secret.byteLength < MIN_SECRET_BYTES[alg]) {
        throw new TypeError(`tokenwarden: the secret is too short for ${alg} (RFC 7518 §3.2)`);
      }
    }
  }
  if (algorithms.size === 0) throw new TypeError('tokenwarden: algorithms must not be empty');
  const clock = options.clock ?? systemClock;
  const clockTolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  const providerOptions = { ...options.jwksOptions, clock, fetch: options.fetch, onEvent: options.onEvent };
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
  return {
    algorithms,
    rules: {
      issuers: new Set(issuers),
      audiences,
      clockTolerance,
      maxTokenAge: options.maxTokenAge,
      requiredClaims: options.requiredClaims ?? [],
    },
    secret,
    secretKeys: new Map(),
    keyProviders,
    sharedKeyProvider,
    maxTokenSize: options.maxTokenSize ?? DEFAULT_MAX_TOKEN_SIZE,
    clock,
    typ: options.typ,
    validateClaims: options.validateClaims,
    credentialsOptional: options.credentialsOptional ?? false,
    cache: options.cache === false ? undefined : new VerifiedTokenCache(options.cache),
    onEvent: options.onEvent,
    presentation: createSenderConstraint({
      dpop: options.dpop,
      clockTolerance,
      clock,
      onEvent: options.onEvent,
    }),
  };
}

function toList(value: string | readonly string[] | undefined, name: string): string[] {
  const list = typeof value === 'string' ? [value] : [...(value ?? [])];
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) {
    throw new TypeError(`tokenwarden: the ${name} option is required`);
  }
  return list;
}
