import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import type { VerifierOptions } from 'tokenwarden';
import * as expressAuth from 'tokenwarden/express';
import tokenwarden from 'tokenwarden/fastify';
import * as honoAuth from 'tokenwarden/hono';
import * as koaAuth from 'tokenwarden/koa';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../support/clock.js';

const HOST = '127.0.0.1';

type GuardName = 'requireScope' | 'requireAnyScope' | 'requirePermission' | 'claimCheck';

/**
 * The routes every framework serves, each behind one guard given a space-delimited list, the way
 * express-oauth2-jwt-bearer's `requiredScopes('a b')` is written.
 */
const ROUTES = {
  '/all-scopes': ['requireScope', 'read:messages write:messages'],
  '/any-scope': ['requireAnyScope', 'admin write:messages'],
  '/all-permissions': ['requirePermission', 'read:messages delete:messages'],
} as const;

interface Running {
  readonly url: string;
  close(): Promise<void>;
}

/** One framework: how a route definition calls its guard factories, and a server with {@link ROUTES}. */
interface FrameworkGuards {
  readonly name: string;
  /** Calls the guard factory `guard` with `args`, as a route definition would. */
  define(guard: GuardName, args: readonly unknown[]): Promise<unknown>;
  serve(auth: VerifierOptions): Promise<Running>;
}

async function serveNode(listener: RequestListener): Promise<Running> {
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

/** Calls `factories[guard](...args)`, whatever the arguments' types. */
function call(
  factories: Record<GuardName, (...args: never[]) => unknown>,
  guard: GuardName,
  args: readonly unknown[],
) {
  return (factories[guard] as (...args: readonly unknown[]) => unknown)(...args);
}

const expressGuards = {
  requireScope: expressAuth.requireScope,
  requireAnyScope: expressAuth.requireAnyScope,
  requirePermission: expressAuth.requirePermission,
  claimCheck: expressAuth.claimCheck,
};
const honoGuards = {
  requireScope: honoAuth.requireScope,
  requireAnyScope: honoAuth.requireAnyScope,
  requirePermission: honoAuth.requirePermission,
  claimCheck: honoAuth.claimCheck,
};
const koaGuards = {
  requireScope: koaAuth.requireScope,
  requireAnyScope: koaAuth.requireAnyScope,
  requirePermission: koaAuth.requirePermission,
  claimCheck: koaAuth.claimCheck,
};

const FRAMEWORKS: readonly FrameworkGuards[] = [
  {
    name: 'Express',
    define: async (guard, args) => call(expressGuards, guard, args),
    async serve(auth) {
      const app = express();
      for (const [path, [guard, scopes]] of Object.entries(ROUTES)) {
        app.get(path, expressAuth.jwtAuth(auth), expressGuards[guard](scopes), (_req, res) => {
          res.json({ ok: true });
        });
      }
      return serveNode(app);
    },
  },
  {
    name: 'Fastify',
    async define(guard, args) {
      const app = Fastify();
      await app.register(tokenwarden, {
        issuer: 'https://issuer.example.test/',
        audience: 'api',
        keySet: { keys: [] },
      });
      try {
        return call(app, guard, args);
      } finally {
        await app.close();
      }
    },
    async serve(auth) {
      const app = Fastify();
      await app.register(tokenwarden, auth);
      for (const [path, [guard, scopes]] of Object.entries(ROUTES)) {
        app.get(path, { onRequest: [app.authenticate, app[guard](scopes)] }, async () => ({ ok: true }));
      }
      await app.listen({ port: 0, host: HOST });
      return {
        url: `http://${HOST}:${(app.server.address() as AddressInfo).port}`,
        close: () => app.close(),
      };
    },
  },
  {
    name: 'Hono',
    define: async (guard, args) => call(honoGuards, guard, args),
    async serve(auth) {
      const app = new Hono<honoAuth.TokenwardenEnv>();
      for (const [path, [guard, scopes]] of Object.entries(ROUTES)) {
        app.get(path, honoAuth.jwtAuth(auth), honoGuards[guard](scopes), (c) => c.json({ ok: true }));
      }
      return serveNode(getRequestListener(app.fetch));
    },
  },
  {
    name: 'Koa',
    define: async (guard, args) => call(koaGuards, guard, args),
    async serve(auth) {
      const app = new Koa();
      const router = new Router();
      for (const [path, [guard, scopes]] of Object.entries(ROUTES)) {
        router.get(path, koaAuth.jwtAuth(auth), koaGuards[guard](scopes), (ctx) => {
          ctx.body = { ok: true };
        });
      }
      app.use(router.routes());
      return serveNode(app.callback());
    },
  },
];

let issuer: TestIssuer;
let auth: VerifierOptions;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
  auth = { issuer: issuer.issuer, audience: issuer.audience, keySet: issuer.jwks(), clock: fixedClock };
});
afterAll(() => issuer?.close());

describe.each(FRAMEWORKS.map((framework) => [framework.name, framework] as const))(
  'route guards refuse to let every token through: %s',
  (_name, framework) => {
    it.each([
      ['requireScope()', 'requireScope', []],
      ["requireScope('')", 'requireScope', ['']],
      ["requireAnyScope(' ')", 'requireAnyScope', [' ']],
      ['requirePermission()', 'requirePermission', []],
      ['claimCheck(a string)', 'claimCheck', ['admin']],
    ] as const)('%s throws a TypeError when the route is defined', async (_call, guard, args) => {
      await expect(framework.define(guard, args)).rejects.toThrow(TypeError);
    });
  },
);

describe.each(FRAMEWORKS.map((framework) => [framework.name, framework] as const))(
  'RFC 6749 §3.3 space-delimited scopes in a route guard: %s',
  (_name, framework) => {
    let server: Running;
    beforeAll(async () => {
      server = await framework.serve(auth);
    });
    afterAll(() => server?.close());

    async function status(path: string, claims: Record<string, unknown>): Promise<number> {
      const token = await issuer.signToken(claims);
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      return response.status;
    }

    it("requireScope('read:messages write:messages') answers 403 to a token holding only one of them", async () => {
      expect(await status('/all-scopes', { scope: 'read:messages' })).toBe(403);
    });

    it("requireScope('read:messages write:messages') answers 200 to a token holding both", async () => {
      expect(await status('/all-scopes', { scope: 'write:messages read:messages' })).toBe(200);
    });

    it("requireAnyScope('admin write:messages') answers 200 to a token holding write:messages", async () => {
      expect(await status('/any-scope', { scope: 'write:messages' })).toBe(200);
    });

    it("requirePermission('read:messages delete:messages') answers 403 to a token with one, 200 with both", async () => {
      expect(await status('/all-permissions', { permissions: ['read:messages'] })).toBe(403);
      expect(await status('/all-permissions', { permissions: ['delete:messages', 'read:messages'] })).toBe(
        200,
      );
    });
  },
);
