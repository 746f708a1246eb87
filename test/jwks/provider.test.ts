import { createJwksProvider, createVerifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, fixedClock } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { randomKid, recordEvents } from './jwks-fixtures.js';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256', 'EdDSA'], clock: fixedClock });
});
afterAll(() => issuer.close());

/** The kid the test issuer currently publishes for `alg`. */
function kidFor(alg: string): string {
  const jwk = issuer.jwks().keys.find((key) => key.alg === alg);
  if (jwk?.kid === undefined) throw new Error(`the test issuer publishes no ${alg} key`);
  return jwk.kid;
}

describe('createJwksProvider used on its own', () => {
  it('needs a jwksUri or an issuer', () => {
    expect(() => createJwksProvider({})).toThrow(TypeError);
  });

  it('resolves a published kid to a public Web Crypto key for the token algorithm', async () => {
    const provider = createJwksProvider({ jwksUri: issuer.jwksUri });

    const key = await provider.getKey(kidFor('ES256'), 'ES256');

    expect(key.type).toBe('public');
    expect(key.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
  });

  it('refuses a published key for an algorithm that does not fit it (RFC 8725 §3.1)', async () => {
    const provider = createJwksProvider({ jwksUri: issuer.jwksUri });

    await expectRejection(provider.getKey(kidFor('ES256'), 'EdDSA'), 'key_not_found');
  });

  it('discovers the key set from the issuer when no jwksUri is given', async () => {
    const before = { ...issuer.requests };
    const provider = createJwksProvider({ issuer: issuer.issuer });

    await provider.getKey(kidFor('EdDSA'), 'EdDSA');

    expect(issuer.requests.discovery - before.discovery).toBe(1);
    expect(issuer.requests.jwks - before.jwks).toBe(1);
  });

  it('fetches through the injected fetch', async () => {
    const requested: string[] = [];
    const provider = createJwksProvider({
      jwksUri: issuer.jwksUri,
      fetch: (input, init) => {
        requested.push(String(input));
        return fetch(input, init);
      },
    });

    await provider.getKey(kidFor('ES256'), 'ES256');

    expect(requested).toEqual([issuer.jwksUri]);
  });

  it('reports each successful fetch with the number of usable keys', async () => {
    const events = recordEvents();
    const provider = createJwksProvider({ jwksUri: issuer.jwksUri, onEvent: events.listener });

    await provider.getKey(kidFor('ES256'), 'ES256');

    expect(events.all).toEqual([{ type: 'jwks_fetched', uri: issuer.jwksUri, keyCount: 2 }]);
  });

  it('can back several verifiers through the keyProvider option, sharing one cache', async () => {
    const clock = createManualClock();
    const before = issuer.requests.jwks;
    const keyProvider = createJwksProvider({ jwksUri: issuer.jwksUri, clock: clock.now });
    const verifiers = ['https://api.example.test', 'https://other-api.example.test'].map((audience) =>
      createVerifier({ issuer: issuer.issuer, audience, keyProvider, clock: clock.now }),
    );

    for (const verifier of verifiers) {
      await verifier.verify(
        await issuer.signToken({ aud: ['https://api.example.test', 'https://other-api.example.test'] }),
      );
    }
    await expectRejection(keyProvider.getKey(randomKid(), 'ES256'), 'key_not_found');

    // One fetch for both verifiers, and the refetch an unknown kid makes at once after it.
    expect(issuer.requests.jwks - before).toBe(2);
  });
});
