import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
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

/**
 * A hook usable as `onRequest` or `preHandler`. It answers a failed request itself and resolves with
 * the reply, which tells Fastify the hook chain is over.
 */
export type TokenwardenHook = (
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<FastifyReply | undefined>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token, set by `authenticate` (absent only with `credentialsOptional`). */
    auth?: VerifiedToken;
  }
  interface FastifyInstance {
    /** Authenticates the request and sets `request.auth`, or answers 400/401/503 per RFC 6750. */
    authenticate: TokenwardenHook;
    /** Requires every listed scope (`scope` or `scp` claim); 403 `insufficient_scope` otherwise. */
    requireScope(...scopes: string[]): TokenwardenHook;
    /** Requires at least one of the listed scopes. */
    requireAnyScope(...scopes: string[]): TokenwardenHook;
    /** Requires every listed Auth0 RBAC permission (`permissions` claim). */
    requirePermission(...permissions: string[]): TokenwardenHook;
    /** Requires `check(claims)` to be `true`; 401 `invalid_token` otherwise. */
    claimCheck(check: ClaimCheck): TokenwardenHook;
  }
}

/**
 * Plugin options: the verifier options (or a shared `verifier`), plus `passErrors`, which throws the
 * {@link TokenError} to your `setErrorHandler` instead of answering. [false]
 */
export type FastifyTokenwardenOptions = (VerifierOptions | { readonly verifier: Verifier }) & AdapterOptions;

/** Plugin options that are not verifier options: a shared `verifier`, and Fastify's own register options. */
const PLUGIN_KEYS = ['verifier', 'prefix', 'logLevel', 'logSerializers'];

const plugin: FastifyPluginAsync<FastifyTokenwardenOptions> = async (fastify, options) => {
  const { verifier, passErrors } = resolveAdapterSetup(
    'verifier' in options ? options.verifier : options,
    options,
    PLUGIN_KEYS,
  );
  // Registering again in a child scope (other audience, other options) must not redeclare the property.
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', undefined);

  async function fail(error: unknown, reply: FastifyReply): Promise<FastifyReply> {
    if (!(error instanceof TokenError) || passErrors) throw error;
    return sendTokenError(reply, error);
  }

  function guardHook(guard: Guard): TokenwardenHook {
    return async (request, reply) => {
      try {
        guard(request.auth);
      } catch (error) {
        return fail(error, reply);
      }
      return undefined;
    };
  }

  fastify.decorate<TokenwardenHook>('authenticate', async (request, reply) => {
    try {
      const outcome = verifier.authenticateEagerly(
        fromNodeRequest({
          method: request.method,
          url: request.url,
          headers: request.headers,
          socket: request.raw.socket,
        }),
      );
      const auth = outcome instanceof Promise ? await outcome : outcome;
      if (auth !== undefined) request.auth = auth;
      const headers = authResponseHeaders(auth);
      if (headers !== undefined) reply.headers(headers);
    } catch (error) {
      return fail(error, reply);
    }
    return undefined;
  });
  fastify.decorate('requireScope', (...scopes: string[]) => guardHook(scopeGuard(scopes, 'all')));
  fastify.decorate('requireAnyScope', (...scopes: string[]) => guardHook(scopeGuard(scopes, 'any')));
  fastify.decorate('requirePermission', (...permissions: string[]) =>
    guardHook(permissionGuard(permissions, 'all')),
  );
  fastify.decorate('claimCheck', (check: ClaimCheck) => guardHook(claimGuard(check)));
};

/**
 * Decorates the instance with `authenticate` and the guard hook factories, and requests with `auth`.
 *
 * @example
 * ```ts
 * await app.register(tokenwarden, { issuer, audience });
 * app.get('/api/private', { onRequest: app.authenticate }, async (request) => request.auth?.claims);
 * ```
 */
export const tokenwarden = fastifyPlugin(plugin, { fastify: '5.x', name: 'tokenwarden' });
export default tokenwarden;

/** Answers a {@link TokenError} exactly as `authenticate` would; for use in your own `setErrorHandler`. */
export function sendTokenError(reply: FastifyReply, error: TokenError): FastifyReply {
  const response = toErrorResponse(error);
  return reply.code(response.status).headers(response.headers).send(response.body);
}
