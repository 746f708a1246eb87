import type { Context, Middleware, Next } from 'koa';
import {
  createGuardFactories,
  markPassErrors,
  noteUnauthenticated,
  passesErrors,
  runGuard,
} from '../../src/adapter-kit.js';
import { type AdapterOptions, resolveAdapterSetup } from '../../src/adapter-setup.js';
import { TokenError, toErrorResponse } from '../../src/errors.js';
import { protectedResourceMetadata as metadataOf } from '../../src/protected-resource-metadata.js';
import { fromNodeRequest } from '../../src/request.js';
import { authResponseHeaders } from '../../src/sender-constraint.js';
import type { VerifiedToken, Verifier, VerifierOptions } from '../../src/verifier.js';

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
    if (passErrors) markPassErrors(ctx);
    const { method, originalUrl: url, headers, req } = ctx;
    const outcome = verifier.authenticateEagerly(
      fromNodeRequest({ method, url, headers, socket: req.socket }),
    );
    // A token verified before is settled at once: no promise of our own before the next middleware.
    if (!(outcome instanceof Promise)) {
      if (outcome === undefined) noteUnauthenticated(ctx, verifier);
      return proceed(ctx, next, outcome);
    }
    return outcome.then(
      (auth) => {
        if (auth === undefined) noteUnauthenticated(ctx, verifier);
        return proceed(ctx, next, auth);
      },
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

export const { requireScope, requireAnyScope, requirePermission, claimCheck, requireAuthentication } =
  createGuardFactories<Middleware>((guard) => async (ctx, next) => {
    try {
      runGuard(guard, ctx.state.auth, ctx);
    } catch (error) {
      return fail(error, ctx);
    }
    await next();
  });

function fail(error: unknown, ctx: Context): void {
  if (!(error instanceof TokenError) || passesErrors(ctx)) throw error;
  sendTokenError(ctx, error);
}

/** Answers a {@link TokenError} exactly as `jwtAuth` would; for use in your own error middleware. */
export function sendTokenError(ctx: Context, error: TokenError): void {
  const response = toErrorResponse(error);
  ctx.status = response.status;
  ctx.set(response.headers);
  ctx.body = response.body;
}

/**
 * Serves the verifier's RFC 9728 metadata document at its well-known path (GET and HEAD); other
 * requests go on. Needs the `protectedResource` option.
 *
 * @example
 * ```ts
 * app.use(protectedResourceMetadata(verifier));
 * ```
 */
export function protectedResourceMetadata(verifier: Verifier | VerifierOptions): Middleware {
  const { path, body, headers } = metadataOf(verifier);
  return (ctx, next) => {
    if (ctx.path !== path || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    ctx.status = 200;
    ctx.set(headers);
    ctx.body = body;
    return Promise.resolve();
  };
}
