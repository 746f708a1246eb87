import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
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
    if (passErrors) markPassErrors(req);
    const { method, originalUrl: url, headers, socket } = req;
    const outcome = verifier.authenticateEagerly(fromNodeRequest({ method, url, headers, socket }));
    // A token verified before is settled at once: the route continues without waiting a tick.
    if (!(outcome instanceof Promise)) {
      if (outcome === undefined) noteUnauthenticated(req, verifier);
      return proceed(req, res, next, outcome);
    }
    outcome.then(
      (auth) => {
        if (auth === undefined) noteUnauthenticated(req, verifier);
        proceed(req, res, next, auth);
      },
      (error: unknown) => fail(error, req, res, next),
    );
  };
}

function proceed(req: Request, res: Response, next: NextFunction, auth: VerifiedToken | undefined): void {
  if (auth !== undefined) req.auth = auth;
  const headers = authResponseHeaders(auth);
  if (headers !== undefined) res.set(headers);
  next();
}

// An alias of its own, since Express's, with its default type arguments spelled out as the guards'
// types would be, cannot be named in a declaration file.
type GuardHandler = RequestHandler;
export const { requireScope, requireAnyScope, requirePermission, claimCheck, requireAuthentication } =
  createGuardFactories<GuardHandler>((guard) => (req, res, next) => {
    try {
      runGuard(guard, req.auth, req);
    } catch (error) {
      return fail(error, req, res, next);
    }
    next();
  });

function fail(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (error instanceof TokenError && !passesErrors(req)) sendTokenError(res, error);
  else next(error);
}

/** Answers a {@link TokenError} exactly as `jwtAuth` would; for use in your own error middleware. */
export function sendTokenError(res: Response, error: TokenError): void {
  const response = toErrorResponse(error);
  res.status(response.status).set(response.headers).json(response.body);
}

/**
 * An error handler answering a {@link TokenError} with {@link sendTokenError}, for use with
 * `passErrors` after your own logging; other errors go on to the next handler.
 */
export function tokenErrorHandler(): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (!(error instanceof TokenError)) return next(error);
    sendTokenError(res, error);
  };
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
export function protectedResourceMetadata(verifier: Verifier | VerifierOptions): RequestHandler {
  const { path, body, headers } = metadataOf(verifier);
  return (req, res, next) => {
    if (req.path !== path || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.status(200).set(headers).send(body);
  };
}
