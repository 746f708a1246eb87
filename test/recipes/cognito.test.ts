import express from 'express';
import { type AccessTokenClaims, createVerifier, type VerifierOptions } from 'tokenwarden';
import { claimCheck, jwtAuth, requireScope } from 'tokenwarden/express';
import type { TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { expectPageToShow, type RecipeServer, serveRecipe, startKeyServer } from './fixtures.js';

/**
 * docs/recipes/cognito.md, run against tokens shaped as a Cognito user pool issues them: access tokens
 * without `aud`, verified through the `clientIds` option.
 */

const ISSUER = 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_EXAMPLE';
const API = 'https://orders.example.com';
const CLIENT_ID = '1example23456789';

let keys: TestIssuer;
let app: RecipeServer;

function inGroup(group: string) {
  return (claims: AccessTokenClaims): boolean => {
    const groups = claims['cognito:groups'];
    return Array.isArray(groups) && groups.includes(group);
  };
}

/** The page's options, with the key set served on 127.0.0.1 instead of the pool's jwks.json. */
function pageOptions(extra: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    issuer: ISSUER,
    clientIds: [CLIENT_ID],
    algorithms: ['RS256'],
    jwksUri: keys.jwksUri,
    clock: fixedClock,
    ...extra,
  };
}

/** A Cognito access token: no `typ` header, no `aud`, `client_id`, `token_use: access`, `cognito:groups`. */
function accessToken(claims: Record<string, unknown> = {}): Promise<string> {
  return keys.signToken(
    {
      sub: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
      'cognito:groups': ['order-admins'],
      iss: ISSUER,
      aud: undefined,
      version: 2,
      client_id: CLIENT_ID,
      origin_jti: 'b2c3d4e5-6789-01bc-def0-EXAMPLE22222',
      token_use: 'access',
      scope: 'openid profile orders/read',
      auth_time: NOW - 10,
      jti: 'c3d4e5f6-7890-12cd-ef01-EXAMPLE33333',
      username: 'jane',
      ...claims,
    },
    { typ: null },
  );
}

/** A Cognito ID token: `aud` is the app client id, `token_use: id`, no `client_id`. */
function idToken(): Promise<string> {
  return keys.signToken(
    {
      sub: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111',
      'cognito:groups': ['order-admins'],
      iss: ISSUER,
      aud: CLIENT_ID,
      client_id: undefined,
      token_use: 'id',
      auth_time: NOW - 10,
      'cognito:username': 'jane',
      email: 'jane@example.com',
      email_verified: true,
      origin_jti: 'b2c3d4e5-6789-01bc-def0-EXAMPLE22222',
    },
    { typ: null },
  );
}

beforeAll(async () => {
  keys = await startKeyServer();
  const checkJwt = jwtAuth(pageOptions());
  const api = express();
  api.get('/api/orders', checkJwt, requireScope('orders/read'), (req, res) => {
    res.json({ user: req.auth?.claims.username });
  });
  api.delete('/api/orders/:id', checkJwt, claimCheck(inGroup('order-admins')), (_req, res) => {
    res.status(204).end();
  });
  app = await serveRecipe(api);
});

afterAll(async () => {
  await app?.close();
  await keys?.close();
});

describe('Amazon Cognito recipe (docs/recipes/cognito.md)', () => {
  it('prints the configuration this test runs', () => {
    expectPageToShow('cognito', [
      `issuer: '${ISSUER}'`,
      `clientIds: ['${CLIENT_ID}']`,
      "algorithms: ['RS256']",
      "requireScope('orders/read')",
      "claimCheck(inGroup('order-admins'))",
    ]);
  });

  describe('access tokens, which have no aud', () => {
    it('verifies one from a listed app client and reads its scope', async () => {
      const result = await createVerifier(pageOptions()).verify(await accessToken());
      expect(result.claims.client_id).toBe(CLIENT_ID);
      expect(result.scopes).toEqual(['openid', 'profile', 'orders/read']);
    });

    it('serves the page’s routes: the scope guard, then the cognito:groups guard', async () => {
      const token = await accessToken();
      expect((await app.request('/api/orders', token)).body).toEqual({ user: 'jane' });
      expect((await app.request('/api/orders/7', token, 'DELETE')).status).toBe(204);
      const noScope = await accessToken({ scope: 'openid profile' });
      expect((await app.request('/api/orders', noScope)).status).toBe(403);
      const notAdmin = await accessToken({ 'cognito:groups': ['readers'] });
      expect((await app.request('/api/orders/7', notAdmin, 'DELETE')).status).toBe(401);
    });

    it('refuses another app client with audience_invalid naming client_id', async () => {
      const error = await expectRejection(
        createVerifier(pageOptions()).verify(await accessToken({ client_id: 'other-client' })),
        'audience_invalid',
        /not issued to a client this API accepts/,
      );
      expect(error.detail).toMatchObject({
        claim: 'client_id',
        expected: [CLIENT_ID],
        actual: 'other-client',
      });
      const answer = await app.request('/api/orders', await accessToken({ client_id: 'other-client' }));
      expect(answer.status).toBe(401);
    });

    it('refuses a token without aud that does not say token_use: access', async () => {
      await expectRejection(
        createVerifier(pageOptions()).verify(await accessToken({ token_use: undefined })),
        'audience_invalid',
      );
    });

    it('refuses an access token given an aud while the page sets no audience, and takes it with one', async () => {
      const withAud = await accessToken({ aud: API });
      await expectRejection(createVerifier(pageOptions()).verify(withAud), 'audience_invalid');
      await expect(createVerifier(pageOptions({ audience: API })).verify(withAud)).resolves.toMatchObject({
        claims: { aud: API },
      });
    });
  });

  describe('ID tokens', () => {
    it('type_invalid by token_use, with the ID token hint', async () => {
      const error = await expectRejection(
        createVerifier(pageOptions()).verify(await idToken()),
        'type_invalid',
        /not an access token/,
      );
      expect(error.detail).toMatchObject({ claim: 'token_use', actual: 'id' });
      expect(error.detail?.hint).toMatch(/ID token was sent/);
    });
  });

  describe('common mistakes', () => {
    it('audience set to the app client id without clientIds: audience_invalid on every access token', async () => {
      const verifier = createVerifier({ ...pageOptions(), clientIds: undefined, audience: CLIENT_ID });
      const error = await expectRejection(
        verifier.verify(await accessToken()),
        'audience_invalid',
        /no valid audience/,
      );
      expect(error.detail?.actual).toBe('absent');
    });

    it('the issuer with a trailing slash: issuer_invalid', async () => {
      const verifier = createVerifier(pageOptions({ issuer: `${ISSUER}/` }));
      await expectRejection(verifier.verify(await accessToken()), 'issuer_invalid');
    });

    it("typ: 'at+jwt' refuses a token without a typ header (type_invalid)", async () => {
      const verifier = createVerifier(pageOptions({ typ: 'at+jwt' }));
      await expectRejection(verifier.verify(await accessToken()), 'type_invalid');
    });
  });
});
