import type { Context, MiddlewareHandler, Next } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
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
import {
  fromNodeRequest,
  fromWebRequest,
  type NodeRequestParts,
  type ResourceRequest,
} from '../../src/request.js';
import { authResponseHeaders } from '../../src/sender-constraint.js';
import type { VerifiedToken, Verifier, VerifierOptions } from '../../src/verifier.js';

/**
 * The context variables tokenwarden sets: `new Hono<TokenwardenEnv>()` makes `c.get('auth')` typed.
 * `auth` is `undefined` only behind `credentialsOptional` when no token was sent.
 */
export type TokenwardenEnv = { Variables: { auth: VerifiedToken | undefined } };

/** Hono-specific behaviour. */
export interface HonoAuthOptions extends AdapterOptions {
  /**
   * The peer's IP address, which Web-standard requests do not carry; needed only for
   * `dpop.trustedProxies`, e.g. `(c) => getConnInfo(c).remote.address` with the `getConnInfo` of your
   * runtime. On `@hono/node-server` it is read from the socket without this option. [the Node
   * socket's address on `@hono/node-server`, else unknown]
   */
  readonly remoteAddress?: ((c: Context) => string | undefined) | undefined;
}

/**
 * Authenticates the request and sets `c.get('auth')`, or answers 400/401/503 per RFC 6750. Uses only
 * Web-standard APIs, so it runs on Node, Bun, Deno and Workers alike.
 *
 * @example
 * ```ts
 * app.get('/api/private', jwtAuth({ issuer, audience }), (c) => c.json(c.get('auth')?.claims));
 * ```
 */
export function jwtAuth(options: VerifierOptions & HonoAuthOptions): MiddlewareHandler<TokenwardenEnv>;
export function jwtAuth(verifier: Verifier, options?: HonoAuthOptions): MiddlewareHandler<TokenwardenEnv>;
export function jwtAuth(
  optionsOrVerifier: (VerifierOptions & HonoAuthOptions) | Verifier,
  honoOptions?: HonoAuthOptions,
): MiddlewareHandler<TokenwardenEnv> {
  const { verifier, passErrors, options } = resolveAdapterSetup(optionsOrVerifier, honoOptions, [
    'remoteAddress',
  ]);
  const { remoteAddress } = options;
  if (remoteAddress !== undefined && typeof remoteAddress !== 'function') {
    throw new TypeError('tokenwarden: remoteAddress must be a function of the Hono context');
  }
  return (c, next) => {
    if (passErrors) markPassErrors(c);
    const outcome = verifier.authenticateEagerly(resourceRequestOf(c, remoteAddress));
    // A token verified before is settled at once: no promise of our own before the next middleware.
    if (!(outcome instanceof Promise)) {
      if (outcome === undefined) noteUnauthenticated(c, verifier);
      return proceed(c, next, outcome);
    }
    return outcome.then(
      (auth) => {
        if (auth === undefined) noteUnauthenticated(c, verifier);
        return proceed(c, next, auth);
      },
      (error: unknown) => fail(error, c),
    );
  };
}

function proceed(c: Context<TokenwardenEnv>, next: Next, auth: VerifiedToken | undefined): Promise<void> {
  c.set('auth', auth);
  const headers = authResponseHeaders(auth);
  if (headers !== undefined) for (const [name, value] of Object.entries(headers)) c.header(name, value);
  return next();
}

/**
 * On `@hono/node-server`, reads Node's own request (`c.env.incoming`): `c.req.raw.headers` would build
 * a Web `Headers` object for every request, which costs more than verifying a cached token. Node then
 * keeps the first of repeated `Authorization` headers, as under Express, Fastify and Koa. Elsewhere
 * (Bun, Deno, Workers, `app.request`) the Web-standard request is used.
 */
function resourceRequestOf(c: Context, remoteAddress: HonoAuthOptions['remoteAddress']): ResourceRequest {
  const incoming = (c.env as { incoming?: NodeRequestParts } | undefined)?.incoming;
  if (incoming === undefined || typeof incoming.headers !== 'object' || incoming.headers === null) {
    const request = fromWebRequest(c.req.raw);
    return remoteAddress === undefined ? request : { ...request, remoteAddress: remoteAddress(c) };
  }
  const socket =
    remoteAddress === undefined
      ? incoming.socket
      : { encrypted: incoming.socket?.encrypted === true, remoteAddress: remoteAddress(c) };
  // Node's raw request target, as under Express, Fastify and Koa: the URL @hono/node-server built
  // has its dot segments resolved already, and a DPoP request with any is refused.
  return fromNodeRequest({
    method: c.req.method,
    url: incoming.url ?? c.req.url,
    headers: incoming.headers,
    socket,
  });
}

export const { requireScope, requireAnyScope, requirePermission, claimCheck, requireAuthentication } =
  createGuardFactories<MiddlewareHandler<TokenwardenEnv>>((guard) => async (c, next) => {
    try {
      runGuard(guard, c.get('auth'), c);
    } catch (error) {
      return fail(error, c);
    }
    await next();
  });

function fail(error: unknown, c: Context): Response {
  if (!(error instanceof TokenError) || passesErrors(c)) throw error;
  return sendTokenError(c, error);
}

/** The response `jwtAuth` sends for a {@link TokenError}; for use in your own `app.onError`. */
export function sendTokenError(c: Context, error: TokenError): Response {
  const response = toErrorResponse(error);
  // toErrorResponse only produces 400, 401, 403 and 503, all of which carry a body.
  return c.json(response.body, response.status as ContentfulStatusCode, response.headers);
}

/** @deprecated Use {@link sendTokenError}, the name every adapter gives this helper. */
export const tokenErrorResponse = sendTokenError;

/**
 * Serves the verifier's RFC 9728 metadata document at its well-known path (GET and HEAD); other
 * requests go on. Needs the `protectedResource` option.
 *
 * @example
 * ```ts
 * app.use(protectedResourceMetadata(verifier));
 * ```
 */
export function protectedResourceMetadata(verifier: Verifier | VerifierOptions): MiddlewareHandler {
  const { path, body, headers } = metadataOf(verifier);
  return (c, next) => {
    if (c.req.path !== path || (c.req.method !== 'GET' && c.req.method !== 'HEAD')) return next();
    return Promise.resolve(c.body(body, 200, headers));
  };
}
