import * as oauth from 'oauth4webapi';
import { API_AUDIENCE, CLIENT_ID } from './constants.js';

/**
 * The client side of the FAPI 2.0 demo, with oauth4webapi: a DPoP key, an opaque DPoP-bound token
 * by client credentials, and GET /api/sample with a fresh proof, retrying once on use_dpop_nonce.
 *
 *   npx tsx examples/fapi2/client.ts <issuer> <client secret> <api url>
 */

const [issuer, clientSecret, apiUrl] = process.argv.slice(2);
if (issuer === undefined || clientSecret === undefined || apiUrl === undefined) {
  console.error('usage: npx tsx examples/fapi2/client.ts <issuer> <client secret> <api url>');
  process.exit(1);
}
// Plain http is allowed here only because both servers listen on 127.0.0.1.
const insecure = { [oauth.allowInsecureRequests]: true } as const;
const client: oauth.Client = { client_id: CLIENT_ID };

async function withNonceRetry<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return send();
  }
}

const issuerUrl = new URL(issuer);
const as = await oauth.processDiscoveryResponse(issuerUrl, await oauth.discoveryRequest(issuerUrl, insecure));
const dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
const tokens = await withNonceRetry(async () =>
  oauth.processClientCredentialsResponse(
    as,
    client,
    await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(clientSecret),
      new URLSearchParams({ resource: API_AUDIENCE, scope: 'sample:read' }),
      { DPoP: dpop, ...insecure },
    ),
  ),
);
console.log(`token_type: ${tokens.token_type} (opaque, bound to this run's DPoP key)`);
const response = await withNonceRetry(() =>
  oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(apiUrl), new Headers(), null, {
    DPoP: dpop,
    ...insecure,
  }),
);
console.log(`GET ${apiUrl} -> ${response.status}`);
console.log(await response.text());
