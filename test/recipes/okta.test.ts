import express from 'express';
import { CompactEncrypt } from 'jose';
import { type AccessTokenClaims, createVerifier, type VerifierOptions } from 'tokenwarden';
import { claimCheck, jwtAuth, requireScope } from 'tokenwarden/express';
import type { TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { expectPageToShow, type RecipeServer, serveRecipe, startKeyServer } from './fixtures.js';

/** docs/recipes/okta.md, run against tokens shaped as an Okta custom authorization server issues them. */

const DOMAIN = 'https://example.okta.com';
const ISSUER = `${DOMAIN}/oauth2/default`;
const AUDIENCE = 'api://default';
const CLIENT_ID = '0oa1b2c3d4e5f6g7h8i9';
const CLIENTS = new Set([CLIENT_ID, '0oa9h8g7f6e5d4c3b2a1']);

let keys: TestIssuer;
let app: RecipeServer;

function inGroup(group: string) {
  return (claims: AccessTokenClaims): boolean =>
    typeof claims.uid === 'string' && Array.isArray(claims.groups) && claims.groups.includes(group);
}

/** The page's options, with the key set served on 127.0.0.1 instead of discovered from Okta. */
function pageOptions(extra: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    requiredClaims: ['cid'],
    validateClaims: (claims) => typeof claims.cid === 'string' && CLIENTS.has(claims.cid),
    jwksUri: keys.jwksUri,
    clock: fixedClock,
    ...extra,
  };
}

/** An Okta user access token: no `typ` header, `scp` array, `cid` and `uid`, no `client_id`. */
function oktaToken(claims: Record<string, unknown> = {}): Promise<string> {
  return keys.signToken(
    {
      ver: 1,
      jti: 'AT.hMiJ0H3mU8dO6C1tUeD2ltZ4dZ5p8Yz0oQ1xW7rV3cs',
      iss: ISSUER,
      aud: AUDIENCE,
      cid: CLIENT_ID,
      client_id: undefined,
      uid: '00u1a2b3c4d5e6f7g8h9',
      scp: ['openid', 'email', 'orders:read'],
      auth_time: NOW - 10,
      sub: 'jane@example.com',
      groups: ['Everyone', 'order-admins'],
      ...claims,
    },
    { typ: null },
  );
}

/** A client-credentials token: `sub` is the client id, no `uid`, only custom scopes. */
function clientCredentialsToken(scp: readonly string[]): Promise<string> {
  return oktaToken({ sub: CLIENT_ID, uid: undefined, auth_time: undefined, groups: undefined, scp });
}

beforeAll(async () => {
  keys = await startKeyServer();
  const checkJwt = jwtAuth(pageOptions());
  const api = express();
  api.get('/api/orders', checkJwt, requireScope('orders:read'), (req, res) => {
    res.json({ user: req.auth?.claims.sub });
  });
  api.delete(
    '/api/orders/:id',
    checkJwt,
    requireScope('orders:write'),
    claimCheck(inGroup('order-admins')),
    (_req, res) => {
      res.status(204).end();
    },
  );
  app = await serveRecipe(api);
});

afterAll(async () => {
  await app?.close();
  await keys?.close();
});

describe('Okta recipe (docs/recipes/okta.md)', () => {
  it('prints the configuration this test runs', () => {
    expectPageToShow('okta', [
      `issuer: '${ISSUER}'`,
      `audience: '${AUDIENCE}'`,
      "algorithms: ['RS256']",
      "requiredClaims: ['cid']",
      "validateClaims: (claims) => typeof claims.cid === 'string' && CLIENTS.has(claims.cid)",
      "const CLIENTS = new Set(['0oa1b2c3d4e5f6g7h8i9', '0oa9h8g7f6e5d4c3b2a1'])",
      "requireScope('orders:read')",
      "requireScope('orders:write'), claimCheck(inGroup('order-admins'))",
    ]);
  });

  describe('token shapes and guards', () => {
    it('accepts a user token without a typ header, reading its scp array as scopes', async () => {
      const verifier = createVerifier(pageOptions());
      const result = await verifier.verify(await oktaToken());
      expect(result.header.typ).toBeUndefined();
      expect(result.scopes).toEqual(['openid', 'email', 'orders:read']);
      const answer = await app.request('/api/orders', await oktaToken());
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ user: 'jane@example.com' });
    });

    it('requireScope on scp: 403 insufficient_scope when the array lacks the scope', async () => {
      const answer = await app.request('/api/orders', await oktaToken({ scp: ['openid', 'email'] }));
      expect(answer.status).toBe(403);
      expect(answer.wwwAuthenticate).toContain('scope="orders:read"');
    });

    it('accepts a client-credentials token on a scope route', async () => {
      expect((await app.request('/api/orders', await clientCredentialsToken(['orders:read']))).status).toBe(
        200,
      );
    });

    it('the group guard needs a user token (uid) in the group; 401 claim_invalid otherwise', async () => {
      const admin = await oktaToken({ scp: ['orders:write'] });
      expect((await app.request('/api/orders/7', admin, 'DELETE')).status).toBe(204);
      const notInGroup = await oktaToken({ scp: ['orders:write'], groups: ['Everyone'] });
      expect((await app.request('/api/orders/7', notInGroup, 'DELETE')).status).toBe(401);
      const machine = await clientCredentialsToken(['orders:write']);
      const answer = await app.request('/api/orders/7', machine, 'DELETE');
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_token' });
    });

    it('the scope guard runs before the group guard: 403 for a group member without orders:write', async () => {
      expect((await app.request('/api/orders/7', await oktaToken(), 'DELETE')).status).toBe(403);
    });

    it('pins the calling applications: a token without cid or from another cid is claim_invalid', async () => {
      const verifier = createVerifier(pageOptions());
      const noCid = await expectRejection(
        verifier.verify(await oktaToken({ cid: undefined })),
        'claim_invalid',
      );
      expect(noCid.detail).toMatchObject({ claim: 'cid', actual: 'absent' });
      await expectRejection(
        verifier.verify(await oktaToken({ cid: '0oaUNKNOWNCLIENT000' })),
        'claim_invalid',
      );
    });
  });

  describe('common mistakes', () => {
    it('a token from the org authorization server (iss and aud are the Okta domain): issuer_invalid', async () => {
      const orgToken = await oktaToken({ iss: DOMAIN, aud: DOMAIN, scp: ['openid', 'okta.users.read.self'] });
      const error = await expectRejection(createVerifier(pageOptions()).verify(orgToken), 'issuer_invalid');
      expect(error.detail).toMatchObject({ expected: [ISSUER], actual: DOMAIN });
    });

    it('the issuer with a trailing slash: issuer_invalid, with the slash hint', async () => {
      const verifier = createVerifier(pageOptions({ issuer: `${ISSUER}/` }));
      const error = await expectRejection(verifier.verify(await oktaToken()), 'issuer_invalid');
      expect(error.detail?.hint).toMatch(/trailing slash/);
    });

    it('an ID token (aud is the client id): audience_invalid', async () => {
      const idToken = await oktaToken({ aud: CLIENT_ID, nonce: 'n-0S6_WzA2Mj', amr: ['pwd'], idp: '00o1' });
      await expectRejection(createVerifier(pageOptions()).verify(idToken), 'audience_invalid');
    });

    it("typ: 'at+jwt' refuses every Okta access token (type_invalid)", async () => {
      const verifier = createVerifier(pageOptions({ typ: 'at+jwt' }));
      await expectRejection(verifier.verify(await oktaToken()), 'type_invalid');
    });

    it('an encrypted access token (JWE): token_malformed', async () => {
      const jwe = await new CompactEncrypt(new TextEncoder().encode('{"sub":"jane@example.com"}'))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .encrypt(crypto.getRandomValues(new Uint8Array(32)));
      const answer = await app.request('/api/orders', jwe);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error_description: 'Encrypted tokens (JWE) are not accepted' });
    });
  });
});
