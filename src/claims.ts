import type { JWTPayload } from 'jose';
import { tokenValue, tokenValues } from './error-detail.js';
import { TokenError } from './errors.js';

/** The claims of a JWT access token (RFC 9068 §2.2), with the ones resource servers commonly read. */
export interface AccessTokenClaims extends JWTPayload {
  /** RFC 8693 §4.2 / RFC 9068 §2.2.3: space-delimited scopes. */
  readonly scope?: string;
  /** Scopes as an array, as Azure AD and Okta send them. */
  readonly scp?: readonly string[] | string;
  /** Auth0 RBAC permissions. */
  readonly permissions?: readonly string[];
  /** RFC 9068 §2.2: the client the token was issued to. */
  readonly client_id?: string;
  /** RFC 9068 §2.2.1: when the user authenticated (NumericDate). */
  readonly auth_time?: number;
  /** RFC 9068 §2.2.1: the authentication context class reference. */
  readonly acr?: string;
  /** RFC 9068 §2.2.1: the authentication methods used. */
  readonly amr?: readonly string[];
}

/** The settings the claim rules need, already normalised by the verifier. */
export interface ClaimRules {
  readonly issuers: ReadonlySet<string>;
  readonly audiences: readonly string[];
  /** The `clientIds` option (Amazon Cognito): listed `client_id`s only, and `aud` may be absent. */
  readonly clientIds?: readonly string[] | undefined;
  /** Seconds. */
  readonly clockTolerance: number;
  /** Seconds, or `undefined` for no limit. */
  readonly maxTokenAge: number | undefined;
  readonly requiredClaims: readonly string[];
}

/** Runs every claim rule in turn; `now` is seconds since the epoch. */
export function checkClaims(claims: AccessTokenClaims, rules: ClaimRules, now: number): void {
  checkIssuer(claims, rules.issuers);
  // The kind of token before its audience: an ID token is named as what it is (type_invalid).
  checkTokenUse(claims);
  checkAudience(claims, rules.audiences, rules.clientIds);
  checkClaimTypes(claims);
  checkTimeClaims(claims, rules, now);
  checkRequiredClaims(claims, rules.requiredClaims);
}

/**
 * The rules whose outcome changes as time passes (`exp`, `nbf`, `iat`): all a token that already
 * passed {@link checkClaims} under the same rules needs again, as long as its claims cannot change.
 */
export function checkTimeClaims(claims: AccessTokenClaims, rules: ClaimRules, now: number): void {
  checkExpiry(claims, now, rules.clockTolerance);
  checkNotBefore(claims, now, rules.clockTolerance);
  checkIssuedAt(claims, now, rules.clockTolerance, rules.maxTokenAge);
}

/** RFC 9068 §4: `iss` must exactly match a configured issuer; no normalisation of case or slashes. */
export function checkIssuer(claims: AccessTokenClaims, issuers: ReadonlySet<string>): void {
  if (typeof claims.iss !== 'string' || !issuers.has(claims.iss)) {
    throw new TokenError('issuer_invalid', 'The token was issued by an untrusted issuer', {
      detail: issuerDetail(claims.iss, issuers),
    });
  }
}

function issuerDetail(iss: unknown, issuers: ReadonlySet<string>) {
  const expected = [...issuers];
  const withoutSlash = (value: string) => value.replace(/\/+$/, '');
  const slashOnly =
    typeof iss === 'string' && expected.some((issuer) => withoutSlash(issuer) === withoutSlash(iss));
  return {
    claim: 'iss',
    expected,
    actual: iss === undefined ? 'absent' : tokenValue(iss),
    ...(slashOnly && {
      hint: 'The issuers differ only by a trailing slash: configure issuer exactly as the token says it',
    }),
  };
}

/**
 * RFC 9068 §4 / RFC 7519 §4.1.3: `aud` (string or array) must contain a configured audience. With
 * `clientIds` (Amazon Cognito, whose access tokens have no `aud`), the token's `client_id` must be
 * listed, and an access token (`token_use: 'access'`) without `aud` is taken as meant for this API.
 */
export function checkAudience(
  claims: AccessTokenClaims,
  audiences: readonly string[],
  clientIds?: readonly string[],
): void {
  const aud: unknown = claims.aud;
  if (clientIds !== undefined) {
    checkClientId(claims, clientIds);
    if (aud === undefined && claims.token_use === 'access') return;
  }
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : undefined;
  if (values === undefined || !values.every((value) => typeof value === 'string')) {
    throw new TokenError('audience_invalid', 'The token has no valid audience', {
      detail: { claim: 'aud', expected: audiences, actual: aud === undefined ? 'absent' : tokenValues(aud) },
    });
  }
  if (!audiences.some((audience) => values.includes(audience))) {
    throw new TokenError('audience_invalid', 'The token is not meant for this API', {
      detail: { claim: 'aud', expected: audiences, actual: tokenValues(values) },
    });
  }
}

function checkClientId(claims: AccessTokenClaims, clientIds: readonly string[]): void {
  const clientId: unknown = claims.client_id;
  if (typeof clientId !== 'string' || !clientIds.includes(clientId)) {
    throw new TokenError('audience_invalid', 'The token was not issued to a client this API accepts', {
      detail: {
        claim: 'client_id',
        expected: clientIds,
        actual: clientId === undefined ? 'absent' : tokenValue(clientId),
      },
    });
  }
}

/**
 * AWS Cognito marks its tokens with `token_use`: `access` for access tokens, `id` for ID tokens.
 * An ID token's `aud` is the client id, so an API configured with that as its audience would take
 * ID tokens as credentials (RFC 9068 §5: an access token must not be mistaken for an ID token).
 * When the claim is present, only `access` passes.
 */
export function checkTokenUse(claims: AccessTokenClaims): void {
  if (Object.hasOwn(claims, 'token_use') && claims.token_use !== 'access') {
    throw new TokenError('type_invalid', 'The token is not an access token', {
      detail: {
        claim: 'token_use',
        expected: 'access',
        actual: tokenValue(claims.token_use),
        ...(claims.token_use === 'id' && { hint: 'An ID token was sent: send the access token' }),
      },
    });
  }
}

/** Claims that must be strings when present, with the section that says so. */
const STRING_CLAIMS = [
  'sub', // RFC 7519 §4.1.2: StringOrURI
  'jti', // RFC 7519 §4.1.7: a case-sensitive string
  'client_id', // RFC 9068 §2.2, RFC 8693 §4.3
  'scope', // RFC 9068 §2.2.3, RFC 8693 §4.2: a space-delimited string
  'acr', // RFC 9068 §2.2.1, OpenID Connect Core 1.0 §2
] as const;

/**
 * A present claim must have the type its RFC gives it. Applications read these claims as the types
 * {@link AccessTokenClaims} promises; a `scope` array would even be skipped by the scope guards
 * without a word. `iss` and `aud` have their own rules above, the time claims theirs below.
 */
export function checkClaimTypes(claims: AccessTokenClaims): void {
  for (const name of STRING_CLAIMS) {
    if (Object.hasOwn(claims, name) && typeof claims[name] !== 'string') {
      throw new TokenError('claim_invalid', `The token's ${name} claim is not a string`, {
        detail: { claim: name, expected: 'string', actual: tokenValue(claims[name]) },
      });
    }
  }
  // RFC 9068 §2.2.1 / OpenID Connect Core 1.0 §2: auth_time is a NumericDate, amr an array of strings.
  numericDate(claims, 'auth_time');
  const amr: unknown = claims.amr;
  if (
    Object.hasOwn(claims, 'amr') &&
    !(Array.isArray(amr) && amr.every((method) => typeof method === 'string'))
  ) {
    throw new TokenError('claim_invalid', "The token's amr claim is not an array of strings", {
      detail: { claim: 'amr', expected: 'array of strings', actual: tokenValue(amr) },
    });
  }
}

/** RFC 7519 §4.1.4; RFC 9068 §2.2 makes `exp` required. */
export function checkExpiry(claims: AccessTokenClaims, now: number, tolerance: number): void {
  const exp = numericDate(claims, 'exp');
  if (exp === undefined) {
    throw new TokenError('claim_invalid', 'The token has no exp claim', {
      detail: { claim: 'exp', actual: 'absent' },
    });
  }
  if (now - tolerance >= exp) {
    throw new TokenError('token_expired', 'The token has expired', {
      detail: timeDetail('exp', exp, now, tolerance),
    });
  }
}

/** RFC 7519 §4.1.5. */
export function checkNotBefore(claims: AccessTokenClaims, now: number, tolerance: number): void {
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && now + tolerance < nbf) {
    throw new TokenError('token_not_yet_valid', 'The token is not valid yet', {
      detail: timeDetail('nbf', nbf, now, tolerance),
    });
  }
}

/** RFC 7519 §4.1.6: `iat` in the future is refused; `maxTokenAge` bounds it in the past. */
export function checkIssuedAt(
  claims: AccessTokenClaims,
  now: number,
  tolerance: number,
  maxTokenAge: number | undefined,
): void {
  const iat = numericDate(claims, 'iat');
  if (iat === undefined) {
    if (maxTokenAge !== undefined) {
      throw new TokenError('claim_invalid', 'The token has no iat claim', {
        detail: { claim: 'iat', actual: 'absent', hint: 'maxTokenAge needs iat' },
      });
    }
    return;
  }
  if (iat > now + tolerance) {
    throw new TokenError('token_not_yet_valid', 'The token was issued in the future', {
      detail: timeDetail('iat', iat, now, tolerance),
    });
  }
  if (maxTokenAge !== undefined && now - tolerance > iat + maxTokenAge) {
    throw new TokenError('token_expired', 'The token is older than this API accepts', {
      detail: { ...timeDetail('iat', iat, now, tolerance), expected: `at most ${maxTokenAge} s old` },
    });
  }
}

/** Each listed claim must be present (any value but `null`). */
export function checkRequiredClaims(claims: AccessTokenClaims, required: readonly string[]): void {
  for (const name of required) {
    if (!Object.hasOwn(claims, name) || claims[name] === null || claims[name] === undefined) {
      throw new TokenError('claim_invalid', 'The token lacks a required claim', {
        detail: { claim: name, actual: 'absent' },
      });
    }
  }
}

/** RFC 7519 §2 NumericDate: a finite JSON number (fractions allowed); anything else is refused. */
function numericDate(
  claims: AccessTokenClaims,
  name: 'exp' | 'nbf' | 'iat' | 'auth_time',
): number | undefined {
  if (!Object.hasOwn(claims, name)) return undefined;
  const value: unknown = claims[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TokenError('claim_invalid', `The token's ${name} claim is not a number`, {
      detail: { claim: name, expected: 'NumericDate', actual: tokenValue(value) },
    });
  }
  return value;
}

/** A time claim against the server's clock; a gap of minutes on a fresh token suggests clock skew. */
function timeDetail(claim: 'exp' | 'nbf' | 'iat', value: number, now: number, clockTolerance: number) {
  const ahead = claim !== 'exp' && value - now > clockTolerance && value - now < 600;
  return {
    claim,
    actual: value,
    now,
    clockTolerance,
    ...(ahead && {
      hint: "The token's clock runs ahead of this server's: sync the clocks or raise clockTolerance",
    }),
  };
}
