import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import Koa from 'koa';
import {
  type AccessTokenClaims,
  createVerifier,
  TokenError,
  type VerifiedToken,
  type VerifierOptions,
} from 'tokenwarden';
import * as expressAuth from 'tokenwarden/express';
import tokenwarden from 'tokenwarden/fastify';
import * as honoAuth from 'tokenwarden/hono';
import * as koaAuth from 'tokenwarden/koa';
import * as expressExample from '../../examples/express/app.js';
import * as fastifyExample from '../../examples/fastify/app.js';
import * as honoExample from '../../examples/hono/app.js';
import * as koaExample from '../../examples/koa/app.js';
import { GUARDED_MESSAGE, SCOPED_MESSAGE } from './table.js';

/** A server listening on 127.0.0.1. */
export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * One framework under test: its example's `listen` (the three routes) and an extras app serving
 * `/api/optional` (`credentialsOptional`), `/api/custom-error` (`passErrors` + the framework's own
 * error handling) and one route per remaining guard, behind a verifier shared by those routes.
 */
export interface FrameworkUnderTest {
  readonly name: string;
  readonly listen: (auth: VerifierOptions, port: number, host: string) => Promise<RunningServer>;
  readonly listenExtras: (auth: VerifierOptions) => Promise<RunningServer>;
}

const HOST = '127.0.0.1';

const ANY_SCOPES = ['read:messages', 'write:messages'];
const GUARDED = { message: GUARDED_MESSAGE };
const isAdmin = (claims: AccessTokenClaims) => claims.sub === 'admin';

function optionalBody(auth: VerifiedToken | undefined) {
  return { authenticated: auth !== undefined, sub: auth?.claims.sub ?? null };
}

/** What the app's own error handler answers: its own body shape, keeping the status and challenge. */
function appErrorAnswer(error: TokenError) {
  const headers: Record<string, string> = {};
  if (error.wwwAuthenticate !== undefined) headers['www-authenticate'] = error.wwwAuthenticate;
  return { status: error.status, headers, body: { error: error.code, handled_by: 'app' } };
}

/** Serves `listener` (an Express or Koa app, a Hono app through `@hono/node-server`) on 127.0.0.1. */
export async function serveNode(listener: RequestListener): Promise<RunningServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, HOST, () => resolve()));
  return {
    url: `http://${HOST}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function expressExtras(auth: VerifierOptions): Promise<RunningServer> {
  const app = express();
  app.get('/api/optional', expressAuth.jwtAuth({ ...auth, credentialsOptional: true }), (req, res) => {
    res.json(optionalBody(req.auth));
  });
  app.get(
    '/api/custom-error',
    expressAuth.jwtAuth({ ...auth, passErrors: true }),
    expressAuth.requireScope('read:messages'),
    (_req, res) => {
      res.json({ message: SCOPED_MESSAGE });
    },
  );
  const checkJwt = expressAuth.jwtAuth(createVerifier(auth));
  app.get('/api/permission', checkJwt, expressAuth.requirePermission('read:messages'), (_req, res) => {
    res.json(GUARDED);
  });
  app.get('/api/any-scope', checkJwt, expressAuth.requireAnyScope(...ANY_SCOPES), (_req, res) => {
    res.json(GUARDED);
  });
  app.get('/api/claim-check', checkJwt, expressAuth.claimCheck(isAdmin), (_req, res) => {
    res.json(GUARDED);
  });
  app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (!(error instanceof TokenError)) return next(error);
    const answer = appErrorAnswer(error);
    res.status(answer.status).set(answer.headers).json(answer.body);
  });
  return serveNode(app);
}

async function fastifyExtras(auth: VerifierOptions): Promise<RunningServer> {
  const app = Fastify();
  await app.register(async (scope) => {
    await scope.register(tokenwarden, { ...auth, credentialsOptional: true });
    scope.get('/api/optional', { onRequest: scope.authenticate }, async (request) =>
      optionalBody(request.auth),
    );
  });
  await app.register(async (scope) => {
    await scope.register(tokenwarden, { ...auth, passErrors: true });
    scope.setErrorHandler((error, _request, reply) => {
      if (!(error instanceof TokenError)) throw error;
      const answer = appErrorAnswer(error);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
    scope.get(
      '/api/custom-error',
      { onRequest: [scope.authenticate, scope.requireScope('read:messages')] },
      async () => ({ message: SCOPED_MESSAGE }),
    );
  });
  await app.register(async (scope) => {
    await scope.register(tokenwarden, { verifier: createVerifier(auth) });
    const guarded = async () => GUARDED;
    scope.get(
      '/api/permission',
      { onRequest: [scope.authenticate, scope.requirePermission('read:messages')] },
      guarded,
    );
    scope.get(
      '/api/any-scope',
      { onRequest: [scope.authenticate, scope.requireAnyScope(...ANY_SCOPES)] },
      guarded,
    );
    scope.get('/api/claim-check', { onRequest: [scope.authenticate, scope.claimCheck(isAdmin)] }, guarded);
  });
  await app.listen({ port: 0, host: HOST });
  return { url: `http://${HOST}:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}

async function honoExtras(auth: VerifierOptions): Promise<RunningServer> {
  const app = new Hono<honoAuth.TokenwardenEnv>();
  app.get('/api/optional', honoAuth.jwtAuth({ ...auth, credentialsOptional: true }), (c) =>
    c.json(optionalBody(c.get('auth'))),
  );
  app.get(
    '/api/custom-error',
    honoAuth.jwtAuth({ ...auth, passErrors: true }),
    honoAuth.requireScope('read:messages'),
    (c) => c.json({ message: SCOPED_MESSAGE }),
  );
  const checkJwt = honoAuth.jwtAuth(createVerifier(auth));
  app.get('/api/permission', checkJwt, honoAuth.requirePermission('read:messages'), (c) => c.json(GUARDED));
  app.get('/api/any-scope', checkJwt, honoAuth.requireAnyScope(...ANY_SCOPES), (c) => c.json(GUARDED));
  app.get('/api/claim-check', checkJwt, honoAuth.claimCheck(isAdmin), (c) => c.json(GUARDED));
  app.onError((error, c) => {
    if (!(error instanceof TokenError)) return c.json({ error: 'server_error' }, 500);
    const answer = appErrorAnswer(error);
    return c.json(answer.body, answer.status as ContentfulStatusCode, answer.headers);
  });
  return serveNode(getRequestListener(app.fetch));
}

async function koaExtras(auth: VerifierOptions): Promise<RunningServer> {
  const app = new Koa();
  const router = new Router();
  router.get('/api/optional', koaAuth.jwtAuth({ ...auth, credentialsOptional: true }), (ctx) => {
    ctx.body = optionalBody(ctx.state.auth);
  });
  router.get(
    '/api/custom-error',
    koaAuth.jwtAuth({ ...auth, passErrors: true }),
    koaAuth.requireScope('read:messages'),
    (ctx) => {
      ctx.body = { message: SCOPED_MESSAGE };
    },
  );
  const checkJwt = koaAuth.jwtAuth(createVerifier(auth));
  router.get('/api/permission', checkJwt, koaAuth.requirePermission('read:messages'), (ctx) => {
    ctx.body = GUARDED;
  });
  router.get('/api/any-scope', checkJwt, koaAuth.requireAnyScope(...ANY_SCOPES), (ctx) => {
    ctx.body = GUARDED;
  });
  router.get('/api/claim-check', checkJwt, koaAuth.claimCheck(isAdmin), (ctx) => {
    ctx.body = GUARDED;
  });
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      const answer = appErrorAnswer(error);
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = answer.body;
    }
  });
  app.use(router.routes());
  return serveNode(app.callback());
}

/** Express, Fastify, Hono and Koa: the same table runs against each. */
export const frameworks: readonly FrameworkUnderTest[] = [
  { name: 'Express', listen: expressExample.listen, listenExtras: expressExtras },
  { name: 'Fastify', listen: fastifyExample.listen, listenExtras: fastifyExtras },
  { name: 'Hono', listen: honoExample.listen, listenExtras: honoExtras },
  { name: 'Koa', listen: koaExample.listen, listenExtras: koaExtras },
];
