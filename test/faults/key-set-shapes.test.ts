import type { JSONWebKeySet } from 'jose';
import { generateTestKey, type TestIssuer } from 'tokenwarden/testing';
import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../support/rejection.js';
import { COOLDOWN, setUpFaultyJwks } from './fault-fixtures.js';

/** The issuer's key set with every `kid` left out. */
function withoutKids(issuer: TestIssuer): () => JSONWebKeySet {
  return () => ({ keys: issuer.jwks().keys.map(({ kid: _kid, ...jwk }) => jwk) });
}

describe('RFC 7517 §4.5 a key set whose keys carry no kid, served by a real server', () => {
  it('verifies a token without kid against the single key that fits its alg', async () => {
    const setup = await setUpFaultyJwks({ keySet: withoutKids });
    const token = await setup.issuer.signToken({}, { kid: null });
    expect(await outcomeOf(setup.verifier, token)).toBe('verified');
  });

  it('refuses a token with a kid with key_not_found, refetching at most once per cooldown', async () => {
    const setup = await setUpFaultyJwks({ keySet: withoutKids });
    for (let request = 0; request < 10; request += 1) {
      expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('key_not_found');
    }
    setup.clock.advance(COOLDOWN);
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('key_not_found');
    // The first fetch starts the cooldown, so the unknown kid is refetched only once it is over.
    expect(setup.fetchAttempts()).toBe(2);
  });

  it('refuses a token without kid with key_not_found when two kid-less keys fit its alg', async () => {
    const setup = await setUpFaultyJwks({ keySet: withoutKids });
    await setup.issuer.rotateKeys({ keepPrevious: true });
    const token = await setup.issuer.signToken({}, { kid: null });
    expect(await outcomeOf(setup.verifier, token)).toBe('key_not_found');
  });
});

describe('RFC 7517 §4.5 a key set with duplicate kids, served by a real server', () => {
  it('tells keys of different types sharing a kid apart by the token alg', async () => {
    const setup = await setUpFaultyJwks({
      algorithms: ['ES256', 'RS256'],
      keySet: (issuer) => () => ({ keys: issuer.jwks().keys.map((jwk) => ({ ...jwk, kid: 'shared' })) }),
    });
    const es256 = await setup.issuer.signToken({}, { alg: 'ES256', kid: 'shared' });
    const rs256 = await setup.issuer.signToken({}, { alg: 'RS256', kid: 'shared' });
    expect(await outcomeOf(setup.verifier, es256)).toBe('verified');
    expect(await outcomeOf(setup.verifier, rs256)).toBe('verified');
    expect(setup.fetchAttempts()).toBe(1);
  });

  it('verifies with the first key when the duplicate that fits the same alg comes after it', async () => {
    const impostor = await generateTestKey('ES256');
    const setup = await setUpFaultyJwks({
      keySet: (issuer) => () => ({
        keys: [...issuer.jwks().keys, { ...impostor.publicJwk, kid: issuer.jwks().keys[0]?.kid }],
      }),
    });
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
  });

  it('refuses, as a client error and never a crash, a token whose key is listed second under a shared kid', async () => {
    const impostor = await generateTestKey('ES256');
    const setup = await setUpFaultyJwks({
      keySet: (issuer) => () => ({
        keys: [{ ...impostor.publicJwk, kid: issuer.jwks().keys[0]?.kid }, ...issuer.jwks().keys],
      }),
    });
    const outcomes = new Set<string>();
    for (let request = 0; request < 5; request += 1) {
      outcomes.add(await outcomeOf(setup.verifier, await setup.freshToken()));
    }
    // The first fitting key is the one used (key-set.ts selectKey), so its signature check fails.
    expect(outcomes).toEqual(new Set(['signature_invalid']));
    expect(setup.fetchAttempts()).toBe(1);
  });
});
