import * as oauth from 'oauth4webapi';
import { createIntrospector, type IntrospectorOptions, type VerifierOptions } from 'tokenwarden';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameworks, type RunningServer } from '../conformance/frameworks.js';
import { SCOPED_MESSAGE } from '../conformance/table.js';
import { withNonceRetry } from '../support/oauth-servers.js';
import {
  API_AUDIENCE,
  clientCredentialsClient,
  type RunningOidcProvider,
  startOidcProvider,
} from '../support/oidc-provider-server.js';

/**
 * Opaque, DPoP-bound access tokens end to end with nothing made by tokenwarden's test kit:
 * oidc-provider issues them (RFC 9449 §5) and answers introspection (RFC 7662, RFC 9701 when asked)
 * and revocation (RFC 7009); oauth4webapi is the client holding the key. The API introspects.
 */

const HOST = '127.0.0.1';
const CLIENT_ID = 'dpop-client';
const CLIENT_SECRET = 'a client secret that is only used on the loopback interface';
const API_CLIENT_ID = 'orders-api';
const API_SIGNED_CLIENT_ID = 'orders-api-signed';
const API_SECRET = 'the API secret for introspection, used on the loopback interface only';
const CACHE_TTL = 20;
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let authorizationServer: RunningOidcProvider | undefined;
let issuer: string;
let as: oauth.AuthorizationServer;
const client: oauth.Client = { client_id: CLIENT_ID };
let dpop: oauth.DPoPHandle;

/** The API's clock: real time at the start, moved by hand; the authorization server keeps real time. */
let offset = 0;
const apiClock = () => Date.now() / 1000 + offset;

async function fetchDpopBoundToken(): Promise<string> {
  const parameters = new URLSearchParams({ resource: API_AUDIENCE, scope: 'read:messages' });
  const result = await withNonceRetry(async () =>
    oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(CLIENT_SECRET),
        parameters,
        {
          DPoP: dpop,
          ...insecure,
        },
      ),
    ),
  );
  expect(result.token_type).toBe('dpop');
  return result.access_token;
}

/** RFC 7009: the client revokes its token at the authorization server. */
async function revoke(token: string): Promise<void> {
  const response = await oauth.revocationRequest(
    as,
    client,
    oauth.ClientSecretBasic(CLIENT_SECRET),
    token,
    insecure,
  );
  await oauth.processRevocationResponse(response);
}

function callApi(url: string, token: string, handle: oauth.DPoPHandle | undefined): Promise<Response> {
  return oauth.protectedResourceRequest(token, 'GET', new URL(url), new Headers(), null, {
    ...insecure,
    ...(handle === undefined ? {} : { DPoP: handle }),
  });
}

async function refusalStatus(call: Promise<Response>): Promise<number> {
  const error = await call.then(
    (response) => expect.fail(`expected a refusal, got ${response.status}`),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
  return (error as oauth.WWWAuthenticateChallengeError).status;
}

function introspector(overrides: Partial<IntrospectorOptions> = {}) {
  return createIntrospector({
    issuer,
    clientId: API_CLIENT_ID,
    clientAuthentication: { method: 'client_secret_basic', clientSecret: API_SECRET },
    cache: { ttl: CACHE_TTL },
    clock: apiClock,
    ...overrides,
  });
}

function apiOptions(overrides: Partial<VerifierOptions> = {}): VerifierOptions {
  return { issuer, audience: API_AUDIENCE, clock: apiClock, introspection: introspector(), ...overrides };
}

beforeAll(async () => {
  authorizationServer = await startOidcProvider({
    clients: [
      clientCredentialsClient(CLIENT_ID, CLIENT_SECRET),
      clientCredentialsClient(API_CLIENT_ID, API_SECRET),
      clientCredentialsClient(API_SIGNED_CLIENT_ID, API_SECRET),
    ],
    // Opaque: the API cannot read the token, it has to ask.
    accessTokenFormat: 'opaque',
    // An answer is signed only when the client asks for one (Accept: application/token-introspection+jwt).
    clientDefaults: { introspection_signed_response_alg: 'ES256' },
    features: {
      introspection: { enabled: true },
      jwtIntrospection: { enabled: true },
      revocation: { enabled: true },
    },
  });
  issuer = authorizationServer.issuer;
  const issuerUrl = new URL(issuer);
  as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, insecure));
  dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
});

afterAll(async () => {
  await authorizationServer?.close();
});

describe.each(frameworks.map((framework) => [framework.name, framework] as const))(
  'RFC 7662 with oidc-provider, opaque DPoP-bound tokens: %s',
  (_name, framework) => {
    let api: RunningServer;
    let token: string;

    beforeAll(async () => {
      offset = 0;
      api = await framework.listen(apiOptions(), 0, HOST);
      token = await fetchDpopBoundToken();
    });
    afterAll(() => api?.close());

    it('answers 200 to the opaque token with a proof from its key (cnf.jkt from the answer)', async () => {
      const response = await callApi(`${api.url}/api/private-scoped`, token, dpop);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ message: SCOPED_MESSAGE });
    });

    it('refuses it with a proof from another key (RFC 9449 §7.1)', async () => {
      const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
      expect(await refusalStatus(callApi(`${api.url}/api/private-scoped`, token, thief))).toBe(401);
    });

    it('refuses it as a Bearer token (RFC 9449 §7.2)', async () => {
      expect(await refusalStatus(callApi(`${api.url}/api/private-scoped`, token, undefined))).toBe(401);
    });

    it('refuses it once revoked at the authorization server (RFC 7009), after the cache ttl', async () => {
      const revocable = await fetchDpopBoundToken();
      const url = `${api.url}/api/private`;
      expect((await callApi(url, revocable, dpop)).status).toBe(200);
      await revoke(revocable);
      // The cached answer stands for at most the cache ttl: that is the window a revoked token has.
      offset = CACHE_TTL - 1;
      expect((await callApi(url, revocable, dpop)).status).toBe(200);
      offset = CACHE_TTL + 1;
      expect(await refusalStatus(callApi(url, revocable, dpop))).toBe(401);
      offset = 0;
    });
  },
);

describe('RFC 9701 signed introspection answers from oidc-provider', () => {
  it('accepts the opaque token on a signed answer, verified with the key set from discovery', async () => {
    offset = 0;
    const contentTypes: (string | null)[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      contentTypes.push(response.headers.get('content-type'));
      return response;
    };
    const signed = introspector({
      clientId: API_SIGNED_CLIENT_ID,
      signedResponses: true,
      fetch: recordingFetch,
    });
    const api = await (frameworks[0] as (typeof frameworks)[number]).listen(
      apiOptions({ introspection: signed }),
      0,
      HOST,
    );
    try {
      const response = await callApi(`${api.url}/api/private-scoped`, await fetchDpopBoundToken(), dpop);
      expect(response.status).toBe(200);
      expect(contentTypes).toContain('application/token-introspection+jwt; charset=utf-8');
    } finally {
      await api.close();
    }
  });
});
