import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { createDpopNonces, createIntrospector } from 'tokenwarden';
import { jwtAuth, requireScope } from 'tokenwarden/express';
import { API_AUDIENCE, CLIENT_ID } from './constants.js';

/**
 * A FAPI 2.0 resource server next to an embedded local authorization server (oidc-provider) that
 * issues opaque, DPoP-bound access tokens by client credentials and answers introspection. Both bind
 * 127.0.0.1 only; the secrets below are made up at start and live in memory.
 */

const API_CLIENT_ID = 'fapi-demo-api';

export interface FapiDemo {
  readonly issuer: string;
  readonly apiUrl: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

async function listen(
  host: string,
  port: number,
  listener: RequestListener,
): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  // Rejects with the listen error (EADDRINUSE…) instead of reporting a server that never started.
  await once(server.listen(port, host), 'listening');
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Starts the authorization server on `asPort` and the API on `apiPort` (0 picks free ports). */
export async function startFapiDemo(host: string, apiPort: number, asPort: number): Promise<FapiDemo> {
  const clientSecret = randomBytes(24).toString('base64url');
  const apiSecret = randomBytes(24).toString('base64url');
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  let asListener: RequestListener = (_req, res) => res.writeHead(503).end();
  const as = await listen(host, asPort, (req, res) => asListener(req, res));
  const issuer = as.url;
  const client = (clientId: string, secret: string) => ({
    client_id: clientId,
    client_secret: secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const provider = new Provider(issuer, {
    clients: [client(CLIENT_ID, clientSecret), client(API_CLIENT_ID, apiSecret)],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'demo-as', alg: 'ES256', use: 'sig' }] },
    features: {
      dPoP: { enabled: true },
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'sample:read',
          audience: API_AUDIENCE,
          accessTokenFormat: 'opaque',
          accessTokenTTL: 600,
        }),
      },
    },
  });
  asListener = provider.callback();

  const app = express();
  const checkToken = jwtAuth({
    issuer,
    audience: API_AUDIENCE,
    profile: 'fapi2',
    // FAPI 2.0 recommends DPoP nonces: a captured proof is then good for one nonce period at most.
    dpop: { nonces: createDpopNonces({ secret: randomBytes(32) }) },
    introspection: createIntrospector({
      issuer,
      clientId: API_CLIENT_ID,
      clientAuthentication: { method: 'client_secret_basic', clientSecret: apiSecret },
    }),
  });
  app.get('/api/sample', checkToken, requireScope('sample:read'), (req, res) => {
    res.json({ message: 'Hello from a FAPI 2.0 resource server', client_id: req.auth?.claims.client_id });
  });
  const api = await listen(host, apiPort, app);
  return {
    issuer,
    apiUrl: api.url,
    clientSecret,
    close: async () => {
      await closeServer(api.server);
      await closeServer(as.server);
    },
  };
}
