import {
  createDpopNonces,
  createVerifier,
  DEFAULT_DPOP_ALGORITHMS,
  protectedResourceMetadata,
  scopeGuard,
  type VerifierOptions,
} from 'tokenwarden';
import { createDpopProof, generateDpopKey } from 'tokenwarden/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { rejectionOf } from '../support/rejection.js';
import { bearerRequest, createKeyRing, ISSUER, type KeyRing, requestWith, signToken } from './fixtures.js';

let ring: KeyRing;
beforeAll(async () => {
  ring = await createKeyRing();
});

const RESOURCE = 'https://api.example.test/mcp';
const METADATA_URL = 'https://api.example.test/.well-known/oauth-protected-resource/mcp';

function verifierWith(
  protectedResource: VerifierOptions['protectedResource'],
  more: Partial<VerifierOptions> = {},
) {
  return createVerifier({
    issuer: ISSUER,
    keySet: ring.keySet,
    clock: fixedClock,
    protectedResource,
    ...more,
  });
}

function documentOf(options: VerifierOptions['protectedResource'], more: Partial<VerifierOptions> = {}) {
  return JSON.parse(protectedResourceMetadata(verifierWith(options, more)).body) as Record<string, unknown>;
}

describe('RFC 9728 §2 protected resource metadata document', () => {
  it('carries resource, the issuer as authorization server, header bearer method and the DPoP algorithms', () => {
    expect(documentOf({ resource: RESOURCE })).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: [...DEFAULT_DPOP_ALGORITHMS],
    });
  });

  it('carries every §2 member given, in its snake_case name', () => {
    expect(
      documentOf({
        resource: RESOURCE,
        authorizationServers: ['https://as.example.test'],
        jwksUri: 'https://api.example.test/jwks.json',
        scopesSupported: ['tools:read', 'tools:call'],
        bearerMethodsSupported: ['header'],
        resourceSigningAlgValuesSupported: ['ES256'],
        resourceName: 'Example MCP server',
        resourceDocumentation: 'https://docs.example.test/mcp',
        resourcePolicyUri: 'https://example.test/policy',
        resourceTosUri: 'https://example.test/tos',
        tlsClientCertificateBoundAccessTokens: false,
        authorizationDetailsTypesSupported: ['payment_initiation'],
        dpopSigningAlgValuesSupported: ['ES256'],
        dpopBoundAccessTokensRequired: true,
      }),
    ).toEqual({
      resource: RESOURCE,
      authorization_servers: ['https://as.example.test'],
      jwks_uri: 'https://api.example.test/jwks.json',
      scopes_supported: ['tools:read', 'tools:call'],
      bearer_methods_supported: ['header'],
      resource_signing_alg_values_supported: ['ES256'],
      resource_name: 'Example MCP server',
      resource_documentation: 'https://docs.example.test/mcp',
      resource_policy_uri: 'https://example.test/policy',
      resource_tos_uri: 'https://example.test/tos',
      tls_client_certificate_bound_access_tokens: false,
      authorization_details_types_supported: ['payment_initiation'],
      dpop_signing_alg_values_supported: ['ES256'],
      dpop_bound_access_tokens_required: true,
    });
  });

  it('derives dpop_bound_access_tokens_required from dpop.mode required', () => {
    const document = documentOf(
      { resource: RESOURCE },
      { dpop: { mode: 'required', algorithms: ['ES256'] } },
    );
    expect(document.dpop_signing_alg_values_supported).toEqual(['ES256']);
    expect(document.dpop_bound_access_tokens_required).toBe(true);
  });

  it('leaves the DPoP members out when DPoP is disabled, and lists query when allowQueryToken is set', () => {
    const document = documentOf(
      { resource: RESOURCE },
      { dpop: { mode: 'disabled' }, allowQueryToken: true },
    );
    expect(document).not.toHaveProperty('dpop_signing_alg_values_supported');
    expect(document).not.toHaveProperty('dpop_bound_access_tokens_required');
    expect(document.bearer_methods_supported).toEqual(['header', 'query']);
  });

  it('is served as cacheable, CORS-readable JSON', () => {
    expect(protectedResourceMetadata(verifierWith({ resource: RESOURCE, cacheMaxAge: 600 })).headers).toEqual(
      {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=600',
        'access-control-allow-origin': '*',
      },
    );
  });

  it('is built from options as from a verifier, and refused for a verifier without the option', () => {
    const options = { issuer: ISSUER, keySet: ring.keySet, protectedResource: { resource: RESOURCE } };
    expect(protectedResourceMetadata(options).url).toBe(METADATA_URL);
    expect(() =>
      protectedResourceMetadata(
        createVerifier({ ...options, protectedResource: undefined, audience: RESOURCE }),
      ),
    ).toThrow(TypeError);
  });
});

describe('RFC 9728 §3.1 metadata URL', () => {
  it.each([
    ['https://api.example.test/mcp', '/.well-known/oauth-protected-resource/mcp'],
    ['https://api.example.test/v1/mcp/', '/.well-known/oauth-protected-resource/v1/mcp/'],
    ['https://api.example.test/', '/.well-known/oauth-protected-resource'],
    ['https://api.example.test', '/.well-known/oauth-protected-resource'],
    ['http://127.0.0.1:8080/mcp', '/.well-known/oauth-protected-resource/mcp'],
  ])('inserts the well-known path between the host and the path of %s', (resource, path) => {
    const metadata = protectedResourceMetadata(verifierWith({ resource }));
    expect(metadata.path).toBe(path);
    expect(metadata.url).toBe(`${new URL(resource).origin}${path}`);
  });
});

describe('RFC 9728 §1.2 resource identifier checks', () => {
  it.each([
    ['an http URL on a public host', 'http://api.example.test/mcp', /https URL/],
    ['a fragment', 'https://api.example.test/mcp#part', /fragment/],
    ['a query', 'https://api.example.test/mcp?tenant=1', /query/],
    ['a relative path', '/mcp', /absolute URL/],
    ['credentials', 'https://user:pw@api.example.test/mcp', /credentials/],
    ['a number', 42, /absolute URL/],
  ])('refuses %s', (_what, resource, message) => {
    expect(() => verifierWith({ resource } as never)).toThrow(message);
  });

  it.each(['http://localhost:3000/mcp', 'http://127.0.0.1/mcp', 'http://[::1]:8080/'])(
    'accepts http on the loopback host of %s',
    (resource) => {
      expect(() => verifierWith({ resource })).not.toThrow();
    },
  );

  it('refuses an unknown member and a lone string where a list is expected', () => {
    expect(() => verifierWith({ resource: RESOURCE, scopes: ['a'] } as never)).toThrow(
      /protectedResource\.scopes/,
    );
    expect(() => verifierWith({ resource: RESOURCE, scopesSupported: 'a b' } as never)).toThrow(
      /scopesSupported must be a list/,
    );
    expect(() => verifierWith({ resource: RESOURCE, cacheMaxAge: '60' } as never)).toThrow(/cacheMaxAge/);
  });
});

describe('RFC 9728 §5.1 resource_metadata in WWW-Authenticate', () => {
  it('answers a request without credentials with Bearer resource_metadata only', async () => {
    const verifier = verifierWith({ resource: RESOURCE }, { dpop: { mode: 'disabled' } });
    const error = await rejectionOf(verifier.authenticate(requestWith()));
    expect(error.wwwAuthenticate).toBe(`Bearer resource_metadata="${METADATA_URL}"`);
  });

  it('puts it on the Bearer and the DPoP challenge alike', async () => {
    const verifier = verifierWith({ resource: RESOURCE }, { dpop: { algorithms: ['ES256'] } });
    const error = await rejectionOf(verifier.authenticate(requestWith()));
    expect(error.wwwAuthenticate).toBe(
      `Bearer resource_metadata="${METADATA_URL}", DPoP algs="ES256", resource_metadata="${METADATA_URL}"`,
    );
  });

  it('follows the error parameters of an invalid token', async () => {
    const verifier = verifierWith({ resource: RESOURCE }, { dpop: { mode: 'disabled' } });
    const token = await signToken(ring.keys.RS256, { aud: RESOURCE, exp: NOW - 3600 });
    const error = await rejectionOf(verifier.authenticate(bearerRequest(token)));
    expect(error.wwwAuthenticate).toBe(
      `Bearer error="invalid_token", error_description="${error.message}", resource_metadata="${METADATA_URL}"`,
    );
  });

  it('is on the 403 of a scope guard, after the scope', async () => {
    const verifier = verifierWith({ resource: RESOURCE }, { dpop: { mode: 'disabled' } });
    const auth = await verifier.authenticate(
      bearerRequest(await signToken(ring.keys.RS256, { aud: RESOURCE })),
    );
    const error = rejectionOf(() => scopeGuard(['tools:call'])(auth));
    expect(error.status).toBe(403);
    expect(error.wwwAuthenticate).toBe(
      `Bearer error="insufficient_scope", error_description="${error.message}", scope="tools:call", resource_metadata="${METADATA_URL}"`,
    );
  });

  it('is on the 403 of a DPoP-bound token, under the DPoP scheme', async () => {
    const verifier = verifierWith({ resource: RESOURCE });
    const key = await generateDpopKey();
    const token = await signToken(ring.keys.RS256, { aud: RESOURCE, cnf: { jkt: key.thumbprint } });
    const url = 'http://api.example.test/mcp';
    const dpop = await createDpopProof({ key, method: 'GET', url, accessToken: token, iat: NOW });
    const auth = await verifier.authenticate(
      requestWith({ host: 'api.example.test', authorization: `DPoP ${token}`, dpop }, '/mcp'),
    );
    const error = rejectionOf(() => scopeGuard(['tools:call'])(auth));
    expect(error.wwwAuthenticate).toBe(
      `DPoP error="insufficient_scope", error_description="${error.message}", scope="tools:call", resource_metadata="${METADATA_URL}"`,
    );
  });

  it('is on a use_dpop_nonce challenge too', async () => {
    const nonces = createDpopNonces({ secret: 'a nonce secret that is long enough!!', clock: fixedClock });
    const verifier = verifierWith({ resource: RESOURCE }, { dpop: { nonces, algorithms: ['ES256'] } });
    const key = await generateDpopKey();
    const token = await signToken(ring.keys.RS256, { aud: RESOURCE, cnf: { jkt: key.thumbprint } });
    const dpop = await createDpopProof({
      key,
      method: 'GET',
      url: 'http://api.example.test/mcp',
      accessToken: token,
      iat: NOW,
    });
    const error = await rejectionOf(
      verifier.authenticate(
        requestWith({ host: 'api.example.test', authorization: `DPoP ${token}`, dpop }, '/mcp'),
      ),
    );
    expect(error.code).toBe('dpop_nonce_required');
    expect(error.wwwAuthenticate).toBe(
      `Bearer resource_metadata="${METADATA_URL}", DPoP error="use_dpop_nonce", error_description="${error.message}", algs="ES256", resource_metadata="${METADATA_URL}"`,
    );
  });
});

describe('RFC 8707 / RFC 9068 §4 the resource identifier as the audience', () => {
  const verifier = () => verifierWith({ resource: RESOURCE }, { dpop: { mode: 'disabled' } });

  it('accepts a token whose aud is exactly the resource identifier', async () => {
    const auth = await verifier().verify(await signToken(ring.keys.RS256, { aud: RESOURCE }));
    expect(auth.claims.aud).toBe(RESOURCE);
  });

  it.each([
    ['another resource', 'https://api.example.test/other'],
    ['the same with a trailing slash', `${RESOURCE}/`],
    ['the same with an upper-case host', 'https://API.example.test/mcp'],
  ])('refuses a token for %s: the match is on the exact string', async (_what, aud) => {
    const error = await rejectionOf(verifier().verify(await signToken(ring.keys.RS256, { aud })));
    expect(error.code).toBe('audience_invalid');
  });

  it('keeps an explicit audience option over the resource identifier', async () => {
    const explicit = verifierWith({ resource: RESOURCE }, { audience: 'urn:example:api' });
    const error = await rejectionOf(explicit.verify(await signToken(ring.keys.RS256, { aud: RESOURCE })));
    expect(error.code).toBe('audience_invalid');
  });
});
