import { createHash } from 'node:crypto';
import express from 'express';
import { type AccessTokenClaims, createVerifier, type VerifierOptions } from 'tokenwarden';
import { claimCheck, jwtAuth, requireScope } from 'tokenwarden/express';
import type { SignTokenOptions, TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { withPart } from '../support/jws.js';
import { expectRejection } from '../support/rejection.js';
import { expectPageToShow, type RecipeServer, serveRecipe, startKeyServer } from './fixtures.js';

/** docs/recipes/entra-id.md, run against tokens shaped as Microsoft Entra ID issues them. */

const TENANT = 'aaaabbbb-0000-cccc-1111-dddd2222eeee';
const OTHER_TENANT = 'bbbbcccc-1111-dddd-2222-eeee3333ffff';
const V2_ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const V1_ISSUER = `https://sts.windows.net/${TENANT}/`;
const CLIENT_ID = '11112222-bbbb-3333-cccc-4444dddd5555';
const APP_ID_URI = `api://${CLIENT_ID}`;
const CALLER = '33334444-dddd-5555-eeee-6666ffff7777';
const GRAPH = '00000003-0000-0000-c000-000000000000';

let keys: TestIssuer;
let app: RecipeServer;

function hasAppRole(role: string) {
  return (claims: AccessTokenClaims): boolean => Array.isArray(claims.roles) && claims.roles.includes(role);
}

function hasScopeOrAppRole(scope: string, role: string) {
  return (claims: AccessTokenClaims): boolean =>
    (typeof claims.scp === 'string' && claims.scp.split(' ').includes(scope)) || hasAppRole(role)(claims);
}

/** A page's options, with the key set served on 127.0.0.1 in place of login.microsoftonline.com's. */
function localKeys(options: VerifierOptions): VerifierOptions {
  return { ...options, jwksUri: keys.jwksUri, clock: fixedClock };
}

/** The v2, one-tenant configuration of the page. */
function v2Options(extra: Partial<VerifierOptions> = {}): VerifierOptions {
  return localKeys({ issuer: V2_ISSUER, audience: CLIENT_ID, algorithms: ['RS256'], ...extra });
}

/** The v1 configuration of the page. */
function v1Options(): VerifierOptions {
  return localKeys({ issuer: V1_ISSUER, audience: [APP_ID_URI, CLIENT_ID], algorithms: ['RS256'] });
}

/** A v2 delegated token: header `typ: JWT`, `scp` as a space-delimited string, `azp`, `tid`, `ver: 2.0`. */
function v2UserToken(claims: Record<string, unknown> = {}, options: SignTokenOptions = {}): Promise<string> {
  return keys.signToken(
    {
      aud: CLIENT_ID,
      iss: V2_ISSUER,
      nbf: NOW,
      azp: CALLER,
      azpacr: '0',
      name: 'Jane Doe',
      oid: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      preferred_username: 'jane@contoso.com',
      scp: 'Orders.Read Orders.Write',
      sub: 'OL4wFUB6g7AXoDRBlsnzZAX0jwqSsNzgPKmVb7NMYeo',
      tid: TENANT,
      uti: 'AbCdEf123456',
      ver: '2.0',
      client_id: undefined,
      jti: undefined,
      ...claims,
    },
    { typ: 'JWT', ...options },
  );
}

/** A v2 application (client credentials) token: `roles`, no `scp`. */
function v2AppToken(roles: readonly string[]): Promise<string> {
  return v2UserToken({
    scp: undefined,
    name: undefined,
    preferred_username: undefined,
    roles,
    idtyp: 'app',
    sub: '55556666-ffff-7777-aaaa-8888bbbb9999',
    oid: '55556666-ffff-7777-aaaa-8888bbbb9999',
  });
}

/** A v1 token: sts.windows.net issuer with its slash, App ID URI audience, `appid`, `x5t` header. */
function v1Token(claims: Record<string, unknown> = {}): Promise<string> {
  return keys.signToken(
    {
      aud: APP_ID_URI,
      iss: V1_ISSUER,
      nbf: NOW,
      acr: '1',
      amr: ['pwd'],
      appid: CALLER,
      appidacr: '0',
      name: 'Jane Doe',
      oid: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee',
      scp: 'Orders.Read',
      sub: 'OL4wFUB6g7AXoDRBlsnzZAX0jwqSsNzgPKmVb7NMYeo',
      tid: TENANT,
      unique_name: 'jane@contoso.com',
      upn: 'jane@contoso.com',
      ver: '1.0',
      client_id: undefined,
      jti: undefined,
      ...claims,
    },
    { typ: 'JWT', header: { x5t: 'CNv0OI3RwqlHFEVnaoMAshCH2XE' } },
  );
}

beforeAll(async () => {
  keys = await startKeyServer();
  const checkJwt = jwtAuth(v2Options());
  const api = express();
  api.get('/api/me/orders', checkJwt, requireScope('Orders.Read'), (req, res) => {
    res.json({ user: req.auth?.claims.oid });
  });
  api.get('/api/orders/export', checkJwt, claimCheck(hasAppRole('Orders.Read.All')), (_req, res) => {
    res.json({ orders: [] });
  });
  api.get(
    '/api/orders',
    checkJwt,
    claimCheck(hasScopeOrAppRole('Orders.Read', 'Orders.Read.All')),
    (_req, res) => {
      res.json({ orders: [] });
    },
  );
  app = await serveRecipe(api);
});

afterAll(async () => {
  await app?.close();
  await keys?.close();
});

describe('Microsoft Entra ID recipe (docs/recipes/entra-id.md)', () => {
  it('prints the configurations this test runs', () => {
    expectPageToShow('entra-id', [
      `issuer: '${V2_ISSUER}'`,
      `audience: '${CLIENT_ID}'`,
      `issuer: '${V1_ISSUER}'`,
      `audience: ['${APP_ID_URI}', '${CLIENT_ID}']`,
      `jwksUri: 'https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys'`,
      `'https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys?appid=${CLIENT_ID}'`,
      `'https://login.microsoftonline.com/${OTHER_TENANT}/v2.0'`,
      "jwksUri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys'",
      "requireScope('Orders.Read')",
      "claimCheck(hasAppRole('Orders.Read.All'))",
      "claimCheck(hasScopeOrAppRole('Orders.Read', 'Orders.Read.All'))",
    ]);
  });

  describe('v2 tokens, one tenant', () => {
    it('accepts a delegated token, reading the space-delimited scp string as scopes', async () => {
      const result = await createVerifier(v2Options()).verify(await v2UserToken());
      expect(result.scopes).toEqual(['Orders.Read', 'Orders.Write']);
      const answer = await app.request('/api/me/orders', await v2UserToken());
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ user: '00aa00aa-bb11-cc22-dd33-44ee44ee44ee' });
    });

    it('an application token (roles, no scp) gets 403 on a requireScope route', async () => {
      const answer = await app.request('/api/me/orders', await v2AppToken(['Orders.Read.All']));
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ error: 'insufficient_scope' });
    });

    it('the app-role guard reads roles: 200 with the role, 401 claim_invalid for a user token', async () => {
      expect((await app.request('/api/orders/export', await v2AppToken(['Orders.Read.All']))).status).toBe(
        200,
      );
      const answer = await app.request('/api/orders/export', await v2UserToken());
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: 'invalid_token' });
    });

    it('the either-or guard lets a user with the scope and a daemon with the role through, no one else', async () => {
      expect((await app.request('/api/orders', await v2UserToken())).status).toBe(200);
      expect((await app.request('/api/orders', await v2AppToken(['Orders.Read.All']))).status).toBe(200);
      expect((await app.request('/api/orders', await v2UserToken({ scp: 'Orders.Write' }))).status).toBe(401);
      expect((await app.request('/api/orders', await v2AppToken(['Invoices.Read.All']))).status).toBe(401);
    });

    it('v2 with the App ID URI as audience: audience_invalid (v2 aud is the client id)', async () => {
      const verifier = createVerifier(v2Options({ audience: APP_ID_URI }));
      await expectRejection(verifier.verify(await v2UserToken()), 'audience_invalid');
    });

    it("typ: 'at+jwt' refuses every Entra ID token (type_invalid)", async () => {
      await expectRejection(
        createVerifier(v2Options({ typ: 'at+jwt' })).verify(await v2UserToken()),
        'type_invalid',
      );
    });
  });

  describe('v1 tokens', () => {
    it('the v1 configuration accepts a v1 token (x5t header, App ID URI audience)', async () => {
      const result = await createVerifier(v1Options()).verify(await v1Token());
      expect(result.header.x5t).toBe('CNv0OI3RwqlHFEVnaoMAshCH2XE');
      expect(result.claims.ver).toBe('1.0');
    });

    it('also takes the bare client id as v1 audience, as a client asking for it gets', async () => {
      await expect(
        createVerifier(v1Options()).verify(await v1Token({ aud: CLIENT_ID })),
      ).resolves.toBeDefined();
    });

    it('a v1 token on the v2 configuration: issuer_invalid', async () => {
      await expectRejection(createVerifier(v2Options()).verify(await v1Token()), 'issuer_invalid');
    });

    it('the v1 issuer without its trailing slash: issuer_invalid, with the slash hint', async () => {
      const verifier = createVerifier(localKeys({ ...v1Options(), issuer: V1_ISSUER.slice(0, -1) }));
      const error = await expectRejection(verifier.verify(await v1Token()), 'issuer_invalid');
      expect(error.detail?.hint).toMatch(/trailing slash/);
    });

    it('both issuers listed, as during a v1 to v2 migration, accept both versions', async () => {
      const verifier = createVerifier(
        localKeys({
          issuer: [V1_ISSUER, V2_ISSUER],
          audience: [APP_ID_URI, CLIENT_ID],
          algorithms: ['RS256'],
        }),
      );
      await expect(verifier.verify(await v1Token())).resolves.toBeDefined();
      await expect(verifier.verify(await v2UserToken())).resolves.toBeDefined();
    });
  });

  describe('key set URL with ?appid=', () => {
    it('accepts a jwksUri with a query and fetches the keys from it', async () => {
      const before = keys.requests.jwks;
      const verifier = createVerifier({
        ...v2Options(),
        jwksUri: `${keys.jwksUri}?appid=${CLIENT_ID}`,
      });
      await expect(verifier.verify(await v2UserToken())).resolves.toBeDefined();
      expect(keys.requests.jwks).toBe(before + 1);
    });

    it('an issuer with a query is a TypeError at start-up', () => {
      expect(() => createVerifier(v2Options({ issuer: `${V2_ISSUER}?appid=${CLIENT_ID}` }))).toThrow(
        TypeError,
      );
    });

    it('a token signed with an app key missing from the configured key set: key_not_found', async () => {
      const token = await v2UserToken({}, { kid: 'app-specific-signing-key' });
      await expectRejection(createVerifier(v2Options()).verify(token), 'key_not_found');
    });
  });

  describe('multi-tenant: a list of issuers', () => {
    const multiTenant = () =>
      createVerifier(
        localKeys({
          issuer: [V2_ISSUER, `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`],
          audience: CLIENT_ID,
          algorithms: ['RS256'],
        }),
      );

    it('accepts each listed tenant’s tokens', async () => {
      const verifier = multiTenant();
      await expect(verifier.verify(await v2UserToken())).resolves.toBeDefined();
      const other = await v2UserToken({
        iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`,
        tid: OTHER_TENANT,
      });
      await expect(verifier.verify(other)).resolves.toMatchObject({ claims: { tid: OTHER_TENANT } });
    });

    it('refuses an unlisted tenant with issuer_invalid, before fetching any key', async () => {
      const verifier = multiTenant();
      const before = keys.requests.jwks;
      const unlisted = 'ccccdddd-2222-eeee-3333-ffff4444aaaa';
      const token = await v2UserToken({
        iss: `https://login.microsoftonline.com/${unlisted}/v2.0`,
        tid: unlisted,
      });
      await expectRejection(verifier.verify(token), 'issuer_invalid');
      expect(keys.requests.jwks).toBe(before);
    });

    it('the common issuer template is no issuer: a token never matches it', async () => {
      const verifier = createVerifier(
        localKeys({
          issuer: 'https://login.microsoftonline.com/common/v2.0',
          audience: CLIENT_ID,
          algorithms: ['RS256'],
        }),
      );
      await expectRejection(verifier.verify(await v2UserToken()), 'issuer_invalid');
    });
  });

  describe('Microsoft Graph tokens', () => {
    /** A Graph token: v1, Graph's audience, a header nonce whose hash, not itself, was signed. */
    async function graphToken(): Promise<string> {
      const nonce = 'QltrBofYb5am7UJ8mCmOJjlNOXqr1bAu2h_H2s3ARpk';
      const signed = await v1Token({ aud: GRAPH, scp: 'User.Read profile openid email' });
      const hashed = createHash('sha256').update(nonce).digest('base64url');
      const withHashedNonce = await keys.signToken(
        JSON.parse(Buffer.from(signed.split('.')[1] as string, 'base64url').toString('utf8')),
        { typ: 'JWT', header: { nonce: hashed, x5t: 'CNv0OI3RwqlHFEVnaoMAshCH2XE' } },
      );
      return withPart(withHashedNonce, 0, (header) => {
        header.nonce = nonce;
      });
    }

    it('on a v1 configuration: signature_invalid, the signature covering another header', async () => {
      await expectRejection(createVerifier(v1Options()).verify(await graphToken()), 'signature_invalid');
    });

    it('on the v2 configuration: issuer_invalid first, Graph tokens being v1', async () => {
      await expectRejection(createVerifier(v2Options()).verify(await graphToken()), 'issuer_invalid');
    });
  });
});
