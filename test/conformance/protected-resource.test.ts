import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import Router from '@koa/router';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { createVerifier, DEFAULT_DPOP_ALGORITHMS, type VerifierOptions } from 'tokenwarden';
import * as expressAuth from 'tokenwarden/express';
import tokenwarden from 'tokenwarden/fastify';
import * as honoAuth from 'tokenwarden/hono';
import * as koaAuth from 'tokenwarden/koa';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, serveNode } from './frameworks.js';
import { NOW } from './table.js';

const RESOURCE = 'https://api.example.test/mcp';
const METADATA_PATH = '/.well-known/oauth-protected-resource/mcp';
const METADATA_URL = `https://api.example.test${METADATA_PATH}`;
const STEP_UP = { acrValues: ['mfa'], maxAge: 300 };
const OK = { ok: true };

/**
 * One app per framework: the metadata document, `/mcp` behind authentication, `/mcp/scoped` behind
 * `requireScope('tools:call')`, `/mcp/step-up` behind `requireAuthentication(STEP_UP)`.
 */
const apps: Record<string, (auth: VerifierOptions) => Promise<RunningServer>> = {
  async Express(auth) {
    const app = express();
    const verifier = createVerifier(auth);
    app.use(expressAuth.protectedResourceMetadata(verifier));
    const checkJwt = expressAuth.jwtAuth(verifier);
    app.get('/mcp', checkJwt, (_req, res) => res.json(OK));
    app.get('/mcp/scoped', checkJwt, expressAuth.requireScope('tools:call'), (_req, res) => res.json(OK));
    app.get('/mcp/step-up', checkJwt, expressAuth.requireAuthentication(STEP_UP), (_req, res) =>
      res.json(OK),
    );
    return serveNode(app);
  },
  async Fastify(auth) {
    const app = Fastify();
    await app.register(tokenwarden, auth);
    app.get('/mcp', { onRequest: app.authenticate }, async () => OK);
    app.get('/mcp/scoped', { onRequest: [app.authenticate, app.requireScope('tools:call')] }, async () => OK);
    app.get(
      '/mcp/step-up',
      { onRequest: [app.authenticate, app.requireAuthentication(STEP_UP)] },
      async () => OK,
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      close: () => app.close(),
    };
  },
  async Hono(auth) {
    const app = new Hono<honoAuth.TokenwardenEnv>();
    const verifier = createVerifier(auth);
    app.use(honoAuth.protectedResourceMetadata(verifier));
    const checkJwt = honoAuth.jwtAuth(verifier);
    app.get('/mcp', checkJwt, (c) => c.json(OK));
    app.get('/mcp/scoped', checkJwt, honoAuth.requireScope('tools:call'), (c) => c.json(OK));
    app.get('/mcp/step-up', checkJwt, honoAuth.requireAuthentication(STEP_UP), (c) => c.json(OK));
    return serveNode(getRequestListener(app.fetch));
  },
  async Koa(auth) {
    const app = new Koa();
    const router = new Router();
    const verifier = createVerifier(auth);
    app.use(koaAuth.protectedResourceMetadata(verifier));
    const checkJwt = koaAuth.jwtAuth(verifier);
    const ok = (ctx: Koa.Context) => {
      ctx.body = OK;
    };
    router.get('/mcp', checkJwt, ok);
    router.get('/mcp/scoped', checkJwt, koaAuth.requireScope('tools:call'), ok);
    router.get('/mcp/step-up', checkJwt, koaAuth.requireAuthentication(STEP_UP), ok);
    app.use(router.routes());
    return serveNode(app.callback());
  },
};

/** The challenge of both offered schemes, the erring one carrying `params` before `resource_metadata`. */
function challenge(params = ''): string {
  const rm = `resource_metadata="${METADATA_URL}"`;
  const algs = `algs="${DEFAULT_DPOP_ALGORITHMS.join(' ')}"`;
  return `Bearer ${params === '' ? '' : `${params}, `}${rm}, DPoP ${algs}, ${rm}`;
}

interface Row {
  readonly name: string;
  readonly path: string;
  readonly token?: (issuer: TestIssuer) => Promise<string>;
  readonly status: number;
  /** The expected `WWW-Authenticate`, from the response's error_description. */
  readonly challenge?: (description: string) => string;
}

const rows: readonly Row[] = [
  {
    name: 'RFC 9728 §5.1: a request without a token gets Bearer resource_metadata and no error',
    path: '/mcp',
    status: 401,
    challenge: () => challenge(),
  },
  {
    name: 'RFC 9728 §5.1: an invalid token gets invalid_token and resource_metadata',
    path: '/mcp',
    token: (issuer) => issuer.signToken({ aud: RESOURCE }, { untrustedKey: true }),
    status: 401,
    challenge: (d) => challenge(`error="invalid_token", error_description="${d}"`),
  },
  {
    name: 'RFC 8707: a token for another resource is refused (aud is the resource identifier)',
    path: '/mcp',
    token: (issuer) => issuer.signToken({ aud: 'https://api.example.test/other' }),
    status: 401,
    challenge: (d) => challenge(`error="invalid_token", error_description="${d}"`),
  },
  {
    name: 'a token whose aud is the resource identifier is accepted',
    path: '/mcp',
    token: (issuer) => issuer.signToken({ aud: RESOURCE }),
    status: 200,
  },
  {
    name: 'RFC 6750 §3.1 + RFC 9728 §5.1: a missing scope gets 403 with scope and resource_metadata',
    path: '/mcp/scoped',
    token: (issuer) => issuer.signToken({ aud: RESOURCE, scope: 'tools:read' }),
    status: 403,
    challenge: (d) =>
      `Bearer error="insufficient_scope", error_description="${d}", scope="tools:call", resource_metadata="${METADATA_URL}"`,
  },
  {
    name: 'RFC 9470 §3: a weaker acr gets 401 insufficient_user_authentication with acr_values and max_age',
    path: '/mcp/step-up',
    token: (issuer) => issuer.signToken({ aud: RESOURCE, acr: 'pwd', auth_time: NOW }),
    status: 401,
    challenge: (d) =>
      `Bearer error="insufficient_user_authentication", error_description="${d}", acr_values="mfa", max_age="300", resource_metadata="${METADATA_URL}"`,
  },
  {
    name: 'RFC 9470 §3: an authentication older than max_age gets 401 insufficient_user_authentication',
    path: '/mcp/step-up',
    token: (issuer) => issuer.signToken({ aud: RESOURCE, acr: 'mfa', auth_time: NOW - 3600 }),
    status: 401,
    challenge: (d) =>
      `Bearer error="insufficient_user_authentication", error_description="${d}", acr_values="mfa", max_age="300", resource_metadata="${METADATA_URL}"`,
  },
  {
    name: 'RFC 9470 §3: a recent authentication of the required class passes',
    path: '/mcp/step-up',
    token: (issuer) => issuer.signToken({ aud: RESOURCE, acr: 'mfa', auth_time: NOW - 60 }),
    status: 200,
  },
];

let issuer: TestIssuer;
let auth: VerifierOptions;

beforeAll(async () => {
  issuer = await createTestIssuer({ clock: () => NOW, audience: RESOURCE });
  auth = {
    issuer: issuer.issuer,
    clock: () => NOW,
    protectedResource: { resource: RESOURCE, scopesSupported: ['tools:read', 'tools:call'] },
  };
});

afterAll(async () => {
  await issuer?.close();
});

describe.each(Object.entries(apps))('RFC 9728 and RFC 9470 over HTTP: %s', (_name, listen) => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await listen(auth);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('RFC 9728 §3.1: serves the metadata document at the well-known path with the resource path', async () => {
    const response = await fetch(`${server.url}${METADATA_PATH}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(await response.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['tools:read', 'tools:call'],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: [...DEFAULT_DPOP_ALGORITHMS],
    });
  });

  it('RFC 9728 §3.1: serves nothing at the well-known path without the resource path', async () => {
    const response = await fetch(`${server.url}/.well-known/oauth-protected-resource`);
    expect(response.status).toBe(404);
  });

  it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const token = row.token === undefined ? undefined : await row.token(issuer);
    const response = await fetch(`${server.url}${row.path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as { error_description?: string };
    expect(response.status).toBe(row.status);
    const header = response.headers.get('www-authenticate');
    if (row.challenge === undefined) expect(header).toBeNull();
    else expect(header).toBe(row.challenge(body.error_description ?? ''));
  });
});

describe.each(Object.entries(apps))('RFC 9728 §5.1 behind credentialsOptional: %s', (_name, listen) => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await listen({ ...auth, credentialsOptional: true });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('lets a request without a token reach an unguarded route', async () => {
    expect((await fetch(`${server.url}/mcp`)).status).toBe(200);
  });

  it("points a guard's 401 for a request without a token to the metadata", async () => {
    const response = await fetch(`${server.url}/mcp/scoped`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${METADATA_URL}"`);
  });
});
