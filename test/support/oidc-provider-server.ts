import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { listenFirst } from './oauth-servers.js';

/**
 * oidc-provider as the authorization server of the end-to-end tests, on a loopback port: client
 * credentials, DPoP (RFC 9449) and resource indicators (RFC 8707) naming one API, for which it issues
 * access tokens of `read:messages`, signed with its one ES256 key.
 */

/** The API the provider issues tokens for: the RFC 8707 resource, and the tokens' audience. */
export const API_AUDIENCE = 'https://api.example.test';

/** A confidential client using `client_credentials` with `client_secret_basic`. */
export function clientCredentialsClient(
  clientId: string,
  clientSecret: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    ...extra,
  };
}

export interface OidcProviderSetup {
  readonly clients: readonly Record<string, unknown>[];
  /** `jwt`: RFC 9068 access tokens the API verifies; `opaque`: tokens it must introspect. */
  readonly accessTokenFormat: 'jwt' | 'opaque';
  /** Features beyond DPoP, client credentials and resource indicators (introspection, revocation…). */
  readonly features?: Record<string, unknown>;
  /** Client metadata defaults beyond ES256-signed ID tokens. */
  readonly clientDefaults?: Record<string, unknown>;
}

export interface RunningOidcProvider {
  /** `http://127.0.0.1:<port>`, the provider's issuer identifier. */
  readonly issuer: string;
  close(): Promise<void>;
}

export async function startOidcProvider(setup: OidcProviderSetup): Promise<RunningOidcProvider> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'as-signing-key', alg: 'ES256', use: 'sig' };
  const started = await listenFirst();
  const provider = new Provider(started.url, {
    clients: [...setup.clients] as never,
    jwks: { keys: [signingKey] },
    // The provider signs with its one ES256 key; the RS256 defaults would need an RSA key.
    clientDefaults: { id_token_signed_response_alg: 'ES256', ...setup.clientDefaults },
    features: {
      dPoP: { enabled: true },
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== API_AUDIENCE) throw new Error(`unknown resource ${resource}`);
          return {
            scope: 'read:messages',
            audience: API_AUDIENCE,
            accessTokenFormat: setup.accessTokenFormat,
            accessTokenTTL: 300,
            ...(setup.accessTokenFormat === 'jwt' && { jwt: { sign: { alg: 'ES256' } } }),
          };
        },
      },
      ...setup.features,
    },
  });
  started.handle(provider.callback());
  return {
    issuer: started.url,
    close: async () => {
      started.server.closeAllConnections();
      await new Promise<void>((resolve) => started.server.close(() => resolve()));
    },
  };
}
