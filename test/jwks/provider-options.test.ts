import { createJwksProvider, createStaticKeyProvider, type JwksProviderOptions } from 'tokenwarden';
import { describe, expect, it } from 'vitest';

const JWKS_URI = 'https://issuer.example.test/.well-known/jwks.json';

/** Creates a provider from options a misconfiguration could produce. */
function create(options: Readonly<Record<string, unknown>>): () => unknown {
  return () => createJwksProvider({ jwksUri: JWKS_URI, ...options } as unknown as JwksProviderOptions);
}

describe('createJwksProvider options, checked when the provider is created', () => {
  it.each([
    ['cooldown', '30', /cooldown.*a string/],
    ['cooldown', Number.NaN, /cooldown.*NaN/],
    ['timeoutMs', -1, /timeoutMs.*the number -1/],
    ['maxResponseBytes', '512kB', /maxResponseBytes.*a string/],
    ['maxResponseBytes', 10.5, /maxResponseBytes.*the number 10\.5/],
    ['defaultMaxAge', Number.POSITIVE_INFINITY, /defaultMaxAge.*Infinity/],
    ['minMaxAge', {}, /minMaxAge.*an object/],
    ['maxMaxAge', '1d', /maxMaxAge.*a string/],
    ['staleIfError', Number.NaN, /staleIfError.*NaN/],
    ['clock', 5, /clock must be a function.*the number 5/],
    ['fetch', 'fetch', /fetch must be a function.*a string/],
    ['onEvent', {}, /onEvent must be a function/],
    ['staleIfErrors', 60, /staleIfErrors.*did you mean staleIfError\?/],
  ])('refuses %s = %o', (option, value, message) => {
    expect(create({ [option]: value })).toThrow(TypeError);
    expect(create({ [option]: value })).toThrow(message);
  });

  it('refuses a bare domain as issuer, suggesting the https URL', () => {
    expect(() => createJwksProvider({ issuer: 'tenant.eu.auth0.com' })).toThrow(
      /issuer.*did you mean https:\/\/tenant\.eu\.auth0\.com\/\?/,
    );
  });

  it('refuses a plain-http jwksUri to a public host', () => {
    expect(create({ jwksUri: 'http://issuer.example.test/jwks.json' })).toThrow(/jwksUri/);
  });
});

describe('createStaticKeyProvider', () => {
  it('refuses a key set without a keys list', () => {
    expect(() => createStaticKeyProvider({} as unknown as { keys: [] })).toThrow(/keySet/);
  });
});
