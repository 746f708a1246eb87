import { getRequestListener } from '@hono/node-server';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { createVerifier, TokenError, type Verifier } from 'tokenwarden';
import * as expressAuth from 'tokenwarden/express';
import tokenwarden, * as fastifyAuth from 'tokenwarden/fastify';
import * as honoAuth from 'tokenwarden/hono';
import * as koaAuth from 'tokenwarden/koa';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serveNode } from './frameworks.js';

const SCOPE = 'read:messages';
const OK = { ok: true };
/** Set by the app's own error handling, so a test sees that the error was handed over. */
const HANDED = 'x-handled-by';

/**
 * A server per framework with `/answered`, where tokenwarden answers, and `/handed`, where
 * `passErrors` hands the error to the framework's own handling, which answers with `sendTokenError`;
 * both behind `requireScope`, so a guard's refusal is handed over too. Express also serves `/handled`,
 * answered by its error middleware `tokenErrorHandler()`.
 */
const FRAMEWORKS: readonly (readonly [string, (verifier: Verifier) => Promise<RunningServer>])[] = [
  [
    'Express',
    async (verifier) => {
      const app = express();
      const answered = express.Router();
      answered.get(
        '/answered',
        expressAuth.jwtAuth(verifier),
        expressAuth.requireScope(SCOPE),
        (_req, res) => {
          res.json(OK);
        },
      );
      const handed = express.Router();
      handed.get(
        '/handed',
        expressAuth.jwtAuth(verifier, { passErrors: true }),
        expressAuth.requireScope(SCOPE),
      );
      handed.use(
        (error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
          if (!(error instanceof TokenError)) return next(error);
          expressAuth.sendTokenError(res.set(HANDED, 'app'), error);
        },
      );
      const handled = express.Router();
      handled.get(
        '/handled',
        expressAuth.jwtAuth(verifier, { passErrors: true }),
        expressAuth.requireScope(SCOPE),
      );
      handled.use(
        (error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
          res.set(HANDED, 'app');
          next(error);
        },
        expressAuth.tokenErrorHandler(),
      );
      app.use(answered, handed, handled);
      return serveNode(app);
    },
  ],
  [
    'Fastify',
    async (verifier) => {
      const app = Fastify();
      await app.register(async (scope) => {
        await scope.register(tokenwarden, { verifier });
        scope.get(
          '/answered',
          { onRequest: [scope.authenticate, scope.requireScope(SCOPE)] },
          async () => OK,
        );
      });
      await app.register(async (scope) => {
        await scope.register(tokenwarden, { verifier, passErrors: true });
        scope.setErrorHandler((error, _request, reply) => {
          if (!(error instanceof TokenError)) return reply.send(error);
          return fastifyAuth.sendTokenError(reply.header(HANDED, 'app'), error);
        });
        scope.get('/handed', { onRequest: [scope.authenticate, scope.requireScope(SCOPE)] }, async () => OK);
      });
      await app.ready();
      return serveNode((request, response) => app.routing(request, response));
    },
  ],
  [
    'Hono',
    async (verifier) => {
      const app = new Hono<honoAuth.TokenwardenEnv>();
      app.get('/answered', honoAuth.jwtAuth(verifier), honoAuth.requireScope(SCOPE), (c) => c.json(OK));
      const handing = honoAuth.jwtAuth(verifier, { passErrors: true });
      app.get('/handed', handing, honoAuth.requireScope(SCOPE), (c) => c.json(OK));
      app.onError((error, c) => {
        if (!(error instanceof TokenError)) return c.json({ error: 'server_error' }, 500);
        c.header(HANDED, 'app');
        return honoAuth.sendTokenError(c, error);
      });
      return serveNode(getRequestListener(app.fetch));
    },
  ],
  [
    'Koa',
    async (verifier) => {
      const app = new Koa();
      const router = new Router();
      router.get('/answered', koaAuth.jwtAuth(verifier), koaAuth.requireScope(SCOPE), (ctx) => {
        ctx.body = OK;
      });
      router.get('/handed', koaAuth.jwtAuth(verifier, { passErrors: true }), koaAuth.requireScope(SCOPE));
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          if (!(error instanceof TokenError)) throw error;
          ctx.set(HANDED, 'app');
          koaAuth.sendTokenError(ctx, error);
        }
      });
      app.use(router.routes());
      return serveNode(app.callback());
    },
  ],
];

/** What a client reads of a refusal. */
async function answerOf(response: Response) {
  return {
    status: response.status,
    wwwAuthenticate: response.headers.get('www-authenticate'),
    cacheControl: response.headers.get('cache-control'),
    body: await response.json(),
  };
}

let issuer: TestIssuer;
let verifier: Verifier;
let refusals: readonly (readonly [string, Record<string, string>, number])[];

beforeAll(async () => {
  issuer = await createTestIssuer();
  verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience });
  const unscoped = await issuer.signToken({ scope: 'profile' });
  refusals = [
    ['no token', {}, 401],
    ['a malformed token', { authorization: 'Bearer not-a-token' }, 401],
    ['a token lacking the scope (the guard)', { authorization: `Bearer ${unscoped}` }, 403],
  ];
});

afterAll(async () => {
  await issuer.close();
});

describe.each(FRAMEWORKS)('sendTokenError answers as tokenwarden does: %s', (name, serve) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve(verifier);
  });
  afterAll(async () => {
    await server.close();
  });

  it('gives a handed-over TokenError the status, challenge, caching and body of the default answer', async () => {
    const paths = name === 'Express' ? ['/handed', '/handled'] : ['/handed'];
    for (const [, headers, status] of refusals) {
      const answered = await answerOf(await fetch(`${server.url}/answered`, { headers }));
      expect(answered.status).toBe(status);
      for (const path of paths) {
        const handed = await fetch(`${server.url}${path}`, { headers });
        expect(handed.headers.get(HANDED)).toBe('app');
        expect(await answerOf(handed)).toEqual(answered);
      }
    }
  });
});

describe('the error helper under its former names', () => {
  it('Hono tokenErrorResponse is sendTokenError', () => {
    expect(honoAuth.tokenErrorResponse).toBe(honoAuth.sendTokenError);
  });
});
