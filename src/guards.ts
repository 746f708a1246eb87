import { setChallengeContext, TokenError } from './errors.js';
import { describeValue } from './option-checks.js';
import { checkScopes, type ScopeMatch } from './scopes.js';
import type { VerifiedToken } from './verifier.js';

/**
 * An authorization rule applied after authentication. Throws a {@link TokenError}; adapters turn a
 * guard into their framework's middleware, so every framework enforces the same rule the same way.
 */
export type Guard = (auth: VerifiedToken | undefined) => void;

/** A check over claims for {@link claimGuard}: return `true` to allow. */
export type ClaimCheck = (claims: VerifiedToken['claims']) => boolean;

function authenticated(auth: VerifiedToken | undefined): VerifiedToken {
  // A guard behind credentialsOptional still needs a token.
  if (auth === undefined) throw new TokenError('token_missing', 'No access token was sent');
  return auth;
}

/** RFC 9449 §7.1: a refusal after authentication is challenged under the scheme the token used. */
function challengedUnderItsScheme(rule: Guard): Guard {
  return (auth) => {
    try {
      rule(auth);
    } catch (error) {
      if (error instanceof TokenError) {
        setChallengeContext(error, { schemes: [auth?.scheme ?? 'Bearer'], dpopAlgorithms: [] });
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
