import { setChallengeContext, TokenError } from './errors.js';
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

/** Requires the token's scopes (`scope`/`scp`) to include all (or any) of `required`. */
export function scopeGuard(required: readonly string[], match: ScopeMatch = 'all'): Guard {
  const list = [...required];
  return challengedUnderItsScheme((auth) => checkScopes(authenticated(auth).scopes, list, match));
}

/** Requires the token's Auth0 RBAC `permissions` to include all (or any) of `required`. */
export function permissionGuard(required: readonly string[], match: ScopeMatch = 'all'): Guard {
  const list = [...required];
  return challengedUnderItsScheme((auth) => checkScopes(authenticated(auth).permissions, list, match));
}

/** Requires `check(claims)` to return `true`; otherwise `claim_invalid` (401). */
export function claimGuard(check: ClaimCheck): Guard {
  return challengedUnderItsScheme((auth) => {
    if (check(authenticated(auth).claims) !== true) {
      throw new TokenError('claim_invalid', 'The token failed a claims check');
    }
  });
}
