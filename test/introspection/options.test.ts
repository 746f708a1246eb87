import { createIntrospector, type IntrospectorOptions } from 'tokenwarden';
import { describe, expect, it } from 'vitest';

const BASE: IntrospectorOptions = {
  endpoint: 'https://as.example.test/introspect',
  clientId: 'orders-api',
  clientAuthentication: { method: 'client_secret_basic', clientSecret: 'secret' },
};

function build(overrides: Record<string, unknown>) {
  return () => createIntrospector({ ...BASE, ...overrides } as IntrospectorOptions);
}

describe('createIntrospector checks every option when it is built', () => {
  it('builds with the minimal options, and with only an issuer to discover the endpoint from', () => {
    expect(build({})).not.toThrow();
    expect(build({ endpoint: undefined, issuer: 'https://as.example.test' })).not.toThrow();
  });

  it.each([
    [{ endpoint: undefined }, /needs endpoint or issuer/],
    [{ endpoint: 'http://as.example.test/introspect' }, /endpoint must use https/],
    [
      { endpoint: 'as.example.test/introspect' },
      /endpoint must be an absolute https URL, not a bare host name/,
    ],
    [{ endpoint: 'https://user:pw@as.example.test/introspect' }, /endpoint must not carry user information/],
    [{ issuer: 'https://as.example.test/?tenant=1' }, /issuer must not have a query/],
    [{ clientId: '' }, /clientId must be a non-empty string/],
    [{ clientId: undefined }, /needs clientId/],
    [{ clientAuthentication: undefined }, /clientAuthentication must be an options object/],
    [{ clientAuthentication: { method: 'client_secret_jwt' } }, /clientAuthentication.method must be/],
    [
      { clientAuthentication: { method: 'client_secret_basic' } },
      /clientAuthentication.clientSecret is required/,
    ],
    [
      { clientAuthentication: { method: 'client_secret_post', clientSecret: 's', clientSecrett: 's' } },
      /unknown option clientAuthentication.clientSecrett/,
    ],
    [
      { clientAuthentication: { method: 'private_key_jwt', privateKey: { kty: 'EC' }, algorithm: 'ES256' } },
      /private JWK, with kty and d/,
    ],
    [
      {
        clientAuthentication: {
          method: 'private_key_jwt',
          privateKey: { kty: 'EC', d: 'x' },
          algorithm: 'HS256',
        },
      },
      /clientAuthentication.algorithm must be an asymmetric algorithm/,
    ],
    [{ timeoutMs: Number.NaN }, /timeoutMs must be a whole number of milliseconds/],
    [{ timeoutMs: '3000' }, /timeoutMs must be a whole number of milliseconds/],
    [{ maxResponseBytes: 0 }, /maxResponseBytes must be a whole number of bytes, at least 1/],
    [{ cache: true }, /cache must be an options object/],
    [{ cache: { ttl: -1 } }, /cache.ttl must be a finite, non-negative number of seconds/],
    [{ cache: { inactiveTTL: 5 } }, /unknown option cache.inactiveTTL; did you mean inactiveTtl\?/],
    [{ cache: { store: {} } }, /cache.store must be an object with get and set methods/],
    [{ cache: { storeTimeoutMs: 0 } }, /cache.storeTimeoutMs must be a whole number of milliseconds from 1/],
    [{ signedResponses: true }, /signedResponses needs the issuer option/],
    [
      { issuer: 'https://as.example.test/', signedResponses: { algorithms: ['HS256'] } },
      /signedResponses.algorithms must list asymmetric algorithms/,
    ],
    [
      { issuer: 'https://as.example.test/', signedResponses: { jwksUri: 'http://keys.example.test/' } },
      /signedResponses.jwksUri must use https/,
    ],
    [{ clock: 5 }, /clock must be a function/],
    [{ endpiont: 'https://as.example.test/introspect' }, /unknown option endpiont; did you mean endpoint\?/],
  ])('refuses %o', (overrides, message) => {
    expect(build(overrides)).toThrow(TypeError);
    expect(build(overrides)).toThrow(message);
  });
});
