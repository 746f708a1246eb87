import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_AUDIENCE, CLIENT_ID } from '../../examples/fapi2/constants.js';
import { type FapiDemo, startFapiDemo } from '../../examples/fapi2/server.js';
import { withNonceRetry } from '../support/oauth-servers.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
const client: oauth.Client = { client_id: CLIENT_ID };

let demo: FapiDemo;
beforeAll(async () => {
  demo = await startFapiDemo('127.0.0.1', 0, 0);
});
afterAll(() => demo?.close());

describe("npm run demo -- --fapi: GET /api/sample under profile 'fapi2'", () => {
  it('answers 200 to an opaque DPoP-bound token from the embedded authorization server, nonce retry included', async () => {
    const issuerUrl = new URL(demo.issuer);
    const as = await oauth.processDiscoveryResponse(
      issuerUrl,
      await oauth.discoveryRequest(issuerUrl, insecure),
    );
    const dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    const tokens = await withNonceRetry(async () =>
      oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(
          as,
          client,
          oauth.ClientSecretBasic(demo.clientSecret),
          new URLSearchParams({ resource: API_AUDIENCE, scope: 'sample:read' }),
          { DPoP: dpop, ...insecure },
        ),
      ),
    );
    expect(tokens.access_token).not.toContain('.');
    const response = await withNonceRetry(() =>
      oauth.protectedResourceRequest(
        tokens.access_token,
        'GET',
        new URL(`${demo.apiUrl}/api/sample`),
        new Headers(),
        null,
        { DPoP: dpop, ...insecure },
      ),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ client_id: CLIENT_ID });
  });

  it('refuses a Bearer token (FAPI 2.0 §5.3.4) with a DPoP challenge', async () => {
    const response = await fetch(`${demo.apiUrl}/api/sample`, {
      headers: { authorization: 'Bearer some-token' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token"/);
  });
});
