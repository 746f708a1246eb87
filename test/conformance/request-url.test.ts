import { createServer, request as httpRequest, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import type { VerifierOptions } from 'tokenwarden';
import * as expressAuth from 'tokenwarden/express';
import tokenwarden from 'tokenwarden/fastify';
import * as honoAuth from 'tokenwarden/hono';
import * as koaAuth from 'tokenwarden/koa';
import {
  createDpopProof,
  createTestIssuer,
  type DpopKey,
  generateDpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import type { RunningServer } from './frameworks.js';

/**
 * The URL a DPoP proof's `htu` is compared with is rebuilt from the request; the framework routes
 * the request by its own reading of the same target. Wherever the two could differ, the request
 * is refused. Every app here authenticates every request and answers with the path it routed.
 */

const HOST = '127.0.0.1';

async function serveNode(listener: RequestListener): Promise<RunningServer> {
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

/** Each framework with one catch-all route behind its authentication middleware. */
const apps: readonly (readonly [string, (auth: VerifierOptions) => Promise<RunningServer>])[] = [
  [
    'Express',
    (auth) => {
      const app = express();
      app.use(expressAuth.jwtAuth(auth));
      app.use((req, res) => {
        res.json({ path: req.path });
      });
      return serveNode(app);
    },
  ],
  [
    'Fastify',
    async (auth) => {
      const app = Fastify();
      await app.register(tokenwarden, auth);
      app.addHook('onRequest', app.authenticate);
      app.all('/*', async (request) => ({ path: request.url.split('?')[0] }));
      await app.listen({ port: 0, host: HOST });
      return {
        url: `http://${HOST}:${(app.server.address() as AddressInfo).port}`,
        close: () => app.close(),
      };
    },
  ],
  [
    'Hono',
    (auth) => {
      const app = new Hono<honoAuth.TokenwardenEnv>();
      app.use('*', honoAuth.jwtAuth(auth));
      app.all('*', (c) => c.json({ path: c.req.path }));
      return serveNode(getRequestListener(app.fetch));
    },
  ],
  [
    'Koa',
    (auth) => {
      const app = new Koa();
      app.use(koaAuth.jwtAuth(auth));
      app.use((ctx) => {
        ctx.body = { path: ctx.path };
      });
      return serveNode(app.callback());
    },
  ],
];

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
}

/** A GET whose request target and Host go on the wire exactly as given (no client normalisation). */
function rawGet(base: string, target: string, headers: Record<string, string>): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: hostname, port, method: 'GET', path: target, headers, setHost: false, agent: false },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

let issuer: TestIssuer;
let key: DpopKey;
let token: string;
let auth: VerifierOptions;

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
  key = await generateDpopKey();
  token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
  auth = { issuer: issuer.issuer, audience: issuer.audience, keySet: issuer.jwks(), clock: fixedClock };
});
afterAll(() => issuer.close());

/**
 * Request targets with dot segments, raw or percent-encoded, and backslashes (which WHATWG URL reads
 * as slashes). Each is sent with a proof whose htu is the target as URL resolves it, which is what
 * the htu comparison sees, while Express, Fastify and Koa route the raw path.
 */
const DOT_SEGMENT_TARGETS = [
  '/api/admin/../private',
  '/api/./private',
  '/api/private/.',
  '/api/private/..',
  '/api/admin/%2e%2e/private',
  '/api/admin/%2E%2E/private',
  '/api/admin/.%2e/private',
  '/api/admin/%2E./private',
  '/api/%2e/private',
  '/api/admin\\..\\private',
  '/api/admin/..\\private',
  '/api/admin/../private?page=2',
] as const;

describe.each(apps)('RFC 9449 §4.3 check 9: the request URL cannot be steered, on %s', (name, listen) => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await listen(auth);
  });
  afterAll(() => server.close());

  /** Sends `target` with a proof whose htu is `target` as WHATWG URL resolves it. */
  async function send(target: string, host?: string) {
    const dpop = await createDpopProof({
      key,
      method: 'GET',
      url: `${server.url}${target}`,
      iat: NOW,
      accessToken: token,
    });
    return rawGet(server.url, target, {
      host: host ?? new URL(server.url).host,
      authorization: `DPoP ${token}`,
      dpop,
    });
  }

  it('accepts a proof on the path it names (control)', async () => {
    expect(await send('/api/private')).toEqual({ status: 200, body: { path: '/api/private' } });
  });

  it('accepts dots that are not whole segments, and dot segments in the query', async () => {
    expect(await send('/api/..private/v1.2')).toEqual({ status: 200, body: { path: '/api/..private/v1.2' } });
    expect((await send('/api/private?next=../admin')).status).toBe(200);
  });

  it.each(DOT_SEGMENT_TARGETS)('refuses the target %s with 400 request_invalid', async (target) => {
    const answer = await send(target);
    expect(answer.status).toBe(400);
    // @hono/node-server refuses a backslash in the path itself, before any middleware runs.
    if (name === 'Hono' && target.split('?')[0]?.includes('\\')) expect(answer.body).toBeUndefined();
    else expect(answer.body).toMatchObject({ error: 'invalid_request' });
  });

  it.each(['[', 'a:b:c', 'h:99999'])('answers a Host header of %s with 400 request_invalid', async (host) => {
    const answer = await send('/api/private', host);
    expect(answer.status).toBe(400);
    // @hono/node-server refuses a Host it cannot build a URL from, before any middleware runs.
    if (name === 'Hono') expect(answer.body).toBeUndefined();
    else expect(answer.body).toMatchObject({ error: 'invalid_request' });
  });
});
