import {
  type AuthenticationRequirement,
  authenticationGuard,
  type ClaimCheck,
  claimGuard,
  type Guard,
  permissionGuard,
  scopeGuard,
} from './guards.js';
import type { VerifiedToken } from './verified-token.js';
import type { Verifier } from './verifier.js';

// Each factory's doc sits on a call signature (not a function type, which carries no doc), so that
// editors show it for the name an adapter exports with one destructuring line.

/** The type of `requireScope` in an adapter whose route handlers are `Handler`s. */
export interface RequireScope<Handler> {
  /** Requires every listed scope (`scope` or `scp` claim); 403 `insufficient_scope` otherwise. */
  // biome-ignore lint/style/useShorthandFunctionType: a function type would drop the doc above
  (...scopes: string[]): Handler;
}

/** The type of `requireAnyScope` in an adapter whose route handlers are `Handler`s. */
export interface RequireAnyScope<Handler> {
  /** Requires at least one of the listed scopes. */
  // biome-ignore lint/style/useShorthandFunctionType: a function type would drop the doc above
  (...scopes: string[]): Handler;
}

/** The type of `requirePermission` in an adapter whose route handlers are `Handler`s. */
export interface RequirePermission<Handler> {
  /** Requires every listed Auth0 RBAC permission (`permissions` claim). */
  // biome-ignore lint/style/useShorthandFunctionType: a function type would drop the doc above
  (...permissions: string[]): Handler;
}

/** The type of `claimCheck` in an adapter whose route handlers are `Handler`s. */
export interface RequireClaims<Handler> {
  /** Requires `check(claims)` to be `true`; 401 `invalid_token` otherwise. */
  // biome-ignore lint/style/useShorthandFunctionType: a function type would drop the doc above
  (check: ClaimCheck): Handler;
}

/** The type of `requireAuthentication` in an adapter whose route handlers are `Handler`s. */
export interface RequireAuthentication<Handler> {
  /**
   * RFC 9470 step-up: requires `acr` among `acrValues` and `auth_time` within `maxAge` seconds;
   * 401 `insufficient_user_authentication` with `acr_values` / `max_age` otherwise.
   */
  // biome-ignore lint/style/useShorthandFunctionType: a function type would drop the doc above
  (requirement: AuthenticationRequirement): Handler;
}

/**
 * The route guards every adapter offers, as factories of the framework's own handler type (Express
 * `RequestHandler`, Fastify hook, Hono or Koa middleware), all made by {@link createGuardFactories}.
 */
export interface GuardFactories<Handler> {
  requireScope: RequireScope<Handler>;
  requireAnyScope: RequireAnyScope<Handler>;
  requirePermission: RequirePermission<Handler>;
  claimCheck: RequireClaims<Handler>;
  requireAuthentication: RequireAuthentication<Handler>;
}

/**
 * The guard factories of one framework, from its one translation of a {@link Guard} into a handler,
 * so the rule (and the `TypeError` for a guard naming nothing, thrown when the route is defined) is
 * the same in every framework.
 */
export function createGuardFactories<Handler>(toHandler: (guard: Guard) => Handler): GuardFactories<Handler> {
  return {
    requireScope: (...scopes) => toHandler(scopeGuard(scopes, 'all')),
    requireAnyScope: (...scopes) => toHandler(scopeGuard(scopes, 'any')),
    requirePermission: (...permissions) => toHandler(permissionGuard(permissions, 'all')),
    claimCheck: (check) => toHandler(claimGuard(check)),
    requireAuthentication: (requirement) => toHandler(authenticationGuard(requirement)),
  };
}

/**
 * The requests whose `TokenError`s go to the framework's error handling instead of being answered.
 * `passErrors` is an option of the authentication middleware, but it applies to the guards after it
 * on the same request too, and a guard is built apart from any middleware: so the middleware marks
 * the framework's per-request object (Express `req`, Hono `c`, Koa `ctx`) and the guards read the
 * mark. A `WeakSet` leaves the request object's shape alone and forgets it with the request. Fastify
 * needs no mark: its guards are decorated per registration and read that registration's option.
 */
const passingErrors = new WeakSet<object>();

/** Marks `request` as one whose `TokenError`s go to the framework's error handling; see `passErrors`. */
export function markPassErrors(request: object): void {
  passingErrors.add(request);
}

/** Whether {@link markPassErrors} marked `request`: its guards then pass a `TokenError` on too. */
export function passesErrors(request: object): boolean {
  return passingErrors.has(request);
}

/**
 * Requests a verifier with an RFC 9728 `protectedResource` let through without a token
 * (`credentialsOptional`), with its metadata URL: a guard after it refuses such a request with
 * `token_missing`, and RFC 9728 §5.1 asks every 401 to point to the metadata.
 */
const unauthenticated = new WeakMap<object, string>();

/** Called by the authentication middleware when `verifier` let `request` through without a token. */
export function noteUnauthenticated(request: object, verifier: Verifier): void {
  const url = verifier.protectedResource?.url;
  if (url !== undefined) unauthenticated.set(request, url);
}

/** Runs `guard` for a request, giving it the metadata URL noted for a request without a token. */
export function runGuard(guard: Guard, auth: VerifiedToken | undefined, request: object): void {
  guard(auth, auth === undefined ? unauthenticated.get(request) : undefined);
}
