import Router from '@koa/router';
import express, { type RequestHandler } from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import jwksRsa from 'jwks-rsa';
import Koa, { type Middleware } from 'koa';
import koaJwt from 'koa-jwt';
import * as expressAuth from 'tokenwarden/express';
import * as koaAuth from 'tokenwarden/koa';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serveNode } from '../conformance/frameworks.js';

// The before and after set-ups of docs/migrating/express-oauth2-jwt-bearer.md and koa-jwt.md, each
// serving /api/private and /api/private-scoped, sent the same tokens over HTTP: every token gets
// the same status from both, except where the pages say tokenwarden is stricter or more lenient.

function expressApp(checkJwt: RequestHandler, needsReadMessages: RequestHandler): Promise<RunningServer> {
  const app = express();
  // Express's default error handler prints each error it answers, unless its env is 'test'.
  app.set('env', 'test');
  app.get('/api/private', checkJwt, (_req, res) => res.json({ ok: true }));
  app.get('/api/private-scoped', checkJwt, needsReadMessages, (_req, res) => res.json({ ok: true }));
  return serveNode(app);
}

function koaApp(checkJwt: Middleware, needsReadMessages: Middleware): Promise<RunningServer> {
  const app = new Koa();
  const router = new Router();
  router.get('/api/private', checkJwt, (ctx) => {
    ctx.body = { ok: true };
  });
  router.get('/api/private-scoped', checkJwt, needsReadMessages, (ctx) => {
    ctx.body = { ok: true };
  });
  app.use(router.routes());
  return serveNode(app.callback());
}

/** How to send each kind of token, built once the issuer runs. */
type Credentials = (issuer: TestIssuer) => Promise<string | undefined>;

function unsigned(issuer: TestIssuer): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 600;
  return `${part({ alg: 'none', typ: 'at+jwt' })}.${part({ iss: issuer.issuer, aud: issuer.audience, exp, scope: 'read:messages' })}.`;
}

const bearer = (token: string) => `Bearer ${token}`;
const scoped = { scope: 'read:messages' };

const CREDENTIALS: Record<string, Credentials> = {
  'no token': async () => undefined,
  'Basic credentials': async () => 'Basic dXNlcjpwYXNz',
  'a token with read:messages': async (issuer) => bearer(await issuer.signToken(scoped)),
  'a token without read:messages': async (issuer) => bearer(await issuer.signToken({ scope: 'openid' })),
  'an ES256 token': async (issuer) => bearer(await issuer.signToken(scoped, { alg: 'ES256' })),
  'a token with typ JWT': async (issuer) => bearer(await issuer.signToken(scoped, { typ: 'JWT' })),
  'a token expired an hour ago': async (issuer) =>
    bearer(await issuer.signToken(scoped, { expiresIn: -3600 })),
  'a token expired 30 s ago': async (issuer) => bearer(await issuer.signToken(scoped, { expiresIn: -30 })),
  'a token for another audience': async (issuer) =>
    bearer(await issuer.signToken({ ...scoped, aud: 'https://other.example.com' })),
  'a token without aud': async (issuer) => bearer(await issuer.signToken({ ...scoped, aud: undefined })),
  'a token without exp': async (issuer) => bearer(await issuer.signToken({ ...scoped, exp: undefined })),
  'a token signed by another key': async (issuer) =>
    bearer(await issuer.signToken(scoped, { untrustedKey: true })),
  'an alg none token': async (issuer) => bearer(unsigned(issuer)),
  'a token whose scope is an array': async (issuer) =>
    bearer(await issuer.signToken({ scope: ['read:messages'] })),
};

/** Expected statuses on /api/private and /api/private-scoped: [before, after] each. */
type Row = readonly [
  credentials: string,
  priv: readonly [number, number],
  privScoped: readonly [number, number],
];

async function statusOf(url: string, authorization: string | undefined): Promise<number> {
  const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
  await response.arrayBuffer();
  return response.status;
}

function runTable(
  name: string,
  setUp: (issuer: TestIssuer) => Promise<[RunningServer, RunningServer]>,
  rows: Row[],
) {
  describe(name, () => {
    let issuer: TestIssuer;
    let before: RunningServer;
    let after: RunningServer;
    beforeAll(async () => {
      issuer = await createTestIssuer();
      [before, after] = await setUp(issuer);
    });
    afterAll(async () => {
      await Promise.all([before?.close(), after?.close()]);
      await issuer?.close();
    });

    for (const [credentials, priv, privScoped] of rows) {
      const same = priv[0] === priv[1] && privScoped[0] === privScoped[1];
      it(`${same ? 'answers alike' : 'answers as documented'} ${credentials}`, async () => {
        const make = CREDENTIALS[credentials];
        if (make === undefined) throw new Error(`no credentials named ${credentials}`);
        const authorization = await make(issuer);
        const got = await Promise.all(
          [before, after].flatMap(({ url }) => [
            statusOf(`${url}/api/private`, authorization),
            statusOf(`${url}/api/private-scoped`, authorization),
          ]),
        );
        expect({ priv: [got[0], got[2]], privScoped: [got[1], got[3]] }).toEqual({ priv, privScoped });
      });
    }
  });
}

runTable(
  'docs/migrating/express-oauth2-jwt-bearer.md: the same tokens before and after',
  async (issuer) =>
    Promise.all([
      expressApp(
        auth({ issuerBaseURL: issuer.issuer, audience: issuer.audience }),
        requiredScopes('read:messages'),
      ),
      expressApp(
        expressAuth.jwtAuth({ issuer: issuer.issuer, audience: issuer.audience, clockTolerance: 5 }),
        expressAuth.requireScope('read:messages'),
      ),
    ]),
  [
    ['no token', [401, 401], [401, 401]],
    // Another scheme is no credentials (RFC 6750 §3.1): 401 now, 400 before.
    ['Basic credentials', [400, 401], [400, 401]],
    ['a token with read:messages', [200, 200], [200, 200]],
    ['a token without read:messages', [200, 200], [403, 403]],
    ['an ES256 token', [200, 200], [200, 200]],
    ['a token with typ JWT', [200, 200], [200, 200]],
    ['a token expired an hour ago', [401, 401], [401, 401]],
    // Outside both windows, since the after set-up keeps the old clockTolerance of 5 s.
    ['a token expired 30 s ago', [401, 401], [401, 401]],
    ['a token for another audience', [401, 401], [401, 401]],
    ['a token without aud', [401, 401], [401, 401]],
    ['a token without exp', [401, 401], [401, 401]],
    ['a token signed by another key', [401, 401], [401, 401]],
    ['an alg none token', [401, 401], [401, 401]],
    // Stricter: RFC 9068 §2.2.3 makes scope a string.
    ['a token whose scope is an array', [200, 401], [200, 401]],
  ],
);

const needsReadMessages: Middleware = (ctx, next) => {
  const user = ctx.state.user as { scope?: unknown } | undefined;
  if (
    !String(user?.scope ?? '')
      .split(' ')
      .includes('read:messages')
  )
    ctx.throw(403, 'Insufficient scope');
  return next();
};

runTable(
  'docs/migrating/koa-jwt.md: the same tokens before and after',
  async (issuer) =>
    Promise.all([
      koaApp(
        koaJwt({
          secret: jwksRsa.koaJwtSecret({ jwksUri: issuer.jwksUri, cache: true, rateLimit: true }),
          audience: issuer.audience,
          issuer: issuer.issuer,
          algorithms: ['RS256'],
        }),
        needsReadMessages,
      ),
      koaApp(
        koaAuth.jwtAuth({
          issuer: issuer.issuer,
          audience: issuer.audience,
          algorithms: ['RS256'],
          jwksUri: issuer.jwksUri,
        }),
        koaAuth.requireScope('read:messages'),
      ),
    ]),
  [
    ['no token', [401, 401], [401, 401]],
    ['Basic credentials', [401, 401], [401, 401]],
    ['a token with read:messages', [200, 200], [200, 200]],
    ['a token without read:messages', [200, 200], [403, 403]],
    ['an ES256 token', [401, 401], [401, 401]],
    ['a token with typ JWT', [200, 200], [200, 200]],
    ['a token expired an hour ago', [401, 401], [401, 401]],
    // More lenient: clockTolerance is 60 s where jsonwebtoken's is 0.
    ['a token expired 30 s ago', [401, 200], [401, 200]],
    ['a token for another audience', [401, 401], [401, 401]],
    ['a token without aud', [401, 401], [401, 401]],
    // Stricter: jsonwebtoken accepts a token that never expires.
    ['a token without exp', [200, 401], [200, 401]],
    ['a token signed by another key', [401, 401], [401, 401]],
    ['an alg none token', [401, 401], [401, 401]],
    ['a token whose scope is an array', [200, 401], [200, 401]],
  ],
);
