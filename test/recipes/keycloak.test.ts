import express from 'express';
import { type AccessTokenClaims, createVerifier, type VerifierOptions } from 'tokenwarden';
import { claimCheck, jwtAuth, requireScope } from 'tokenwarden/express';
import type { TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { signJws } from '../support/jws.js';
import { expectRejection } from '../support/rejection.js';
import { expectPageToShow, type RecipeServer, serveRecipe, startKeyServer } from './fixtures.js';

/** docs/recipes/keycloak.md, run against tokens shaped as Keycloak issues them. */

const ISSUER = 'https://keycloak.example.com/realms/acme';
const API = 'orders-api';
const CLIENTS = new Set(['orders-web', 'orders-cli']);

let keys: TestIssuer;
let app: RecipeServer;

function rolesIn(container: unknown): readonly unknown[] {
  if (typeof container !== 'object' || container === null) return [];
  const roles: unknown = (container as { roles?: unknown }).roles;
  return Array.isArray(roles) ? roles : [];
}

function hasRealmRole(role: string) {
  return (claims: AccessTokenClaims): boolean => rolesIn(claims.realm_access).includes(role);
}

function hasClientRole(client: string, role: string) {
  return (claims: AccessTokenClaims): boolean => {
    const resourceAccess: unknown = claims.resource_access;
    if (typeof resourceAccess !== 'object' || resourceAccess === null) return false;
    return rolesIn((resourceAccess as Record<string, unknown>)[client]).includes(role);
  };
}

/** The page's options, with the key set served on 127.0.0.1 instead of discovered from the realm. */
function pageOptions(extra: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    issuer: ISSUER,
    audience: API,
    algorithms: ['RS256'],
    validateClaims: (claims) =>
      claims.typ === 'Bearer' && typeof claims.azp === 'string' && CLIENTS.has(claims.azp),
    jwksUri: keys.jwksUri,
    clock: fixedClock,
    ...extra,
  };
}

/**
 * A Keycloak user access token after the Audience mapper: header `typ: JWT`, payload `typ: Bearer`,
 * `azp`, realm and client roles, a `scope` string, and no `client_id`.
 */
function keycloakToken(claims: Record<string, unknown> = {}): Promise<string> {
  return keys.signToken(
    {
      iss: ISSUER,
      aud: [API, 'account'],
      sub: 'f3b6c6a2-1d4e-4a8b-9c0d-2e5f6a7b8c9d',
      typ: 'Bearer',
      azp: 'orders-web',
      client_id: undefined,
      auth_time: NOW - 10,
      jti: 'onrtac:8d4c1f0e-2b7a-4c55-9d0e-3f1a2b3c4d5e',
      sid: '5c1b8a4e-7d2f-4e3a-9b6c-0d1e2f3a4b5c',
      acr: '1',
      'allowed-origins': ['https://orders.example.com'],
      realm_access: { roles: ['default-roles-acme', 'offline_access', 'analyst'] },
      resource_access: {
        [API]: { roles: ['order-admin'] },
        account: { roles: ['manage-account', 'view-profile'] },
      },
      scope: 'openid profile email orders:read',
      email_verified: true,
      preferred_username: 'jane',
      ...claims,
    },
    { typ: 'JWT' },
  );
}

beforeAll(async () => {
  keys = await startKeyServer();
  const checkJwt = jwtAuth(pageOptions());
  const api = express();
  api.get('/api/orders', checkJwt, requireScope('orders:read'), (req, res) => {
    res.json({ user: req.auth?.claims.preferred_username });
  });
  api.get('/api/reports', checkJwt, claimCheck(hasRealmRole('analyst')), (_req, res) => {
    res.json({ reports: [] });
  });
  api.delete('/api/orders/:id', checkJwt, claimCheck(hasClientRole(API, 'order-admin')), (_req, res) => {
    res.status(204).end();
  });
  app = await serveRecipe(api);
});

afterAll(async () => {
  await app?.close();
  await keys?.close();
});

describe('Keycloak recipe (docs/recipes/keycloak.md)', () => {
  it('prints the configuration this test runs', () => {
    expectPageToShow('keycloak', [
      `issuer: '${ISSUER}'`,
      `audience: '${API}'`,
      "algorithms: ['RS256']",
      "validateClaims: (claims) => claims.typ === 'Bearer' && typeof claims.azp === 'string' && CLIENTS.has(claims.azp)",
      "const CLIENTS = new Set(['orders-web', 'orders-cli'])",
      "requireScope('orders:read')",
      "claimCheck(hasRealmRole('analyst'))",
      "claimCheck(hasClientRole('orders-api', 'order-admin'))",
    ]);
  });

  describe('token shapes and guards', () => {
    it('accepts an access token with header typ JWT and payload typ Bearer, aud from the mapper', async () => {
      const answer = await app.request('/api/orders', await keycloakToken());
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ user: 'jane' });
    });

    it('accepts aud as a lone string, as Keycloak sends one audience', async () => {
      expect((await app.request('/api/orders', await keycloakToken({ aud: API }))).status).toBe(200);
    });

    it('requireScope reads the scope string: 403 without orders:read', async () => {
      const answer = await app.request('/api/orders', await keycloakToken({ scope: 'openid profile email' }));
      expect(answer.status).toBe(403);
      expect(answer.wwwAuthenticate).toContain('scope="orders:read"');
    });

    it('a realm role guard reads realm_access.roles: 200 with analyst, 401 claim_invalid without', async () => {
      expect((await app.request('/api/reports', await keycloakToken())).status).toBe(200);
      const without = await keycloakToken({ realm_access: { roles: ['default-roles-acme'] } });
      const answer = await app.request('/api/reports', without);
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_token' });
    });

    it('a client role guard reads resource_access.<client>.roles, and only that client’s', async () => {
      expect((await app.request('/api/orders/7', await keycloakToken(), 'DELETE')).status).toBe(204);
      const roleOfAnotherClient = await keycloakToken({
        resource_access: { 'billing-api': { roles: ['order-admin'] } },
      });
      expect((await app.request('/api/orders/7', roleOfAnotherClient, 'DELETE')).status).toBe(401);
      const noRoles = await keycloakToken({ resource_access: undefined });
      expect((await app.request('/api/orders/7', noRoles, 'DELETE')).status).toBe(401);
    });

    it('validateClaims refuses a client not listed in azp (claim_invalid)', async () => {
      const verifier = createVerifier(pageOptions());
      await expect(verifier.verify(await keycloakToken({ azp: 'orders-cli' }))).resolves.toBeDefined();
      await expectRejection(verifier.verify(await keycloakToken({ azp: 'marketing-web' })), 'claim_invalid');
    });

    it('accepts a service-account token, which carries client_id too', async () => {
      const token = await keycloakToken({
        azp: 'orders-cli',
        client_id: 'orders-cli',
        preferred_username: 'service-account-orders-cli',
        scope: 'orders:read',
      });
      expect((await app.request('/api/orders', token)).status).toBe(200);
    });
  });

  describe('common mistakes', () => {
    it('the default aud "account" (no Audience mapper): audience_invalid naming what the token had', async () => {
      const verifier = createVerifier(pageOptions());
      const error = await expectRejection(
        verifier.verify(await keycloakToken({ aud: 'account' })),
        'audience_invalid',
        /not meant for this API/,
      );
      expect(error.detail?.actual).toEqual(['account']);
    });

    it('no aud at all: audience_invalid', async () => {
      const verifier = createVerifier(pageOptions());
      const error = await expectRejection(
        verifier.verify(await keycloakToken({ aud: undefined })),
        'audience_invalid',
        /no valid audience/,
      );
      expect(error.detail?.actual).toBe('absent');
    });

    it('an issuer with a trailing slash, or the pre-17 /auth path: issuer_invalid', async () => {
      const token = await keycloakToken();
      const slash = await expectRejection(
        createVerifier(pageOptions({ issuer: `${ISSUER}/` })).verify(token),
        'issuer_invalid',
      );
      expect(slash.detail?.hint).toMatch(/trailing slash/);
      await expectRejection(
        createVerifier(pageOptions({ issuer: 'https://keycloak.example.com/auth/realms/acme' })).verify(
          token,
        ),
        'issuer_invalid',
      );
    });

    it('a token fetched through the internal host name: issuer_invalid', async () => {
      const token = await keycloakToken({ iss: 'http://keycloak:8080/realms/acme' });
      await expectRejection(createVerifier(pageOptions()).verify(token), 'issuer_invalid');
    });

    it('a plain-http issuer outside loopback is a TypeError at start-up', () => {
      expect(() => createVerifier(pageOptions({ issuer: 'http://keycloak:8080/realms/acme' }))).toThrow(
        TypeError,
      );
    });

    it('an ID token: audience_invalid; with the API added to ID tokens too, claim_invalid by its typ', async () => {
      const verifier = createVerifier(pageOptions());
      const idToken = {
        typ: 'ID',
        aud: 'orders-web',
        nonce: 'n-0S6_WzA2Mj',
        at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q',
      };
      await expectRejection(verifier.verify(await keycloakToken(idToken)), 'audience_invalid');
      await expectRejection(
        verifier.verify(await keycloakToken({ ...idToken, aud: ['orders-web', API] })),
        'claim_invalid',
      );
    });

    it('a refresh token (HS512 with the realm’s secret, typ Refresh): algorithm_not_allowed', async () => {
      const refreshToken = signJws(
        { alg: 'HS512', secret: crypto.getRandomValues(new Uint8Array(64)) },
        { alg: 'HS512', typ: 'JWT', kid: '3f1a2b3c-hmac' },
        { iss: ISSUER, aud: ISSUER, sub: 'f3b6c6a2', typ: 'Refresh', azp: 'orders-web', exp: NOW + 1800 },
      );
      await expectRejection(createVerifier(pageOptions()).verify(refreshToken), 'algorithm_not_allowed');
    });

    it("the typ option 'at+jwt' refuses every Keycloak access token (type_invalid)", async () => {
      await expectRejection(
        createVerifier(pageOptions({ typ: 'at+jwt' })).verify(await keycloakToken()),
        'type_invalid',
      );
    });
  });
});
