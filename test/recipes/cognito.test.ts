import express from 'express';
import { type AccessTokenClaims, createVerifier, type VerifierOptions } from 'tokenwarden';
import { claimCheck, jwtAuth, requireScope } from 'tokenwarden/express';
import type { TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { expectPageToShow, type RecipeServer, serveRecipe, startKeyServer } from './fixtures.js';

/**
 * docs/recipes/cognito.md, run against tokens shaped as a Cognito user pool issues them. The page says
 * that Cognito's access tokens are refused today; these tests hold it to what it says they get.
 */

const ISSUER = 'https://cognito-idp.us-west-2.amazonaws.com/us-west-2_EXAMPLE';
const API = 'https://orders.example.com';
const CLIENT_ID = '1example23456789';
const CLIENTS = new Set([CLIENT_ID]);

let keys: TestIssuer;
let app: RecipeServer;
/** How many times the page's validateClaims rule ran, to show which refusals come before it. */
let ruleRuns = 0;

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
    audience: API,
    algorithms: ['RS256'],
    requiredClaims: ['client_id'],
    validateClaims: (claims) => {
      ruleRuns += 1;
      return (
        claims.token_use === 'access' && typeof claims.client_id === 'string' && CLIENTS.has(claims.client_id)
      );
    },
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
      `audience: '${API}'`,
      "algorithms: ['RS256']",
      "requiredClaims: ['client_id']",
      "claims.token_use === 'access' && typeof claims.client_id === 'string' && CLIENTS.has(claims.client_id)",
      `const CLIENTS = new Set(['${CLIENT_ID}'])`,
      "requireScope('orders/read')",
      "claimCheck(inGroup('order-admins'))",
    ]);
  });

  describe('what does not work today: access tokens without aud', () => {
    it('refuses a Cognito access token with audience_invalid, before the client_id rule runs', async () => {
      const runs = ruleRuns;
      const error = await expectRejection(
        createVerifier(pageOptions()).verify(await accessToken()),
        'audience_invalid',
        /no valid audience/,
      );
      expect(error.detail?.actual).toBe('absent');
      expect(ruleRuns).toBe(runs);
    });

    it('answers the page’s route with 401 invalid_token', async () => {
      const answer = await app.request('/api/orders', await accessToken());
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({
        error: 'invalid_token',
        error_description: 'The token has no valid audience',
      });
    });

    it('refuses it the same way with the app client id as audience', async () => {
      const verifier = createVerifier(pageOptions({ audience: CLIENT_ID }));
      await expectRejection(verifier.verify(await accessToken()), 'audience_invalid', /no valid audience/);
    });

    it('offers no way to leave the audience out: an empty one is a TypeError at start-up', () => {
      expect(() => createVerifier(pageOptions({ audience: undefined }))).toThrow(
        /audience option is required/,
      );
      expect(() => createVerifier(pageOptions({ audience: [] }))).toThrow(TypeError);
      expect(() => createVerifier(pageOptions({ audience: '' }))).toThrow(TypeError);
    });
  });

  describe('ID tokens', () => {
    it('with the app client id as audience: type_invalid by token_use, with the ID token hint', async () => {
      const verifier = createVerifier(pageOptions({ audience: CLIENT_ID }));
      const error = await expectRejection(
        verifier.verify(await idToken()),
        'type_invalid',
        /not an access token/,
      );
      expect(error.detail).toMatchObject({ claim: 'token_use', actual: 'id' });
      expect(error.detail?.hint).toMatch(/ID token was sent/);
    });

    it('with the page’s audience: audience_invalid', async () => {
      await expectRejection(createVerifier(pageOptions()).verify(await idToken()), 'audience_invalid');
    });
  });

  describe('what would work: access tokens given an aud naming the API', () => {
    it('verifies them, reading scope and running the client_id rule', async () => {
      const runs = ruleRuns;
      const result = await createVerifier(pageOptions()).verify(await accessToken({ aud: API }));
      expect(result.scopes).toEqual(['openid', 'profile', 'orders/read']);
      expect(ruleRuns).toBe(runs + 1);
    });

    it('serves the page’s routes: the scope guard, then the cognito:groups guard', async () => {
      const token = await accessToken({ aud: API });
      expect((await app.request('/api/orders', token)).body).toEqual({ user: 'jane' });
      expect((await app.request('/api/orders/7', token, 'DELETE')).status).toBe(204);
      const noScope = await accessToken({ aud: API, scope: 'openid profile' });
      expect((await app.request('/api/orders', noScope)).status).toBe(403);
      const notAdmin = await accessToken({ aud: API, 'cognito:groups': ['readers'] });
      expect((await app.request('/api/orders/7', notAdmin, 'DELETE')).status).toBe(401);
    });

    it('still refuses another app client (claim_invalid) and a token without client_id', async () => {
      const verifier = createVerifier(pageOptions());
      await expectRejection(
        verifier.verify(await accessToken({ aud: API, client_id: 'other-client' })),
        'claim_invalid',
      );
      const error = await expectRejection(
        verifier.verify(await accessToken({ aud: API, client_id: undefined })),
        'claim_invalid',
      );
      expect(error.detail).toMatchObject({ claim: 'client_id', actual: 'absent' });
    });
  });

  describe('common mistakes', () => {
    it('the issuer with a trailing slash: issuer_invalid', async () => {
      const verifier = createVerifier(pageOptions({ issuer: `${ISSUER}/` }));
      await expectRejection(verifier.verify(await accessToken({ aud: API })), 'issuer_invalid');
    });

    it("typ: 'at+jwt' refuses a token without a typ header (type_invalid)", async () => {
      const verifier = createVerifier(pageOptions({ typ: 'at+jwt' }));
      await expectRejection(verifier.verify(await accessToken({ aud: API })), 'type_invalid');
    });
  });
});
