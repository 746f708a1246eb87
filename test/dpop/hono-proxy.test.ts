import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { createVerifier } from 'tokenwarden';
import { jwtAuth, type TokenwardenEnv } from 'tokenwarden/hono';
import {
  createDpopProof,
  createTestIssuer,
  type DpopKey,
  generateDpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';

const PUBLIC_URL = 'https://public.example.com/api/private';

describe('Hono behind a trusted reverse proxy (RFC 9449 §4.3 htu)', () => {
  let issuer: TestIssuer;
  let key: DpopKey;
  let token: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
    key = await generateDpopKey();
    token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
  });
  afterAll(() => issuer.close());

  function appWith(trustedProxy: string, peer?: string) {
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keySet: issuer.jwks(),
      clock: fixedClock,
      dpop: { trustedProxies: [trustedProxy] },
    });
    const app = new Hono<TokenwardenEnv>();
    const options = peer === undefined ? {} : { remoteAddress: () => peer };
    app.get('/api/private', jwtAuth(verifier, options), (c) => c.json({ ok: true }));
    return app;
  }

  async function forwardedHeaders() {
    const proof = await createDpopProof({
      key,
      method: 'GET',
      url: PUBLIC_URL,
      accessToken: token,
      iat: NOW,
    });
    return {
      authorization: `DPoP ${token}`,
      dpop: proof,
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.example.com',
    };
  }

  async function forwardedRequest(app: Hono<TokenwardenEnv>) {
    return app.request('http://10.0.0.2:3000/api/private', { headers: await forwardedHeaders() });
  }

  /** The app on @hono/node-server over real HTTP, so the peer is the socket's own address. */
  async function forwardedOverHttp(app: Hono<TokenwardenEnv>) {
    const server: Server = createServer(getRequestListener(app.fetch));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      return await fetch(`http://127.0.0.1:${port}/api/private`, { headers: await forwardedHeaders() });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('believes X-Forwarded-* when remoteAddress names a trusted proxy', async () => {
    expect((await forwardedRequest(appWith('10.0.0.7', '10.0.0.7'))).status).toBe(200);
  });

  it('ignores X-Forwarded-* from any other peer', async () => {
    const response = await forwardedRequest(appWith('10.0.0.7', '203.0.113.5'));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
  });

  it('on @hono/node-server, takes the peer from the socket when remoteAddress is not given', async () => {
    expect((await forwardedOverHttp(appWith('127.0.0.1'))).status).toBe(200);
  });

  it('on @hono/node-server, ignores X-Forwarded-* from a socket peer that is not a trusted proxy', async () => {
    const response = await forwardedOverHttp(appWith('10.0.0.7'));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
  });
});
