import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose';
import { type ClaimRules, checkClaims } from '../claims.js';
import { claimClockReading } from '../clock.js';
import { deepFreeze } from '../deep-freeze.js';
import { type PublicUrlOptions, resolvePublicUrl } from '../dpop/request-url.js';
import { TokenError } from '../errors.js';
import { runClaimsValidator } from '../jwt-resolver.js';
import type { ClaimsValidator, PresentedToken, VerifiedToken } from '../verified-token.js';
import type { IntrospectedToken, IntrospectionContext, TokenIntrospector } from './introspected-token.js';

/** What {@link createIntrospectionResolver} runs with: the verifier's options, checked and defaulted. */
export interface IntrospectionResolverSettings {
  readonly introspector: TokenIntrospector;
  readonly rules: ClaimRules;
  /** Characters. */
  readonly maxTokenSize: number;
  /** Seconds since the epoch. */
  readonly clock: () => number;
  readonly validateClaims: ClaimsValidator | undefined;
  /** How the request's public URL is learnt, for an authorization server that checks the proof itself. */
  readonly publicUrl: PublicUrlOptions;
}

/** An introspected token has no JOSE header; `validateClaims` gets this one. */
const NO_HEADER = Object.freeze({});

/**
 * Resolves a token that is not a JWS by asking the authorization server (RFC 7662 §2), then holds its
 * answer to the same claim rules as a JWT's claims (issuer, audience, time claims, required claims,
 * `validateClaims`); `typ` has no header to apply to. The introspector caches answers itself, so
 * nothing is recalled here.
 */
export function createIntrospectionResolver(settings: IntrospectionResolverSettings) {
  const { introspector, rules, clock, validateClaims } = settings;

  return async function resolve(token: string, presented?: PresentedToken): Promise<VerifiedToken> {
    if (token.length > settings.maxTokenSize) {
      throw new TokenError('token_malformed', 'The token is larger than this API accepts');
    }
    const context = presented === undefined ? undefined : introspectionContext(presented, settings.publicUrl);
    const answer = await introspector.introspect(token, context);
    checkClaims(answer.claims, rules, claimClockReading(clock));
    const result: VerifiedToken = deepFreeze({
      token,
      header: NO_HEADER,
      claims: answer.claims,
      scopes: answer.scopes,
      permissions: answer.permissions,
      ...(await checkedByAuthorizationServer(answer, context)),
    });
    if (validateClaims !== undefined) await runClaimsValidator(validateClaims, result.claims, NO_HEADER);
    return result;
  };
}

/**
 * The request facts an authorization server may check itself (Authlete does; RFC 7662 has no place
 * for them): with a DPoP proof, the method and public URL it must be bound to (RFC 9449 §4.3).
 */
function introspectionContext(presented: PresentedToken, publicUrl: PublicUrlOptions): IntrospectionContext {
  const { request, scheme } = presented;
  const dpopProof = scheme === 'DPoP' ? request.header('dpop') : undefined;
  if (dpopProof === undefined) return {};
  if (typeof dpopProof !== 'string') {
    // RFC 9449 §4.3 point 1: exactly one DPoP header.
    throw new TokenError('dpop_proof_invalid', 'The request has more than one DPoP header');
  }
  return { dpopProof, method: request.method, url: resolvePublicUrl(request, publicUrl) };
}

/**
 * The scheme and DPoP facts of a token whose proof the authorization server checked for this very
 * request: the sender constraint is then met, and the server's nonce goes to the client as
 * `DPoP-Nonce` (RFC 9449 §8). Otherwise the token is Bearer until the sender constraint checks any
 * `cnf` exactly as for a JWT.
 */
async function checkedByAuthorizationServer(
  answer: IntrospectedToken,
  context: IntrospectionContext | undefined,
): Promise<Pick<VerifiedToken, 'scheme' | 'dpop'>> {
  if (answer.senderConstraint !== 'checked_by_authorization_server' || context?.dpopProof === undefined) {
    return { scheme: 'Bearer' };
  }
  let thumbprint: string;
  try {
    thumbprint = await calculateJwkThumbprint(decodeProtectedHeader(context.dpopProof).jwk as JWK, 'sha256');
  } catch (error) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof has no usable public key', { cause: error });
  }
  return { scheme: 'DPoP', dpop: { thumbprint, nextNonce: answer.dpopNonce } };
}
