import { errors, jwtVerify } from 'jose';
import { type AsymmetricAlgorithm, DEFAULT_ALGORITHMS } from '../algorithms.js';
import { TokenError } from '../errors.js';
import type { KeyProvider } from '../jwks/provider.js';
import { IntrospectionFailure } from './failure.js';

/** RFC 9701 §4, §5: the media type asked for and answered with, also the JWT's `typ`. */
export const SIGNED_ANSWER_MEDIA_TYPE = 'application/token-introspection+jwt';

/** What {@link verifySignedAnswer} checks a signed answer against. */
export interface SignedAnswerRules {
  /** The authorization server's issuer identifier, the JWT's `iss`. */
  readonly issuer: string;
  /** This API's client id, the JWT's `aud`. */
  readonly clientId: string;
  /** The authorization server's keys. */
  readonly keys: KeyProvider;
  readonly algorithms: readonly AsymmetricAlgorithm[];
  /** Seconds an `iat` may lie in the future. */
  readonly clockTolerance: number;
}

/** Default algorithms of signed answers: those of access tokens. */
export const DEFAULT_SIGNED_ANSWER_ALGORITHMS: readonly AsymmetricAlgorithm[] = DEFAULT_ALGORITHMS;

/**
 * RFC 9701 §5: verifies a JWT introspection answer and returns its `token_introspection` member,
 * the RFC 7662 answer. The signature must verify with the authorization server's key, `typ` must be
 * `token-introspection+jwt` (§8.1: no other JWT of that server can pass for one), `iss` the
 * server, `aud` this client, and `iat` present and not in the future. Any failure is an
 * {@link IntrospectionFailure}: an answer that cannot be trusted is no answer, never a verdict on the
 * token.
 */
export async function verifySignedAnswer(
  jwt: string,
  rules: SignedAnswerRules,
  now: number,
): Promise<unknown> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(
      jwt,
      (header) => rules.keys.getKey(header.kid, header.alg as AsymmetricAlgorithm),
      {
        algorithms: [...rules.algorithms],
        typ: 'token-introspection+jwt',
        issuer: rules.issuer,
        audience: rules.clientId,
        requiredClaims: ['iat'],
        currentDate: new Date(now * 1000),
        clockTolerance: rules.clockTolerance,
      },
    ));
  } catch (error) {
    throw new IntrospectionFailure(`signed introspection answer refused: ${reasonOf(error)}`);
  }
  // jose checks a future iat only together with maxTokenAge; RFC 9701 answers are fresh by nature.
  if (typeof payload.iat !== 'number' || payload.iat > now + rules.clockTolerance) {
    throw new IntrospectionFailure('signed introspection answer refused: iat is in the future');
  }
  return payload.token_introspection;
}

/** A short reason for logs, from jose's error codes and the key provider's. */
function reasonOf(error: unknown): string {
  if (error instanceof TokenError) return error.code;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof errors.JWTClaimValidationFailed) return `${error.claim} claim check failed`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JOSEError) return error.code;
  return 'not a JWT';
}
