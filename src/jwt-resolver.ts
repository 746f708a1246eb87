import type { ProtectedHeaderParameters } from 'jose';
import { signatureBackend, verifySignature } from '#signature';
import { type Algorithm, isSymmetricAlgorithm } from './algorithms.js';
import {
  type AccessTokenClaims,
  type ClaimRules,
  checkClaims,
  checkIssuer,
  checkTimeClaims,
} from './claims.js';
import { claimClockReading } from './clock.js';
import { deepFreeze } from './deep-freeze.js';
import { TokenError } from './errors.js';
import { checkHeader, checkType } from './header.js';
import type { HmacKeys } from './hmac-secret.js';
import type { KeyProvider } from './jwks/provider.js';
import { permissionsOf, scopesOf } from './scopes.js';
import { type DecodedToken, decodeToken, type KnownHeaders } from './token.js';
import type { ClaimsValidator, TokenResolver, VerifiedToken } from './verified-token.js';
import type { CachedVerification, VerifiedTokenCache } from './verified-token-cache.js';

/** What {@link createJwtResolver} runs with: the verifier's options, checked and defaulted. */
export interface JwtResolverSettings {
  readonly algorithms: ReadonlySet<Algorithm>;
  readonly rules: ClaimRules;
  /** The HMAC secret's keys; present whenever an `HS*` algorithm is accepted. */
  readonly hmacKeys: HmacKeys | undefined;
  /** The key source of each trusted issuer, when each discovers its own. */
  readonly keyProviders: ReadonlyMap<string, KeyProvider>;
  /** The one key source of every issuer (`keyProvider`, `keySet` or `jwksUri`). */
  readonly sharedKeyProvider: KeyProvider | undefined;
  /** Characters. */
  readonly maxTokenSize: number;
  /** Seconds since the epoch. */
  readonly clock: () => number;
  readonly typ: string | undefined;
  readonly validateClaims: ClaimsValidator | undefined;
  readonly cache: VerifiedTokenCache | undefined;
}

/**
 * Resolves a JWT access token (RFC 9068) by verifying it locally, following RFC 8725: decode, check
 * the header, find the key, verify the signature, apply the claim rules, freeze and cache the result.
 * A cached result is recalled while its key is current and its time-based claims hold.
 */
export function createJwtResolver(settings: JwtResolverSettings): TokenResolver {
  const { cache, clock, rules, validateClaims } = settings;
  const knownHeaders: KnownHeaders = new Map();

  function recall(token: string): VerifiedToken | undefined {
    if (cache === undefined) return undefined;
    const now = claimClockReading(clock);
    const hit = cache.get(token, now);
    if (hit === undefined) return undefined;
    if (!isCurrentKey(hit)) {
      cache.delete(token);
      return undefined;
    }
    // The claims are frozen and the rules fixed: only the rules that time changes need applying again.
    try {
      checkTimeClaims(hit.result.claims, rules, now);
    } catch (error) {
      cache.delete(token);
      throw error;
    }
    return hit.result;
  }

  /** The custom rule may depend on state, so it runs for every request, recalled or not. */
  function revalidate(result: VerifiedToken): VerifiedToken | Promise<VerifiedToken> {
    if (validateClaims === undefined) return result;
    return runClaimsValidator(validateClaims, result.claims, result.header).then(() => result);
  }

  /**
   * Resolves a token not recalled. With its key at hand, a signature backend that answers at once
   * (node:crypto) and no `validateClaims`, the whole check runs synchronously and returns the result
   * itself: no promise for the adapters to wait on. Only a key fetch, a Web Crypto verification or
   * `validateClaims` makes it a promise. Never throws: a refusal is a rejected promise.
   */
  function resolve(token: string): VerifiedToken | Promise<VerifiedToken> {
    try {
      if (typeof token !== 'string' || token.length === 0) {
        throw new TokenError('token_malformed', 'The token is empty');
      }
      const decoded = decodeToken(token, settings.maxTokenSize, knownHeaders);
      const { header, claims } = decoded;
      const alg = checkHeader(header, settings.algorithms);
      // The unverified iss only chooses whose keys to try; an unlisted one is refused before any fetch.
      checkIssuer(claims, rules.issuers);
      if (isSymmetricAlgorithm(alg)) {
        const hmacKeys = settings.hmacKeys as HmacKeys;
        const key = hmacKeys.currentKey(alg);
        if (key !== undefined) return verifyWithKey(token, decoded, alg, key, undefined);
        return hmacKeys.getKey(alg).then((fetched) => verifyWithKey(token, decoded, alg, fetched, undefined));
      }
      const provider = providerFor(claims.iss as string);
      // A key already at hand is used without an await; only a first use or a refetch waits.
      const key = provider.currentKey?.(header.kid, alg);
      if (key !== undefined) return verifyWithKey(token, decoded, alg, key, provider);
      return provider
        .getKey(header.kid, alg)
        .then((fetched) => verifyWithKey(token, decoded, alg, fetched, provider));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The signature, then the claim rules. Throws a refusal when called synchronously. */
  function verifyWithKey(
    token: string,
    decoded: DecodedToken,
    alg: Algorithm,
    key: CryptoKey,
    provider: KeyProvider | undefined,
  ): VerifiedToken | Promise<VerifiedToken> {
    // The backend verifies the signing input and signature decoded before: the token is not parsed again.
    const valid = verifySignature(alg, key, decoded.signingInput, decoded.signature);
    if (typeof valid !== 'boolean') {
      return valid.then((verified) => accept(token, decoded, alg, verified, key, provider));
    }
    return accept(token, decoded, alg, valid, key, provider);
  }

  function accept(
    token: string,
    { header, claims }: DecodedToken,
    alg: Algorithm,
    valid: boolean,
    key: CryptoKey,
    provider: KeyProvider | undefined,
  ): VerifiedToken | Promise<VerifiedToken> {
    if (!valid) {
      // The cause is for logs: which check failed, and where.
      const cause = new Error(`The ${alg} signature does not verify (${signatureBackend} backend)`);
      throw new TokenError('signature_invalid', 'The token signature is invalid', { cause });
    }
    // RFC 9068 §4 step 1: the type first, so an ID token or a logout token is named as what it is
    // (type_invalid) rather than by whichever claim of it happens to differ.
    if (settings.typ !== undefined) checkType(header, settings.typ);
    const now = claimClockReading(clock);
    checkClaims(claims, rules, now);
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
    if (validateClaims !== undefined) {
      return runClaimsValidator(validateClaims, claims, header).then(() =>
        remember(result, key, provider, now),
      );
    }
    return remember(result, key, provider, now);
  }

  function remember(
    result: VerifiedToken,
    key: CryptoKey,
    provider: KeyProvider | undefined,
    now: number,
  ): VerifiedToken {
    if (cache !== undefined && (provider === undefined || provider.isCurrentKey !== undefined)) {
      cache.set({ result, key, provider, cachedAt: now });
    }
    return result;
  }

  function isCurrentKey(hit: CachedVerification): boolean {
    // No provider means the HMAC secret, which is configuration and never rotates at run time.
    if (hit.provider === undefined) return true;
    return !(hit.key instanceof Uint8Array) && hit.provider.isCurrentKey?.(hit.key) === true;
  }

  function providerFor(issuer: string): KeyProvider {
    const provider = settings.keyProviders.get(issuer) ?? settings.sharedKeyProvider;
    if (provider === undefined) {
      throw new TokenError('key_not_found', 'No key source for this issuer', {
        detail: { claim: 'iss', actual: issuer },
      });
    }
    return provider;
  }

  return { recall, revalidate, resolve };
}

/** Runs `validateClaims`: a `false` is `claim_invalid`, a thrown `TokenError` keeps its code. */
export async function runClaimsValidator(
  validator: ClaimsValidator,
  claims: AccessTokenClaims,
  header: ProtectedHeaderParameters,
): Promise<void> {
  if ((await validator(claims, header)) === false) {
    throw new TokenError('claim_invalid', 'The token failed a claims check');
  }
}
