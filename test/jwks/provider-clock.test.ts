import { createJwksProvider, type TokenError } from 'tokenwarden';
import { createTestIssuer } from 'tokenwarden/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeyServerStub, type KeyServerStub } from './jwks-fixtures.js';

let keyServer: KeyServerStub | undefined;

afterEach(() => {
  keyServer?.release();
  keyServer = undefined;
});

describe('a key provider whose clock stops reading a finite time fails closed', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
  ])('refuses to hand out a key, or call one current, when the clock reads %s', async (_name, reading) => {
    const issuer = await createTestIssuer({ algorithms: ['ES256'] });
    try {
      const stub = createKeyServerStub(() => issuer.jwks());
      keyServer = stub;
      let now = 1_700_000_000;
      const provider = createJwksProvider({ jwksUri: stub.jwksUri, fetch: stub.fetch, clock: () => now });
      const kid = issuer.jwks().keys[0]?.kid;
      const key = await provider.getKey(kid, 'ES256');

      now = reading;

      const refusal = (await provider.getKey(kid, 'ES256').catch((error: unknown) => error)) as TokenError;
      expect(refusal.code).toBe('jwks_unavailable');
      expect(provider.isCurrentKey?.(key)).toBe(false);
      expect(provider.currentKey?.(kid, 'ES256')).toBeUndefined();
    } finally {
      await issuer.close();
    }
  });
});
