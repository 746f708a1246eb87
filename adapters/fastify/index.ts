import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import {
  createGuardFactories,
  type GuardFactories,
  noteUnauthenticated,
  runGuard,
} from '../../src/adapter-kit.js';
import { type AdapterOptions, resolveAdapterSetup } from '../../src/adapter-setup.js';
import { TokenError, toErrorResponse } from '../../src/errors.js';
import { booleanOption } from '../../src/option-checks.js';
import { fromNodeRequest } from '../../src/request.js';
import { authResponseHeaders } from '../../src/sender-constraint.js';
import type { VerifiedToken, Verifier, VerifierOptions } from '../../src/verifier.js';

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
  /**
   * The guard hook factories: `requireScope`, `requireAnyScope`, `requirePermission`, `claimCheck`,
   * `requireAuthentication`.
   */
  interface FastifyInstance extends GuardFactories<TokenwardenHook> {
    /** Authenticates the request and sets `request.auth`, or answers 400/401/503 per RFC 6750. */
    authenticate: TokenwardenHook;
  }
}

/**
 * Plugin options: the verifier options (or a shared `verifier`), plus `passErrors`, which throws the
 * {@link TokenError} to your `setErrorHandler` instead of answering [false], and `preload`, which
 * fetches the key sets in Fastify's `onReady` hook, so `ready()` and `listen()` fail when they cannot
 * be had ({@link Verifier.ready}). [false]
 */
export type FastifyTokenwardenOptions = (VerifierOptions | { readonly verifier: Verifier }) &
  AdapterOptions & { readonly preload?: boolean | undefined };

/** Plugin options that are not verifier options: a shared `verifier`, `preload`, and Fastify's own. */
const PLUGIN_KEYS = ['verifier', 'preload', 'prefix', 'logLevel', 'logSerializers'];

const plugin: FastifyPluginAsync<FastifyTokenwardenOptions> = async (fastify, options) => {
  const optionsOrVerifier = 'verifier' in options ? options.verifier : options;
  const { verifier, passErrors } = resolveAdapterSetup(optionsOrVerifier, options, PLUGIN_KEYS);
  // Registering again in a child scope (other audience, other options) must not redeclare the property.
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', undefined);
  if (booleanOption(options.preload, 'preload', false)) fastify.addHook('onReady', () => verifier.ready());

  async function fail(error: unknown, reply: FastifyReply): Promise<FastifyReply> {
    if (!(error instanceof TokenError) || passErrors) throw error;
    return sendTokenError(reply, error);
  }

  fastify.decorate<TokenwardenHook>('authenticate', async (request, reply) => {
    try {
      const { method, url, headers, raw } = request;
      const outcome = verifier.authenticateEagerly(
        fromNodeRequest({ method, url, headers, socket: raw.socket }),
      );
      const auth = outcome instanceof Promise ? await outcome : outcome;
      if (auth !== undefined) request.auth = auth;
      else noteUnauthenticated(request, verifier);
      const headersToSet = authResponseHeaders(auth);
      if (headersToSet !== undefined) reply.headers(headersToSet);
    } catch (error) {
      return fail(error, reply);
    }
    return undefined;
  });
  // Guards of this registration follow its passErrors, so they are made here rather than per module.
  const guards = createGuardFactories<TokenwardenHook>((guard) => async (request, reply) => {
    try {
      runGuard(guard, request.auth, request);
    } catch (error) {
      return fail(error, reply);
    }
    return undefined;
  });
  for (const [name, factory] of Object.entries(guards)) fastify.decorate(name, factory);
  // RFC 9728 §3: with the protectedResource option, the metadata document is served at its path.
  const metadata = verifier.protectedResource;
  if (metadata !== undefined) {
    fastify.get(metadata.path, (_request, reply) => reply.headers(metadata.headers).send(metadata.body));
  }
};

/**
 * Decorates the instance with `authenticate` and the guard hook factories, and requests with `auth`;
 * with the `protectedResource` option, serves the RFC 9728 metadata document at its well-known path.
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
