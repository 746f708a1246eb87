import { type AcceptingVerifier, recordAcceptance } from './accepted-token.js';
import { DEFAULT_CLOCK_TOLERANCE, systemClock } from './clock.js';
import { type AuthScheme, type ChallengeContext, setChallengeContext, TokenError } from './errors.js';
import { checkTokenSyntax, findToken } from './extract.js';
import { createIntrospectionResolver } from './introspection/introspection-resolver.js';
import { createJwtResolver } from './jwt-resolver.js';
import { buildProtectedResourceMetadata, type ProtectedResourceMetadata } from './protected-resource.js';
import type { ResourceRequest } from './request.js';
import { createSenderConstraint } from './sender-constraint.js';
import { chooseTokenResolver } from './token-resolver.js';
import { createVerificationReporter } from './verification-events.js';
import type { TokenResolver, VerifiedToken } from './verified-token.js';
import { type VerifierOptions, type VerifierSettings, verifierSettings } from './verifier-options.js';

export type { ClaimsValidator, VerifiedToken } from './verified-token.js';
export type { VerifierOptions } from './verifier-options.js';

/** Verifies access tokens; create one per API and share it across routes. */
export interface Verifier {
  /**
   * Verifies an access token as a Bearer token, with no request at hand: a compact JWT, or with the
   * `introspection` option any other token, by asking the authorization server. Rejects with a
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
  /**
   * Fetches each issuer's discovery document and key set now (a static `keySet` or `secret`: at
   * once), and rejects with an `Error` naming the URL and the cause when one cannot be had. Await it
   * before `listen`, so a wrong `issuer` or `jwksUri` fails the deploy rather than every request.
   *
   * @example
   * ```ts
   * const verifier = createVerifier({ issuer, audience });
   * await verifier.ready(); // throws: cannot fetch the signing keys from https://...: unexpected HTTP status 404
   * app.listen(3000);
   * ```
   */
  ready(): Promise<void>;
  /**
   * The RFC 9728 metadata document built from the `protectedResource` option, for the adapters to
   * serve; `undefined` without the option.
   */
  readonly protectedResource?: ProtectedResourceMetadata | undefined;
}

/** What {@link Verifier.authenticateEagerly} returns: the outcome itself, or a promise of it. */
export type AuthenticationOutcome = VerifiedToken | undefined | Promise<VerifiedToken | undefined>;

/**
 * Creates a verifier for JWT access tokens (RFC 9068) following RFC 8725's best practices, and with
 * the `introspection` option for opaque tokens too (RFC 7662).
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
  const settings = verifierSettings(options);
  const resolver = createTokenResolver(settings);
  const constraint = createSenderConstraint(settings.senderConstraint);
  const reporter = createVerificationReporter(settings.onEvent);
  const protectedResource =
    settings.protectedResource === undefined
      ? undefined
      : buildProtectedResourceMetadata(settings.protectedResource, {
          issuers: settings.issuers,
          allowQueryToken: settings.allowQueryToken,
          dpopAlgorithms: constraint.challenge.dpopAlgorithms,
          dpopRequired: constraint.proofRequired,
        });
  const challenge: ChallengeContext =
    protectedResource === undefined
      ? constraint.challenge
      : { ...constraint.challenge, resourceMetadata: protectedResource.url };
  // The guards fall back to the system clock, the default tolerance and no metadata URL: a verifier
  // with exactly those has nothing to tell them, and records nothing per accepted token.
  const acceptance: AcceptingVerifier | undefined =
    settings.clock === systemClock &&
    settings.clockTolerance === DEFAULT_CLOCK_TOLERANCE &&
    protectedResource === undefined
      ? undefined
      : {
          clock: settings.clock,
          clockTolerance: settings.clockTolerance,
          resourceMetadata: protectedResource?.url,
        };

  /**
   * The request flow: find the credentials, resolve the token, check the sender constraint (the
   * guards run after it, in the adapters). A token resolved before is recalled, and with nothing
   * left to wait for, the outcome is returned as it is: no promise, no closure. Never throws.
   */
  function authenticateRequest(request: ResourceRequest): AuthenticationOutcome {
    let scheme: AuthScheme | undefined;
    try {
      const found = findToken(request, options);
      if (found === undefined || !constraint.accepts(found.scheme)) {
        if (settings.credentialsOptional) return undefined;
        throw new TokenError('token_missing', 'No access token was sent');
      }
      scheme = found.scheme;
      constraint.checkScheme(scheme);
      const recalled = resolver.recall(found.token);
      // A recalled token passed the credential syntax check when first seen; only a new one is scanned.
      if (recalled === undefined) checkTokenSyntax(found);
      const token =
        recalled === undefined
          ? resolver.resolve(found.token, { request, scheme })
          : resolver.revalidate(recalled);
      if (token instanceof Promise) {
        return checkSenderOnceResolved(request, scheme, reporter.whenVerified(token, recalled !== undefined));
      }
      reporter.verified(token, recalled !== undefined);
      const outcome = constraint.check(request, scheme, token);
      if (outcome instanceof Promise) return challenged(outcome, scheme);
      // A recalled token was recorded when first accepted; one resolved just now is recorded here.
      return recalled === undefined ? recordAcceptance(outcome, acceptance) : outcome;
    } catch (error) {
      return Promise.reject(withChallenge(error, scheme));
    }
  }

  async function checkSenderOnceResolved(
    request: ResourceRequest,
    scheme: AuthScheme,
    resolution: Promise<VerifiedToken>,
  ): Promise<VerifiedToken> {
    try {
      return recordAcceptance(await constraint.check(request, scheme, await resolution), acceptance);
    } catch (error) {
      throw withChallenge(error, scheme);
    }
  }

  function challenged(outcome: Promise<VerifiedToken>, scheme: AuthScheme): Promise<VerifiedToken> {
    return outcome.then(
      (token) => recordAcceptance(token, acceptance),
      (error: unknown) => Promise.reject(withChallenge(error, scheme)),
    );
  }

  /** Marks a failure with this verifier's challenge, under the scheme the request used. */
  function withChallenge(error: unknown, scheme: AuthScheme | undefined): unknown {
    if (error instanceof TokenError) setChallengeContext(error, { ...challenge, scheme });
    return error;
  }

  function verify(token: string): Promise<VerifiedToken> {
    // verify() has no request, hence no proof of possession: where every token needs one, none passes.
    if (constraint.proofRequired) return Promise.reject(proofNeeded('mode'));
    let recalled: VerifiedToken | undefined;
    try {
      recalled = typeof token === 'string' ? resolver.recall(token) : undefined;
    } catch (error) {
      return Promise.reject(error);
    }
    if (recalled === undefined) {
      const resolved = resolver.resolve(token);
      let accepted: Promise<VerifiedToken>;
      if (resolved instanceof Promise) {
        accepted = resolved.then((result) => recordAcceptance(unboundOnly(result), acceptance));
      } else {
        try {
          accepted = Promise.resolve(recordAcceptance(unboundOnly(resolved), acceptance));
        } catch (error) {
          accepted = Promise.reject(error);
        }
      }
      return reporter.whenVerified(accepted, false);
    }
    if (recalled.claims.cnf !== undefined) return Promise.reject(proofNeeded('cnf'));
    return reporter.whenVerified(Promise.resolve(resolver.revalidate(recalled)), true);
  }

  function authenticateEagerly(request: ResourceRequest): AuthenticationOutcome {
    const outcome = authenticateRequest(request);
    return outcome instanceof Promise ? reporter.whenRejected(outcome) : outcome;
  }

  return {
    verify: (token) => reporter.whenRejected(verify(token)),
    authenticate(request) {
      const outcome = authenticateEagerly(request);
      return outcome instanceof Promise ? outcome : Promise.resolve(outcome);
    },
    authenticateEagerly,
    ready: () => keysReady(settings),
    protectedResource,
  };
}

/** Every key source fetched at once; the first failure rejects. */
async function keysReady(settings: VerifierSettings): Promise<void> {
  const { sharedKeyProvider, keyProviders } = settings.resolver;
  const providers = sharedKeyProvider === undefined ? [...keyProviders.values()] : [sharedKeyProvider];
  await Promise.all(providers.map((provider) => provider.ready?.()));
}

/**
 * The JWT resolver alone, or, with the `introspection` option, the choice per token between it and
 * the authorization server (RFC 7662).
 */
function createTokenResolver(settings: VerifierSettings): TokenResolver {
  const jwt = createJwtResolver(settings.resolver);
  if (settings.introspection === undefined) return jwt;
  return chooseTokenResolver({
    jwt,
    introspect: createIntrospectionResolver(settings.introspection),
    revocation: settings.introspectJwts ? settings.introspection.introspector : undefined,
  });
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
