import { CompactSign } from 'jose';
import { type Algorithm, createVerifier, DEFAULT_ALGORITHMS, type VerifierOptions } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import {
  AUDIENCE,
  claimsWith,
  createKeyRing,
  DEFAULT_ALGORITHM_LIST,
  ISSUER,
  type KeyRing,
  signToken,
  verifierFor,
} from './fixtures.js';

let ring: KeyRing;
let testIssuer: TestIssuer;
beforeAll(async () => {
  ring = await createKeyRing();
  testIssuer = await createTestIssuer({ clock: () => NOW });
});
afterAll(async () => {
  await testIssuer.close();
});

const SECRET_32 = 'k'.repeat(32);

describe('createVerifier option validation', () => {
  function create(options: Partial<VerifierOptions>): () => unknown {
    return () => createVerifier({ issuer: ISSUER, audience: AUDIENCE, keySet: ring.keySet, ...options });
  }

  it('throws a TypeError when issuer is missing', () => {
    expect(create({ issuer: undefined as unknown as string })).toThrow(TypeError);
  });

  it('throws a TypeError when issuer is empty (a string or a list)', () => {
    expect(create({ issuer: '' })).toThrow(TypeError);
    expect(create({ issuer: [] })).toThrow(TypeError);
  });

  it('throws a TypeError when audience is missing', () => {
    expect(create({ audience: undefined as unknown as string })).toThrow(TypeError);
    expect(create({ audience: [] })).toThrow(TypeError);
  });

  it('throws a TypeError when algorithms lists "none"', () => {
    expect(create({ algorithms: ['RS256', 'none' as Algorithm] })).toThrow(TypeError);
  });

  it('throws a TypeError for an empty algorithms list', () => {
    expect(create({ algorithms: [] })).toThrow(TypeError);
  });

  it('throws a TypeError when HS256 is listed without a secret', () => {
    expect(create({ algorithms: ['HS256'] })).toThrow(/secret/);
  });

  it('throws a TypeError when the secret is shorter than the hash (RFC 7518 §3.2)', () => {
    expect(create({ algorithms: ['HS256'], secret: 'k'.repeat(31) })).toThrow(TypeError);
    expect(create({ algorithms: ['HS512'], secret: SECRET_32 })).toThrow(TypeError);
  });

  it('accepts HS256 with a secret of at least 32 bytes when listed', async () => {
    const verifier = verifierFor(ring, { algorithms: ['HS256'], secret: SECRET_32 });
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claimsWith())))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET_32));
    const { header } = await verifier.verify(token);
    expect(header.alg).toBe('HS256');
  });

  it('does not accept HS256 when only asymmetric algorithms are listed, even with a secret', async () => {
    const verifier = verifierFor(ring, { algorithms: ['RS256'], secret: SECRET_32 });
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claimsWith())))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET_32));
    await expectRejection(verifier.verify(token), 'algorithm_not_allowed');
  });
});

describe('the verified result', () => {
  it('returns the token, its header, claims, scopes and permissions', async () => {
    const token = await signToken(ring.keys.RS256, {
      scope: 'read:messages write:messages',
      permissions: ['delete:messages'],
    });
    const result = await verifierFor(ring).verify(token);
    expect(result.token).toBe(token);
    expect(result.header).toEqual({ alg: 'RS256', kid: ring.keys.RS256.kid, typ: 'at+jwt' });
    expect(result.claims).toEqual(
      claimsWith({ scope: 'read:messages write:messages', permissions: ['delete:messages'] }),
    );
    expect(result.scopes).toEqual(['read:messages', 'write:messages']);
    expect(result.permissions).toEqual(['delete:messages']);
  });

  it('lists RS256, PS256, ES256 and EdDSA as the default algorithms', () => {
    expect([...DEFAULT_ALGORITHMS]).toEqual([...DEFAULT_ALGORITHM_LIST]);
  });

  it.each(DEFAULT_ALGORITHM_LIST)('verifies an %s token with the default algorithms', async (alg) => {
    const token = await signToken(ring.keys[alg as keyof KeyRing['keys']]);
    const { header } = await verifierFor(ring).verify(token);
    expect(header.alg).toBe(alg);
  });

  it.each(['RS384', 'ES384', 'PS512'] as const)(
    'rejects an %s token by default and verifies it once listed in algorithms',
    async (alg) => {
      const token = await signToken(ring.keys[alg]);
      await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
      const verifier = verifierFor(ring, { algorithms: [...DEFAULT_ALGORITHMS, alg] });
      expect((await verifier.verify(token)).header.alg).toBe(alg);
    },
  );

  it('rejects a default algorithm that the algorithms option leaves out', async () => {
    const verifier = verifierFor(ring, { algorithms: ['ES256'] });
    await expectRejection(verifier.verify(await signToken(ring.keys.RS256)), 'algorithm_not_allowed');
  });

  it('picks the single fitting key when the token has no kid', async () => {
    const token = await signToken(ring.keys.EdDSA, {}, { kid: undefined });
    expect((await verifierFor(ring).verify(token)).header.kid).toBeUndefined();
  });

  it('refuses to guess between several fitting keys for a kid-less token', async () => {
    const token = await signToken(ring.keys.RS256, {}, { kid: undefined });
    const verifier = verifierFor(ring, {
      keySet: { keys: [ring.keys.RS256.publicJwk, ring.keys.PS256.publicJwk] },
    });
    const withoutAlgs = verifierFor(ring, {
      keySet: {
        keys: [ring.keys.RS256.publicJwk, ring.keys.PS256.publicJwk].map(({ alg: _alg, ...jwk }) => jwk),
      },
    });
    await expect(verifier.verify(token)).resolves.toBeDefined();
    await expectRejection(withoutAlgs.verify(token), 'key_not_found');
  });
});

describe('verifying against the test kit issuer (discovered key set)', () => {
  it('verifies a token minted by createTestIssuer through discovery', async () => {
    const verifier = createVerifier({
      issuer: testIssuer.issuer,
      audience: testIssuer.audience,
      clock: () => NOW,
    });
    const result = await verifier.verify(await testIssuer.signToken({ scope: 'read:messages' }));
    expect(result.claims.iss).toBe(testIssuer.issuer);
    expect(result.scopes).toEqual(['read:messages']);
  });

  it('rejects an unlisted iss before fetching any keys', async () => {
    const before = { ...testIssuer.requests };
    const verifier = createVerifier({
      issuer: testIssuer.issuer,
      audience: testIssuer.audience,
      clock: () => NOW,
    });
    const token = await testIssuer.signToken({ iss: 'https://unlisted.example.test/' });
    await expectRejection(verifier.verify(token), 'issuer_invalid');
    expect(testIssuer.requests).toEqual(before);
  });
});
