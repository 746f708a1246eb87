import { createAuthleteIntrospector, type VerifierOptions } from 'tokenwarden';
import { createDpopProof, generateDpopKey } from 'tokenwarden/testing';
import { describe, expect, it } from 'vitest';
import { createAuthleteServer } from '../introspection/authlete-server.js';
import { activeAnswer, closeAfterTest, NOW, setUpIntrospection } from '../introspection/fixtures.js';
import { frameworks, type RunningServer } from './frameworks.js';

const AUDIENCE = 'https://api.example.test';
const HOST = '127.0.0.1';

/** A token the test authorization server knows, with `answer` over an active answer for this API. */
async function introspectedApp(
  framework: (typeof frameworks)[number],
  tokens: Record<string, Record<string, unknown>>,
  extras = false,
) {
  const setup = await setUpIntrospection();
  for (const [token, answer] of Object.entries(tokens)) {
    setup.server.answers.set(token, activeAnswer(setup.server, { aud: AUDIENCE, ...answer }));
  }
  const auth: VerifierOptions = {
    issuer: setup.server.issuer,
    audience: AUDIENCE,
    keySet: { keys: [] },
    clock: setup.clock.now,
    introspection: setup.introspector,
  };
  const app: RunningServer = extras
    ? await framework.listenExtras(auth)
    : await framework.listen(auth, 0, HOST);
  closeAfterTest(app);
  return { ...setup, app };
}

function get(url: string, headers: Record<string, string>) {
  return fetch(url, { headers });
}

describe.each(frameworks)('RFC 7662 opaque tokens through the $name adapter', (framework) => {
  it('accepts an active opaque token (RFC 6750 §2.1)', async () => {
    const { app } = await introspectedApp(framework, { 'opaque-1': { scope: 'read:messages' } });
    const response = await get(`${app.url}/api/private-scoped`, { authorization: 'Bearer opaque-1' });
    expect(response.status).toBe(200);
  });

  it('refuses a token the server says is not active with 401 invalid_token (RFC 7662 §2.2)', async () => {
    const { app } = await introspectedApp(framework, {});
    const response = await get(`${app.url}/api/private`, { authorization: 'Bearer revoked-token' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('runs the scope guard on introspected scopes (RFC 6750 §3.1 insufficient_scope)', async () => {
    const { app } = await introspectedApp(framework, { 'opaque-1': { scope: 'profile' } });
    const response = await get(`${app.url}/api/private-scoped`, { authorization: 'Bearer opaque-1' });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });

  it('runs the claim guard on introspected claims (a failed check is invalid_token)', async () => {
    const { app } = await introspectedApp(
      framework,
      { 'admin-token': { sub: 'admin' }, 'user-token': { sub: 'user-1' } },
      true,
    );
    const admin = await get(`${app.url}/api/claim-check`, { authorization: 'Bearer admin-token' });
    const user = await get(`${app.url}/api/claim-check`, { authorization: 'Bearer user-token' });
    expect([admin.status, user.status]).toEqual([200, 401]);
    expect(user.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('answers 503 with no challenge when the authorization server fails', async () => {
    const { app, server } = await introspectedApp(framework, { 'opaque-1': {} });
    server.fault = 'status-500';
    const response = await get(`${app.url}/api/private`, { authorization: 'Bearer opaque-1' });
    expect(response.status).toBe(503);
    expect(response.headers.get('www-authenticate')).toBeNull();
  });

  describe('RFC 9449 §7: a DPoP-bound opaque token (cnf.jkt in the answer)', () => {
    async function bound() {
      const key = await generateDpopKey();
      const setup = await introspectedApp(framework, {
        'bound-1': { cnf: { jkt: key.thumbprint }, token_type: 'DPoP' },
      });
      const url = `${setup.app.url}/api/private`;
      const proof = () => createDpopProof({ key, method: 'GET', url, accessToken: 'bound-1', iat: NOW });
      return { ...setup, url, proof };
    }

    it('accepts it with a valid proof', async () => {
      const { url, proof } = await bound();
      const response = await get(url, { authorization: 'DPoP bound-1', dpop: await proof() });
      expect(response.status).toBe(200);
    });

    it('refuses it as a Bearer token (§7.2)', async () => {
      const { url } = await bound();
      const response = await get(url, { authorization: 'Bearer bound-1' });
      expect(response.status).toBe(401);
    });

    it('refuses a replayed proof (§11.1)', async () => {
      const { url, proof } = await bound();
      const headers = { authorization: 'DPoP bound-1', dpop: await proof() };
      expect((await get(url, headers)).status).toBe(200);
      const replayed = await get(url, headers);
      expect(replayed.status).toBe(401);
      expect(replayed.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);
    });
  });

  it("sends an Authlete-checked request's DPoP-Nonce with the success (RFC 9449 §8.2)", async () => {
    const server = await createAuthleteServer(NOW * 1000);
    closeAfterTest(server);
    const key = await generateDpopKey();
    server.tokens.set('authlete-1', {
      subject: 'user-1',
      scopes: ['read:messages'],
      clientId: 1234,
      expiresAt: (NOW + 3600) * 1000,
      accessTokenResources: [AUDIENCE],
      dpopJkt: key.thumbprint,
    });
    server.requiredNonce = 'server-nonce';
    const issuer = 'https://as.example.test';
    const app = await framework.listen(
      {
        issuer,
        audience: AUDIENCE,
        keySet: { keys: [] },
        clock: () => NOW,
        introspection: createAuthleteIntrospector({
          baseUrl: server.baseUrl,
          serviceId: server.serviceId,
          accessToken: server.accessToken,
          issuer,
          clock: () => NOW,
        }),
      },
      0,
      HOST,
    );
    closeAfterTest(app);
    const url = `${app.url}/api/private-scoped`;
    const proof = await createDpopProof({
      key,
      method: 'GET',
      url,
      accessToken: 'authlete-1',
      nonce: 'server-nonce',
    });
    const response = await get(url, { authorization: 'DPoP authlete-1', dpop: proof });
    expect(response.status).toBe(200);
    expect(response.headers.get('dpop-nonce')).toBe('server-nonce');
  });
});
