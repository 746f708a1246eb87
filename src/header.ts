import type { ProtectedHeaderParameters } from 'jose';
import type { Algorithm } from './algorithms.js';
import { tokenValue } from './error-detail.js';
import { TokenError } from './errors.js';

/**
 * Header parameters that would let the token choose its own key or certificate. RFC 8725 §3.10:
 * an access token's key comes from the issuer's configured key set, never from the token.
 */
const KEY_CARRYING_PARAMETERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

/** The largest `kid` looked up; real ones are far shorter, and lookups should stay cheap. */
const MAX_KID_LENGTH = 256;

/**
 * Checks the unverified JOSE header before any key is looked up, and returns the algorithm.
 * RFC 8725 §3.1 (algorithm allow-list), §2.1 (`none`), RFC 7515 §4.1.11 (`crit`).
 */
export function checkHeader(header: ProtectedHeaderParameters, allowed: ReadonlySet<Algorithm>): Algorithm {
  const alg = header.alg;
  if (typeof alg !== 'string') throw new TokenError('token_malformed', 'The token header has no alg');
  if (!allowed.has(alg as Algorithm)) {
    throw new TokenError(
      'algorithm_not_allowed',
      'The token is signed with an algorithm this API does not accept',
      { detail: { claim: 'alg', expected: [...allowed], actual: tokenValue(alg) } },
    );
  }
  for (const name of KEY_CARRYING_PARAMETERS) {
    if (Object.hasOwn(header, name)) {
      throw new TokenError(
        'token_malformed',
        `The token header carries a ${name} parameter, which is not accepted`,
      );
    }
  }
  // RFC 7515 §4.1.11: extensions named in crit must be understood. tokenwarden understands none
  // (b64 of RFC 7797 included: an access token's payload is always base64url JSON).
  if (Object.hasOwn(header, 'crit') || Object.hasOwn(header, 'b64')) {
    throw new TokenError('token_malformed', 'The token header names an unsupported critical extension');
  }
  const kid: unknown = header.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    throw new TokenError('token_malformed', 'The token header has an invalid kid', {
      detail: { claim: 'kid', actual: tokenValue(kid) },
    });
  }
  return alg as Algorithm;
}

/**
 * RFC 9068 §4 strict typing: the `typ` header must be the expected media type. RFC 7515 §4.1.9
 * lets a value without a `/` leave out its `application/` prefix, and media types compare
 * case-insensitively (RFC 2045 §5.1); anything else, parameters included, must match exactly.
 */
export function checkType(header: ProtectedHeaderParameters, expected: string): void {
  const actual = typeof header.typ === 'string' ? normaliseMediaType(header.typ) : undefined;
  if (actual !== normaliseMediaType(expected)) {
    throw new TokenError('type_invalid', 'The token is not of the expected type', {
      detail: {
        claim: 'typ',
        expected,
        actual: header.typ === undefined ? 'absent' : tokenValue(header.typ),
        ...(header.typ === 'JWT' && {
          hint: 'typ JWT is what ID tokens and many providers use; RFC 9068 access tokens say at+jwt',
        }),
      },
    });
  }
}

/**
 * RFC 7515 §4.1.9: `at+jwt` stands for `application/at+jwt`, but `text/plain` is already a full
 * media type, and `application/text/plain` is a different (invalid) one.
 */
function normaliseMediaType(value: string): string {
  const lower = value.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}
