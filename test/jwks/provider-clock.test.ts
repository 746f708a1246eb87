import { createJwksProvider } from 'tokenwarden';
import { createTestIssuer } from 'tokenwarden/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { rejectionOf } from '../support/rejection.js';
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
      const clock = createManualClock();
      const provider = createJwksProvider({ jwksUri: stub.jwksUri, fetch: stub.fetch, clock: clock.now });
      const kid = issuer.jwks().keys[0]?.kid;
      const key = await provider.getKey(kid, 'ES256');

      clock.set(reading);

      const refusal = await rejectionOf(provider.getKey(kid, 'ES256'));
      expect(refusal.code).toBe('jwks_unavailable');
      expect(provider.isCurrentKey?.(key)).toBe(false);
      expect(provider.currentKey?.(kid, 'ES256')).toBeUndefined();
    } finally {
      await issuer.close();
    }
  });
});
