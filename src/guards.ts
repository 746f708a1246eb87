import { acceptingVerifierOf } from './accepted-token.js';
import { DEFAULT_CLOCK_TOLERANCE, systemClock } from './clock.js';
import { setChallengeContext, TokenError } from './errors.js';
import {
  checkKnownKeys,
  describeValue,
  optionalFunction,
  optionKeys,
  optionsObject,
} from './option-checks.js';
import { checkScopes, type ScopeMatch } from './scopes.js';
import type { VerifiedToken } from './verifier.js';

/**
 * An authorization rule applied after authentication. Throws a {@link TokenError}; adapters turn a
 * guard into their framework's middleware, so every framework enforces the same rule the same way.
 * `resourceMetadata` is the RFC 9728 metadata URL of the verifier that let a request without a token
 * through (`credentialsOptional`), so that the guard's refusal points to it too (§5.1).
 */
export type Guard = (auth: VerifiedToken | undefined, resourceMetadata?: string) => void;

/** A check over claims for {@link claimGuard}: return `true` to allow. */
export type ClaimCheck = (claims: VerifiedToken['claims']) => boolean;

function authenticated(auth: VerifiedToken | undefined): VerifiedToken {
  // A guard behind credentialsOptional still needs a token.
  if (auth === undefined) throw new TokenError('token_missing', 'No access token was sent');
  return auth;
}

/**
 * RFC 9449 §7.1: a refusal after authentication is challenged under the scheme the token used, with
 * the accepting verifier's `resource_metadata` (RFC 9728 §5.1).
 */
function challengedUnderItsScheme(rule: Guard): Guard {
  return (auth, resourceMetadata) => {
    try {
      rule(auth);
    } catch (error) {
      if (error instanceof TokenError) {
        setChallengeContext(error, {
          schemes: [auth?.scheme ?? 'Bearer'],
          dpopAlgorithms: [],
          resourceMetadata: acceptingVerifierOf(auth)?.resourceMetadata ?? resourceMetadata,
        });
      }
      throw error;
    }
  };
}

/**
 * The required scopes (or permissions) of a guard, checked when the route is defined. Each argument
 * may list several, space-delimited as in the `scope` claim (RFC 6749 §3.3), so
 * `requireScope('read:messages write:messages')` needs both, as with express-oauth2-jwt-bearer's
 * `requiredScopes('a b')`. An empty result is refused: a guard requiring nothing would let every
 * token through.
 */
function requiredList(required: readonly string[], guard: string, what: string): string[] {
  if (!Array.isArray(required)) {
    throw new TypeError(`tokenwarden: ${guard} takes ${what}s as strings (got ${describeValue(required)})`);
  }
  const list: string[] = [];
  for (const item of required as readonly unknown[]) {
    if (typeof item !== 'string') {
      throw new TypeError(`tokenwarden: ${guard} takes ${what}s as strings (got ${describeValue(item)})`);
    }
    for (const name of item.split(' ')) if (name !== '' && !list.includes(name)) list.push(name);
  }
  if (list.length === 0) throw new TypeError(`tokenwarden: ${guard} needs at least one ${what}`);
  return list;
}

/**
 * Requires the token's scopes (`scope`/`scp`) to include all (or any) of `required`; each entry may
 * hold several space-delimited scopes.
 *
 * @throws {TypeError} when `required` names no scope at all.
 */
export function scopeGuard(required: readonly string[], match: ScopeMatch = 'all'): Guard {
  const list = requiredList(required, match === 'all' ? 'requireScope' : 'requireAnyScope', 'scope');
  return challengedUnderItsScheme((auth) => checkScopes(authenticated(auth).scopes, list, match));
}

/**
 * Requires the token's Auth0 RBAC `permissions` to include all (or any) of `required`; each entry
 * may hold several space-delimited permissions.
 *
 * @throws {TypeError} when `required` names no permission at all.
 */
export function permissionGuard(required: readonly string[], match: ScopeMatch = 'all'): Guard {
  const guard = match === 'all' ? 'requirePermission' : 'requireAnyPermission';
  const list = requiredList(required, guard, 'permission');
  return challengedUnderItsScheme((auth) => checkScopes(authenticated(auth).permissions, list, match));
}

/**
 * Requires `check(claims)` to return `true`; otherwise `claim_invalid` (401).
 *
 * @throws {TypeError} when `check` is not a function.
 */
export function claimGuard(check: ClaimCheck): Guard {
  if (typeof check !== 'function') {
    throw new TypeError(
      `tokenwarden: claimCheck needs a function of the claims (got ${describeValue(check)})`,
    );
  }
  return challengedUnderItsScheme((auth) => {
    if (check(authenticated(auth).claims) !== true) {
      throw new TokenError('claim_invalid', 'The token failed a claims check');
    }
  });
}

/** What {@link authenticationGuard} requires of the user's authentication (RFC 9470 §3). */
export interface AuthenticationRequirement {
  /** Acceptable authentication context classes: the token's `acr` must be one of them. [any] */
  readonly acrValues?: readonly string[] | undefined;
  /** Largest age of the authentication (`now - auth_time`), in seconds; `auth_time` is then required. [any] */
  readonly maxAge?: number | undefined;
  /** Seconds since the epoch. [the clock of the verifier that accepted the token, else the system clock] */
  readonly clock?: (() => number) | undefined;
  /** Seconds of clock difference allowed on `auth_time`. [the verifier's `clockTolerance`, else 60] */
  readonly clockTolerance?: number | undefined;
}

const AUTHENTICATION_REQUIREMENT_KEYS = optionKeys<AuthenticationRequirement>({
  acrValues: true,
  maxAge: true,
  clock: true,
  clockTolerance: true,
});

/**
 * RFC 9470 §3 step-up: requires the token's `acr` to be one of `acrValues` and its `auth_time` to
 * be at most `maxAge` seconds old; otherwise `authentication_insufficient` (401
 * `insufficient_user_authentication`) with `acr_values` and `max_age` in the challenge, telling the
 * client what the new authentication must satisfy. A token without `auth_time` fails `maxAge`.
 *
 * @throws {TypeError} when the requirement asks for nothing, or `acrValues` or `maxAge` is malformed.
 */
export function authenticationGuard(requirement: AuthenticationRequirement): Guard {
  const given = optionsObject(requirement, 'requireAuthentication options');
  checkKnownKeys(given, AUTHENTICATION_REQUIREMENT_KEYS, 'requireAuthentication: ');
  const { acrValues, maxAge, clock, clockTolerance } = requirement;
  const acceptable =
    acrValues === undefined ? undefined : requiredList(acrValues, 'requireAuthentication', 'acr value');
  if (maxAge !== undefined && (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0)) {
    throw new TypeError(
      `tokenwarden: requireAuthentication maxAge must be a whole, non-negative number of seconds (got ${describeValue(maxAge)})`,
    );
  }
  if (acceptable === undefined && maxAge === undefined) {
    throw new TypeError('tokenwarden: requireAuthentication needs acrValues, maxAge or both');
  }
  optionalFunction(clock, 'requireAuthentication clock');
  if (
    clockTolerance !== undefined &&
    (typeof clockTolerance !== 'number' || !Number.isFinite(clockTolerance) || clockTolerance < 0)
  ) {
    throw new TypeError(
      `tokenwarden: requireAuthentication clockTolerance must be a finite, non-negative number of seconds (got ${describeValue(clockTolerance)})`,
    );
  }
  const refusal = (message: string) =>
    new TokenError('authentication_insufficient', message, { acrValues: acceptable, maxAge });
  return challengedUnderItsScheme((auth) => {
    const { claims } = authenticated(auth);
    if (acceptable !== undefined && !(typeof claims.acr === 'string' && acceptable.includes(claims.acr))) {
      throw refusal('A stronger authentication of the user is required');
    }
    if (maxAge === undefined) return;
    const verifier = acceptingVerifierOf(auth);
    const now = (clock ?? verifier?.clock ?? systemClock)();
    const tolerance = clockTolerance ?? verifier?.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
    const authTime = claims.auth_time;
    // A clock giving no finite time fails closed, as NaN would make the comparison false.
    if (typeof authTime !== 'number' || !Number.isFinite(authTime) || !Number.isFinite(now)) {
      throw refusal('A more recent authentication of the user is required');
    }
    if (now - authTime > maxAge + tolerance) {
      throw refusal('A more recent authentication of the user is required');
    }
  });
}
