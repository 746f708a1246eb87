import { type AccessTokenClaims, checkClaimTypes } from '../claims.js';
import { deepFreeze } from '../deep-freeze.js';
import { tokenValue } from '../error-detail.js';
import { TokenError } from '../errors.js';
import { IntrospectionFailure } from './failure.js';
import type { IntrospectionAnswer } from './introspected-token.js';

/**
 * Members RFC 7662 §2.2 defines as strings beyond those {@link checkClaimTypes} already holds to
 * their type (`sub`, `jti`, `client_id`, `scope`, ...): a JWT's `iss` is checked against the trusted
 * list, an answer's is read before that.
 */
const STRING_MEMBERS = ['iss', 'username', 'token_type'] as const;

/** Members RFC 7662 §2.2 defines as NumericDate (RFC 7519 §2). */
const DATE_MEMBERS = ['exp', 'iat', 'nbf'] as const;

/**
 * `token_type` values that mean an access token: the RFC 6749 §7.1 types a resource server accepts
 * (case-insensitive, §5.1) and the RFC 8693 §3 identifier. Anything else (`refresh_token`, `N_A`,
 * an ID token) is a token that must not open an API.
 */
const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set([
  'bearer',
  'dpop',
  'access_token',
  'urn:ietf:params:oauth:token-type:access_token',
]);

/**
 * RFC 7662 §2.2: reads an introspection answer. `active` must be a boolean, or the answer is no
 * answer at all (an {@link IntrospectionFailure}); an inactive token's other members are ignored, as
 * the server should not send any. An active token's members become its claims, checked by
 * {@link checkIntrospectedClaims}.
 */
export function readIntrospectionAnswer(body: unknown): IntrospectionAnswer {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new IntrospectionFailure('introspection answer is not a JSON object');
  }
  const { active, ...members } = body as Record<string, unknown>;
  if (typeof active !== 'boolean') {
    throw new IntrospectionFailure('introspection answer has no boolean active member');
  }
  if (!active) return { active: false };
  return { active: true, claims: checkIntrospectedClaims(members) };
}

/**
 * The type rules the JWT path applies to claims ({@link checkClaimTypes}), applied to an
 * authorization server's answer, plus the members only an answer has to be read by: the string
 * members are strings, the dates finite numbers, `aud` a string or a list of strings, `cnf`
 * an object; `token_type`, when present, names an access token. Returns the claims deeply frozen.
 *
 * @throws {TokenError} `claim_invalid` for a member of the wrong type, `type_invalid` for a token
 * that is not an access token.
 */
export function checkIntrospectedClaims(members: Readonly<Record<string, unknown>>): AccessTokenClaims {
  checkClaimTypes(members as AccessTokenClaims);
  for (const name of STRING_MEMBERS) {
    if (Object.hasOwn(members, name) && typeof members[name] !== 'string') {
      throw new TokenError('claim_invalid', `The token's ${name} claim is not a string`, {
        detail: { claim: name, expected: 'string', actual: tokenValue(members[name]) },
      });
    }
  }
  for (const name of DATE_MEMBERS) {
    const value = members[name];
    if (Object.hasOwn(members, name) && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new TokenError('claim_invalid', `The token's ${name} claim is not a number`, {
        detail: { claim: name, expected: 'NumericDate', actual: tokenValue(value) },
      });
    }
  }
  const { aud, cnf, token_type: tokenType } = members;
  if (
    aud !== undefined &&
    typeof aud !== 'string' &&
    !(Array.isArray(aud) && aud.every((value) => typeof value === 'string'))
  ) {
    throw new TokenError('claim_invalid', "The token's aud claim is not a string or a list of strings", {
      detail: { claim: 'aud', expected: 'string or array of strings', actual: tokenValue(aud) },
    });
  }
  if (cnf !== undefined && (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf))) {
    throw new TokenError('claim_invalid', "The token's cnf claim is not an object", {
      detail: { claim: 'cnf', expected: 'object', actual: tokenValue(cnf) },
    });
  }
  if (typeof tokenType === 'string' && !ACCESS_TOKEN_TYPES.has(tokenType.toLowerCase())) {
    throw new TokenError('type_invalid', 'The token is not an access token', {
      detail: {
        claim: 'token_type',
        expected: [...ACCESS_TOKEN_TYPES],
        actual: tokenValue(tokenType),
        hint: 'A refresh token or ID token was sent instead of the access token',
      },
    });
  }
  return deepFreeze({ ...members }) as AccessTokenClaims;
}
