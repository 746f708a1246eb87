import type { AccessTokenClaims } from './claims.js';
import { TokenError } from './errors.js';

/** Longest `scope` list checked for repeats by scanning rather than with a set. */
const SHORT_SCOPE_LIST = 16;

/**
 * The scopes granted by a token: the space-delimited `scope` claim (RFC 9068 §2.2.3) and/or the
 * `scp` claim (array or string). Duplicates removed, order kept.
 */
export function scopesOf(claims: AccessTokenClaims): string[] {
  const { scope, scp } = claims as { scope?: unknown; scp?: unknown };
  // The common case, a lone `scope` string of a few distinct scopes, needs no set. The repeat scan
  // is quadratic, so a long list (a token may hold thousands) takes the set below.
  if (scp === undefined && typeof scope === 'string') {
    const list = scope.split(' ');
    if (
      list.length <= SHORT_SCOPE_LIST &&
      list.every((item, index) => item !== '' && list.indexOf(item) === index)
    ) {
      return list;
    }
  }
  if (scope === undefined && scp === undefined) return [];
  const scopes = new Set<string>();
  addScopes(scopes, claims.scope);
  addScopes(scopes, claims.scp);
  return [...scopes];
}

/** The Auth0 RBAC `permissions` claim as a list of strings; anything else counts as none. */
export function permissionsOf(claims: AccessTokenClaims): string[] {
  const permissions: unknown = claims.permissions;
  if (!Array.isArray(permissions)) return [];
  return permissions.filter((value): value is string => typeof value === 'string');
}

function addScopes(into: Set<string>, value: unknown): void {
  if (typeof value === 'string') {
    for (const scope of value.split(' ')) if (scope !== '') into.add(scope);
  } else if (Array.isArray(value)) {
    for (const scope of value) if (typeof scope === 'string' && scope !== '') into.add(scope);
  }
}

/** How several required scopes combine. */
export type ScopeMatch = 'all' | 'any';

/**
 * Throws `scope_insufficient` (403, RFC 6750 §3.1) unless `granted` holds all (or any) of
 * `required`. Matching is exact: `read:messagesX` does not satisfy `read:messages`.
 */
export function checkScopes(
  granted: readonly string[],
  required: readonly string[],
  match: ScopeMatch = 'all',
): void {
  if (required.length === 0) return;
  const has = (scope: string) => granted.includes(scope);
  const ok = match === 'all' ? required.every(has) : required.some(has);
  if (!ok) {
    throw new TokenError('scope_insufficient', 'The token lacks the scope this route requires', {
      requiredScopes: required,
    });
  }
}
