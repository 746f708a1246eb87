import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
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

declare global {
  namespace Express {
    interface Request {
      /** The verified access token, set by `jwtAuth` (absent only with `credentialsOptional`). */
      auth?: VerifiedToken;
    }
  }
}

/**
 * Express-specific behaviour: `passErrors` hands the {@link TokenError} to `next(err)` instead of
 * answering, for apps with their own error handler (see {@link tokenErrorHandler}). [false]
 */
export type ExpressAuthOptions = AdapterOptions;

const passingErrors = new WeakSet<Request>();

/**
 * Authenticates the request and sets `req.auth`, or answers 400/401/503 per RFC 6750.
 *
 * @example
 * ```ts
 * app.get('/api/private', jwtAuth({ issuer, audience }), (req, res) => res.json(req.auth?.claims));
 * ```
 */
export function jwtAuth(options: VerifierOptions & ExpressAuthOptions): RequestHandler;
export function jwtAuth(verifier: Verifier, options?: ExpressAuthOptions): RequestHandler;
export function jwtAuth(
  optionsOrVerifier: (VerifierOptions & ExpressAuthOptions) | Verifier,
  expressOptions?: ExpressAuthOptions,
): RequestHandler {
  const { verifier, passErrors } = resolveAdapterSetup(optionsOrVerifier, expressOptions);
  return (req, res, next) => {
    if (passErrors) passingErrors.add(req);
    const outcome = verifier.authenticateEagerly(
      fromNodeRequest({
        method: req.method,
        url: req.originalUrl,
        headers: req.headers,
        socket: req.socket,
      }),
    );
    const proceed = (auth: VerifiedToken | undefined): void => {
      if (auth !== undefined) req.auth = auth;
      const headers = authResponseHeaders(auth);
      if (headers !== undefined) res.set(headers);
      next();
    };
    // A token verified before is settled at once: the route continues without waiting a tick.
    if (outcome instanceof Promise) outcome.then(proceed, (error: unknown) => fail(error, req, res, next));
    else proceed(outcome);
  };
}

/** Requires every listed scope (`scope` or `scp` claim); 403 `insufficient_scope` otherwise. */
export function requireScope(...scopes: string[]): RequestHandler {
  return guardMiddleware(scopeGuard(scopes, 'all'));
}

/** Requires at least one of the listed scopes. */
export function requireAnyScope(...scopes: string[]): RequestHandler {
  return guardMiddleware(scopeGuard(scopes, 'any'));
}

/** Requires every listed Auth0 RBAC permission (`permissions` claim). */
export function requirePermission(...permissions: string[]): RequestHandler {
  return guardMiddleware(permissionGuard(permissions, 'all'));
}

/** Requires `check(claims)` to be `true`; 401 `invalid_token` otherwise. */
export function claimCheck(check: ClaimCheck): RequestHandler {
  return guardMiddleware(claimGuard(check));
}

/**
 * An error handler answering a {@link TokenError} exactly as `jwtAuth` would, for use with
 * `passErrors` after your own logging; other errors go on to the next handler.
 */
export function tokenErrorHandler(): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (!(error instanceof TokenError)) return next(error);
    send(error, res);
  };
}

function guardMiddleware(guard: Guard): RequestHandler {
  return (req, res, next) => {
    try {
      guard(req.auth);
    } catch (error) {
      return fail(error, req, res, next);
    }
    next();
  };
}

function fail(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (error instanceof TokenError && !passingErrors.has(req)) send(error, res);
  else next(error);
}

function send(error: TokenError, res: Response): void {
  const response = toErrorResponse(error);
  res.status(response.status).set(response.headers).json(response.body);
}
