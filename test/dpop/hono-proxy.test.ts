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

const NOW = 1_800_000_000;
const PUBLIC_URL = 'https://public.example.com/api/private';

describe('Hono behind a trusted reverse proxy (RFC 9449 §4.3 htu)', () => {
  let issuer: TestIssuer;
  let key: DpopKey;
  let token: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'], clock: () => NOW });
    key = await generateDpopKey();
    token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
  });
  afterAll(() => issuer.close());

  function appWith(peer: string) {
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keySet: issuer.jwks(),
      clock: () => NOW,
      dpop: { trustedProxies: ['10.0.0.7'] },
    });
    const app = new Hono<TokenwardenEnv>();
    app.get('/api/private', jwtAuth(verifier, { remoteAddress: () => peer }), (c) => c.json({ ok: true }));
    return app;
  }

  async function forwardedRequest(app: Hono<TokenwardenEnv>) {
    const proof = await createDpopProof({
      key,
      method: 'GET',
      url: PUBLIC_URL,
      accessToken: token,
      iat: NOW,
    });
    return app.request('http://10.0.0.2:3000/api/private', {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: proof,
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'public.example.com',
      },
    });
  }

  it('believes X-Forwarded-* when remoteAddress names a trusted proxy', async () => {
    expect((await forwardedRequest(appWith('10.0.0.7'))).status).toBe(200);
  });

  it('ignores X-Forwarded-* from any other peer', async () => {
    const response = await forwardedRequest(appWith('203.0.113.5'));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
  });
});
