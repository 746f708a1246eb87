import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { createDpopNonces, type DpopOptions, type VerifierOptions } from 'tokenwarden';
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
 * The whole DPoP flow with nothing made by tokenwarden's test kit: oidc-provider is the
 * authorization server issuing DPoP-bound JWT access tokens (RFC 9449 §5, RFC 9068), oauth4webapi
 * the client that holds the key, fetches the token and calls the API with proofs it makes itself.
 */

const HOST = '127.0.0.1';
const CLIENT_ID = 'dpop-client';
const CLIENT_SECRET = 'a client secret that is only used on the loopback interface';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let authorizationServer: RunningOidcProvider | undefined;
let issuer: string;
let as: oauth.AuthorizationServer;
const client: oauth.Client = { client_id: CLIENT_ID };
let clientKey: CryptoKeyPair;
let dpop: oauth.DPoPHandle;
let accessToken: string;

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
        { DPoP: dpop, ...insecure },
      ),
    ),
  );
  expect(result.token_type).toBe('dpop');
  return result.access_token;
}

/** Calls the API as oauth4webapi does, with a proof made by `handle` (or as Bearer without one). */
function callApi(url: string, handle: oauth.DPoPHandle | undefined): Promise<Response> {
  return oauth.protectedResourceRequest(accessToken, 'GET', new URL(url), new Headers(), null, {
    ...insecure,
    ...(handle === undefined ? {} : { DPoP: handle }),
  });
}

/** The challenge an API refusal came with, as oauth4webapi parsed it. */
async function refusal(call: Promise<Response>): Promise<oauth.WWWAuthenticateChallengeError> {
  const error = await call.then(
    (response) => expect.fail(`expected a refusal, got ${response.status}`),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
  return error as oauth.WWWAuthenticateChallengeError;
}

beforeAll(async () => {
  authorizationServer = await startOidcProvider({
    clients: [clientCredentialsClient(CLIENT_ID, CLIENT_SECRET)],
    accessTokenFormat: 'jwt',
  });
  issuer = authorizationServer.issuer;
  const issuerUrl = new URL(issuer);
  as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, insecure));
  clientKey = await oauth.generateKeyPair('ES256');
  dpop = oauth.DPoP(client, clientKey);
  accessToken = await fetchDpopBoundToken();
});

afterAll(async () => {
  await authorizationServer?.close();
});

describe('oidc-provider issues a DPoP-bound JWT access token to oauth4webapi', () => {
  it('binds the token to the client key through cnf.jkt (RFC 9449 §6.1)', async () => {
    const thumbprint = await calculateJwkThumbprint(await exportJWK(clientKey.publicKey), 'sha256');
    expect(decodeJwt(accessToken)).toMatchObject({
      iss: issuer,
      aud: API_AUDIENCE,
      scope: 'read:messages',
      cnf: { jkt: thumbprint },
    });
    expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt');
  });
});

describe.each(frameworks.map((framework) => [framework.name, framework] as const))(
  'RFC 9449 end to end with an independent client: %s',
  (_name, framework) => {
    const servers: RunningServer[] = [];
    let api: RunningServer;
    let apiWithNonces: RunningServer;

    beforeAll(async () => {
      // The API discovers the provider's keys from its metadata, as it would in production.
      const auth = (dpopOptions: DpopOptions): VerifierOptions => ({
        issuer,
        audience: API_AUDIENCE,
        typ: 'at+jwt',
        dpop: dpopOptions,
      });
      api = await framework.listen(auth({}), 0, HOST);
      const nonces = createDpopNonces({ secret: 'end-to-end nonce secret, 32 bytes or more' });
      apiWithNonces = await framework.listen(auth({ nonces }), 0, HOST);
      servers.push(api, apiWithNonces);
    });

    afterAll(async () => {
      await Promise.all(servers.map((server) => server.close()));
    });

    it('answers 200 to the token with a proof from the key it is bound to', async () => {
      const response = await callApi(`${api.url}/api/private-scoped`, dpop);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ message: SCOPED_MESSAGE });
    });

    it('refuses the same token with a proof from another key (§7.1), challenging under DPoP', async () => {
      const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
      const error = await refusal(callApi(`${api.url}/api/private-scoped`, thief));
      expect(error.status).toBe(401);
      const challenge = error.cause.find((entry) => entry.scheme === 'dpop');
      expect(challenge?.parameters.error).toBe('invalid_token');
      expect(challenge?.parameters.algs).toBe('ES256 RS256 PS256 EdDSA Ed25519');
    });

    it('refuses the same token sent as a Bearer token (§7.2)', async () => {
      const error = await refusal(callApi(`${api.url}/api/private-scoped`, undefined));
      expect(error.status).toBe(401);
      const challenge = error.cause.find((entry) => entry.scheme === 'bearer');
      expect(challenge?.parameters.error).toBe('invalid_token');
    });

    it('walks the nonce flow: use_dpop_nonce with DPoP-Nonce, then the retry passes (§8)', async () => {
      const freshHandle = oauth.DPoP(client, clientKey);
      const first = await refusal(callApi(`${apiWithNonces.url}/api/private-scoped`, freshHandle));
      expect(oauth.isDPoPNonceError(first)).toBe(true);
      expect(first.response.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const retry = await callApi(`${apiWithNonces.url}/api/private-scoped`, freshHandle);
      expect(retry.status).toBe(200);
    });
  },
);
