import type { Context, Middleware, Next } from 'koa';
import {
  type AdapterOptions,
  authResponseHeaders,
  type ClaimCheck,
  claimGuard,
  fromNodeRequest,
  type Guard,
  permissionGuard,
  resolveAdapterSetup,
  scopeGuard,
  TokenError,
  toErrorResponse,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from '../../src/index.js';

declare module 'koa' {
  interface DefaultState {
    /** The verified access token, set by `jwtAuth` (absent only with `credentialsOptional`). */
    auth?: VerifiedToken;
  }
}

/**
 * Koa-specific behaviour: `passErrors` throws the {@link TokenError} to your own upstream error
 * middleware instead of answering. [false]
 */
export type KoaAuthOptions = AdapterOptions;

const passingErrors = new WeakSet<Context>();

/**
 * Authenticates the request and sets `ctx.state.auth`, or answers 400/401/503 per RFC 6750.
 * Works as app middleware and as `@koa/router` route middleware.
 *
 * @example
 * ```ts
 * router.get('/api/private', jwtAuth({ issuer, audience }), (ctx) => {
 *   ctx.body = ctx.state.auth?.claims;
 * });
 * ```
 */
export function jwtAuth(options: VerifierOptions & KoaAuthOptions): Middleware;
export function jwtAuth(verifier: Verifier, options?: KoaAuthOptions): Middleware;
export function jwtAuth(
  optionsOrVerifier: (VerifierOptions & KoaAuthOptions) | Verifier,
  koaOptions?: KoaAuthOptions,
): Middleware {
  const { verifier, passErrors } = resolveAdapterSetup(optionsOrVerifier, koaOptions);
  return (ctx, next) => {
    if (passErrors) passingErrors.add(ctx);
    const outcome = verifier.authenticateEagerly(
      fromNodeRequest({
        method: ctx.method,
        url: ctx.originalUrl,
        headers: ctx.headers,
        socket: ctx.req.socket,
      }),
    );
    // A token verified before is settled at once: no promise of our own before the next middleware.
    if (!(outcome instanceof Promise)) return proceed(ctx, next, outcome);
    return outcome.then(
      (auth) => proceed(ctx, next, auth),
      (error: unknown) => fail(error, ctx),
    );
  };
}

function proceed(ctx: Context, next: Next, auth: VerifiedToken | undefined): Promise<void> {
  if (auth !== undefined) ctx.state.auth = auth;
  const headers = authResponseHeaders(auth);
  if (headers !== undefined) ctx.set(headers);
  return next();
}

/** Requires every listed scope (`scope` or `scp` claim); 403 `insufficient_scope` otherwise. */
export function requireScope(...scopes: string[]): Middleware {
  return guardMiddleware(scopeGuard(scopes, 'all'));
}

/** Requires at least one of the listed scopes. */
export function requireAnyScope(...scopes: string[]): Middleware {
  return guardMiddleware(scopeGuard(scopes, 'any'));
}

/** Requires every listed Auth0 RBAC permission (`permissions` claim). */
export function requirePermission(...permissions: string[]): Middleware {
  return guardMiddleware(permissionGuard(permissions, 'all'));
}

/** Requires `check(claims)` to be `true`; 401 `invalid_token` otherwise. */
export function claimCheck(check: ClaimCheck): Middleware {
  return guardMiddleware(claimGuard(check));
}

/** Answers a {@link TokenError} exactly as `jwtAuth` would; for use in your own error middleware. */
export function sendTokenError(ctx: Context, error: TokenError): void {
  const response = toErrorResponse(error);
  ctx.status = response.status;
  ctx.set(response.headers);
  ctx.body = response.body;
}

function guardMiddleware(guard: Guard): Middleware {
  return async (ctx, next) => {
    try {
      guard(ctx.state.auth);
    } catch (error) {
      return fail(error, ctx);
    }
    await next();
  };
}

function fail(error: unknown, ctx: Context): void {
  if (!(error instanceof TokenError) || passingErrors.has(ctx)) throw error;
  sendTokenError(ctx, error);
}
