import express from 'express';
import { CompactEncrypt } from 'jose';
import { type AccessTokenClaims, createVerifier, type VerifierOptions } from 'tokenwarden';
import { claimCheck, jwtAuth, requirePermission, requireScope } from 'tokenwarden/express';
import type { SignTokenOptions, TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { expectPageToShow, type RecipeServer, serveRecipe, startKeyServer } from './fixtures.js';

/** docs/recipes/auth0.md, run against tokens shaped as Auth0 issues them. */

const ISSUER = 'https://example-tenant.us.auth0.com/';
const AUDIENCE = 'https://api.example.com';
const USERINFO = `${ISSUER}userinfo`;
const CLIENT_ID = 'kbyuFDidLLm280LIwVFiazOqjO3ty8KH';
const ROLES = 'https://example.com/roles';

let keys: TestIssuer;
let app: RecipeServer;

/** The page's options, with the key set served on 127.0.0.1 instead of discovered from the tenant. */
function pageOptions(extra: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['RS256'],
    jwksUri: keys.jwksUri,
    clock: fixedClock,
    ...extra,
  };
}

/** An access token of Auth0's RFC 9068 profile: `typ: at+jwt`, `client_id`, `jti`, `aud` with `/userinfo`. */
function rfc9068Token(claims: Record<string, unknown> = {}, options: SignTokenOptions = {}): Promise<string> {
  return keys.signToken(
    {
      iss: ISSUER,
      sub: 'auth0|64f1c2e8a1b2c3d4e5f60718',
      aud: [AUDIENCE, USERINFO],
      client_id: CLIENT_ID,
      scope: 'openid profile read:messages',
      ...claims,
    },
    { typ: 'at+jwt', ...options },
  );
}

/** An access token of Auth0's default profile: `typ: JWT`, `azp` instead of `client_id`, no `jti`. */
function auth0ProfileToken(claims: Record<string, unknown> = {}): Promise<string> {
  return keys.signToken(
    {
      iss: ISSUER,
      sub: 'auth0|64f1c2e8a1b2c3d4e5f60718',
      aud: [AUDIENCE, USERINFO],
      azp: CLIENT_ID,
      client_id: undefined,
      jti: undefined,
      scope: 'openid profile read:messages',
      ...claims,
    },
    { typ: 'JWT' },
  );
}

function hasRole(role: string) {
  return (claims: AccessTokenClaims): boolean => {
    const roles = claims[ROLES];
    return Array.isArray(roles) && roles.includes(role);
  };
}

beforeAll(async () => {
  keys = await startKeyServer();
  const checkJwt = jwtAuth(pageOptions());
  const api = express();
  api.get('/api/messages', checkJwt, requireScope('read:messages'), (req, res) => {
    res.json({ sub: req.auth?.claims.sub });
  });
  api.delete('/api/messages/:id', checkJwt, requirePermission('delete:messages'), (_req, res) => {
    res.status(204).end();
  });
  api.get('/api/admin', checkJwt, claimCheck(hasRole('admin')), (_req, res) => {
    res.json({ admin: true });
  });
  app = await serveRecipe(api);
});

afterAll(async () => {
  await app?.close();
  await keys?.close();
});

describe('Auth0 recipe (docs/recipes/auth0.md)', () => {
  it('prints the configuration this test runs', () => {
    expectPageToShow('auth0', [
      `issuer: '${ISSUER}'`,
      `audience: '${AUDIENCE}'`,
      "algorithms: ['RS256']",
      "typ: 'at+jwt'",
      "requireScope('read:messages')",
      "requirePermission('delete:messages')",
      "claimCheck(hasRole('admin'))",
      `const ROLES = '${ROLES}'`,
      "requireScope('api1:read:status')",
      "requireScope('api2:read:orders')",
    ]);
  });

  describe('token shapes', () => {
    it('accepts an RFC 9068 profile token whose aud lists the API and /userinfo', async () => {
      const answer = await app.request('/api/messages', await rfc9068Token());
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ sub: 'auth0|64f1c2e8a1b2c3d4e5f60718' });
    });

    it('accepts an Auth0 profile token (typ JWT, azp, no jti) while typ is not checked', async () => {
      expect((await app.request('/api/messages', await auth0ProfileToken())).status).toBe(200);
    });

    it('accepts an aud that is the identifier alone, as a token requested without openid has', async () => {
      expect((await app.request('/api/messages', await rfc9068Token({ aud: AUDIENCE }))).status).toBe(200);
    });

    it("with typ: 'at+jwt', accepts the RFC 9068 profile and refuses the Auth0 profile (type_invalid)", async () => {
      const verifier = createVerifier(pageOptions({ typ: 'at+jwt' }));
      await expect(verifier.verify(await rfc9068Token())).resolves.toMatchObject({
        header: { typ: 'at+jwt' },
      });
      const error = await expectRejection(verifier.verify(await auth0ProfileToken()), 'type_invalid');
      expect(error.detail?.hint).toMatch(/typ JWT/);
    });
  });

  describe('guards', () => {
    it('requireScope reads the scope string: 403 insufficient_scope naming the scope when it is missing', async () => {
      const answer = await app.request('/api/messages', await rfc9068Token({ scope: 'openid profile' }));
      expect(answer.status).toBe(403);
      expect(answer.wwwAuthenticate).toContain('error="insufficient_scope"');
      expect(answer.wwwAuthenticate).toContain('scope="read:messages"');
    });

    it('requirePermission reads the RBAC permissions array', async () => {
      const allowed = await rfc9068Token({ permissions: ['read:messages', 'delete:messages'] });
      expect((await app.request('/api/messages/1', allowed, 'DELETE')).status).toBe(204);
      const without = await rfc9068Token({ permissions: ['read:messages'] });
      expect((await app.request('/api/messages/1', without, 'DELETE')).status).toBe(403);
    });

    it('a permission found only in scope does not satisfy requirePermission (no permissions claim)', async () => {
      const token = await rfc9068Token({ scope: 'openid delete:messages' });
      const answer = await app.request('/api/messages/1', token, 'DELETE');
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: 'insufficient_scope' });
    });

    it('claimCheck reads the namespaced roles claim; a user without the role gets 401 claim_invalid', async () => {
      expect((await app.request('/api/admin', await rfc9068Token({ [ROLES]: ['admin'] }))).status).toBe(200);
      const answer = await app.request('/api/admin', await rfc9068Token({ [ROLES]: ['reader'] }));
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({
        error: 'invalid_token',
        error_description: 'The token failed a claims check',
      });
    });

    it('validateClaims holds the whole API to one Auth0 Organization (claim_invalid otherwise)', async () => {
      const verifier = createVerifier(
        pageOptions({ validateClaims: (claims) => claims.org_id === 'org_W7aRNYqJ2xpNZ3vB' }),
      );
      await expect(
        verifier.verify(await rfc9068Token({ org_id: 'org_W7aRNYqJ2xpNZ3vB' })),
      ).resolves.toBeDefined();
      await expectRejection(verifier.verify(await rfc9068Token({ org_id: 'org_other' })), 'claim_invalid');
      await expectRejection(verifier.verify(await rfc9068Token()), 'claim_invalid');
    });
  });

  describe('one token for several services: a logical API with namespaced scopes', () => {
    let status: RecipeServer;
    let orders: RecipeServer;

    beforeAll(async () => {
      const statusService = express();
      statusService.get('/status', jwtAuth(pageOptions()), requireScope('api1:read:status'), (_req, res) => {
        res.json({ status: 'ok' });
      });
      status = await serveRecipe(statusService);
      const ordersService = express();
      ordersService.get('/orders', jwtAuth(pageOptions()), requireScope('api2:read:orders'), (_req, res) => {
        res.json({ orders: [] });
      });
      orders = await serveRecipe(ordersService);
    });

    afterAll(async () => {
      await status?.close();
      await orders?.close();
    });

    it('one token with both services’ scopes is accepted by both', async () => {
      const token = await rfc9068Token({ aud: AUDIENCE, scope: 'api1:read:status api2:read:orders' });
      expect((await status.request('/status', token)).status).toBe(200);
      expect((await orders.request('/orders', token)).status).toBe(200);
    });

    it('a token with only the status scope is refused by the orders service with 403', async () => {
      const token = await rfc9068Token({ aud: AUDIENCE, scope: 'api1:read:status' });
      expect((await status.request('/status', token)).status).toBe(200);
      const answer = await orders.request('/orders', token);
      expect(answer.status).toBe(403);
      expect(answer.wwwAuthenticate).toContain('scope="api2:read:orders"');
    });
  });

  describe('common mistakes', () => {
    it('an issuer without the trailing slash: issuer_invalid, with the slash hint', async () => {
      const verifier = createVerifier(pageOptions({ issuer: 'https://example-tenant.us.auth0.com' }));
      const error = await expectRejection(verifier.verify(await rfc9068Token()), 'issuer_invalid');
      expect(error.detail?.hint).toMatch(/trailing slash/);
    });

    it('a bare host name as issuer is a TypeError at start-up, suggesting the URL with the slash', () => {
      expect(() => createVerifier(pageOptions({ issuer: 'example-tenant.us.auth0.com' }))).toThrow(
        /did you mean https:\/\/example-tenant\.us\.auth0\.com\/\?/,
      );
    });

    it('a token requested without audience, encrypted (JWE): token_malformed', async () => {
      const jwe = await new CompactEncrypt(
        new TextEncoder().encode('{"sub":"auth0|64f1c2e8a1b2c3d4e5f60718"}'),
      )
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', iss: ISSUER })
        .encrypt(crypto.getRandomValues(new Uint8Array(32)));
      expect(jwe.split('.')).toHaveLength(5);
      const answer = await app.request('/api/messages', jwe);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({
        error: 'invalid_token',
        error_description: 'Encrypted tokens (JWE) are not accepted',
      });
    });

    it('a token requested without audience, opaque: token_malformed', async () => {
      const answer = await app.request('/api/messages', 'Vq2Xr8ZkW3oYjJpN5tB7cL1eF9aH4sUd');
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({
        error: 'invalid_token',
        error_description: 'The token is not a compact JWS',
      });
    });

    it('an ID token (aud is the client id, typ JWT): audience_invalid, or type_invalid with typ at+jwt', async () => {
      const idToken = await keys.signToken(
        {
          iss: ISSUER,
          sub: 'auth0|64f1c2e8a1b2c3d4e5f60718',
          aud: CLIENT_ID,
          client_id: undefined,
          jti: undefined,
          nonce: 'n-0S6_WzA2Mj',
          sid: 'x5bc3Q9m',
          name: 'Jane Doe',
        },
        { typ: 'JWT' },
      );
      await expectRejection(createVerifier(pageOptions()).verify(idToken), 'audience_invalid');
      // RFC 9068 §4: the typ check comes before the claim rules, so it names the ID token as such.
      await expectRejection(createVerifier(pageOptions({ typ: 'at+jwt' })).verify(idToken), 'type_invalid');
    });

    it('a token for another API of the tenant: audience_invalid', async () => {
      const token = await rfc9068Token({ aud: ['https://billing.example.com', USERINFO] });
      const answer = await app.request('/api/messages', token);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error_description: 'The token is not meant for this API' });
    });
  });
});
