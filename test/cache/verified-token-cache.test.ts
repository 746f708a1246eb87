import {
  type AsymmetricAlgorithm,
  createStaticKeyProvider,
  createVerifier,
  type KeyProvider,
} from 'tokenwarden';
import { createTestIssuer, generateTestKey, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../src/verified-token-cache.js';
import { watchKeySetFetches } from '../jwks/jwks-fixtures.js';
import { createManualClock, fixedClock, NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';

/** A key provider that counts how often a key was asked for: each ask is a full verification. */
function countingProvider(inner: KeyProvider): KeyProvider & { calls: number } {
  const counting = {
    calls: 0,
    getKey(kid: string | undefined, alg: AsymmetricAlgorithm) {
      counting.calls += 1;
      return inner.getKey(kid, alg);
    },
    isCurrentKey: inner.isCurrentKey?.bind(inner),
  };
  return counting;
}

describe('verified-token cache', () => {
  let issuer: TestIssuer;
  const clock = createManualClock();

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'], clock: clock.now });
  });
  beforeEach(() => clock.set(NOW));
  afterAll(() => issuer.close());

  function verifierWith(keyProvider: KeyProvider, extra: Record<string, unknown> = {}) {
    return createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keyProvider,
      clock: clock.now,
      ...extra,
    });
  }

  it('verifies a repeated token once and answers later requests from the cache', async () => {
    const provider = countingProvider(createStaticKeyProvider(issuer.jwks()));
    const verifier = verifierWith(provider);
    const token = await issuer.signToken({ scope: 'read:messages' });
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(provider.calls).toBe(1);
    expect(second).toBe(first);
    expect(second.scopes).toEqual(['read:messages']);
  });

  it('still checks expiry against the clock on every hit', async () => {
    const verifier = verifierWith(createStaticKeyProvider(issuer.jwks()));
    const token = await issuer.signToken({}, { expiresIn: 120 });
    await verifier.verify(token);
    clock.advance(120 + 61);
    await expectRejection(verifier.verify(token), 'token_expired');
  });

  it('runs validateClaims on every hit', async () => {
    let allowed = true;
    const verifier = verifierWith(createStaticKeyProvider(issuer.jwks()), { validateClaims: () => allowed });
    const token = await issuer.signToken();
    await verifier.verify(token);
    allowed = false;
    await expectRejection(verifier.verify(token), 'claim_invalid');
  });

  it('does not cache a token that failed verification', async () => {
    const provider = countingProvider(createStaticKeyProvider(issuer.jwks()));
    const verifier = verifierWith(provider);
    const forged = await issuer.signToken({}, { untrustedKey: true });
    await expectRejection(verifier.verify(forged), 'signature_invalid');
    await expectRejection(verifier.verify(forged), 'signature_invalid');
    expect(provider.calls).toBe(2);
  });

  it('keeps verifiers isolated: a token cached by one is judged afresh by another', async () => {
    const token = await issuer.signToken();
    await verifierWith(createStaticKeyProvider(issuer.jwks())).verify(token);
    const otherApi = createVerifier({
      issuer: issuer.issuer,
      audience: 'https://other-api.example.test',
      keySet: issuer.jwks(),
      clock: clock.now,
    });
    await expectRejection(otherApi.verify(token), 'audience_invalid');
  });

  it('refuses a token that only ends like a cached one: same signature, other payload', async () => {
    const provider = countingProvider(createStaticKeyProvider(issuer.jwks()));
    const verifier = verifierWith(provider);
    const token = await issuer.signToken({ scope: 'read:messages' });
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const altered = Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url');
    const spliced = `${header}.${altered}.${signature}`;
    await expectRejection(verifier.verify(spliced), 'signature_invalid');
    expect(provider.calls).toBe(2);
    // The failed look-alike neither replaced nor evicted the genuine entry.
    expect((await verifier.verify(token)).scopes).toEqual(['read:messages']);
    expect(provider.calls).toBe(2);
  });

  it('hands out frozen results, so one request cannot change what the next is told', async () => {
    const verifier = verifierWith(createStaticKeyProvider(issuer.jwks()));
    const token = await issuer.signToken({ scope: 'read:messages', roles: ['reader'] });
    const first = await verifier.verify(token);
    expect(() => {
      (first.claims as Record<string, unknown>).aud = 'https://other-api.example.test';
    }).toThrow(TypeError);
    expect(() => (first.claims.roles as string[]).push('admin')).toThrow(TypeError);
    expect(() => (first.scopes as string[]).push('admin')).toThrow(TypeError);
    const second = await verifier.verify(token);
    expect(second.claims.aud).toBe(issuer.audience);
    expect(second.claims.roles).toEqual(['reader']);
    expect(second.scopes).toEqual(['read:messages']);
  });

  it('verifies every time when turned off', async () => {
    const provider = countingProvider(createStaticKeyProvider(issuer.jwks()));
    const verifier = verifierWith(provider, { cache: false });
    const token = await issuer.signToken();
    await verifier.verify(token);
    await verifier.verify(token);
    expect(provider.calls).toBe(2);
  });

  it('re-verifies after the configured ttl', async () => {
    const provider = countingProvider(createStaticKeyProvider(issuer.jwks()));
    const verifier = verifierWith(provider, { cache: { ttl: 30 } });
    const token = await issuer.signToken();
    await verifier.verify(token);
    clock.advance(29);
    await verifier.verify(token);
    expect(provider.calls).toBe(1);
    clock.advance(1);
    await verifier.verify(token);
    expect(provider.calls).toBe(2);
  });

  it('gives no caching to a key provider that cannot say whether a key is current', async () => {
    const inner = createStaticKeyProvider(issuer.jwks());
    const provider = countingProvider({ getKey: (kid, alg) => inner.getKey(kid, alg) });
    const verifier = verifierWith(provider);
    const token = await issuer.signToken();
    await verifier.verify(token);
    await verifier.verify(token);
    expect(provider.calls).toBe(2);
  });

  it('caches tokens verified with the HMAC secret', async () => {
    const { CompactSign } = await import('jose');
    const secret = 'a-test-secret-of-at-least-32-bytes!!';
    const payload = { iss: issuer.issuer, aud: issuer.audience, exp: clock.now() + 60 };
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret));
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      secret,
      algorithms: ['HS256'],
      keySet: { keys: [] },
      clock: clock.now,
    });
    expect((await verifier.verify(token)).claims.exp).toBe(clock.now() + 60);
    expect(await verifier.verify(token)).toBeDefined();
  });
});

describe('verified-token cache and key rotation', () => {
  it('stops honouring a cached token once its key is removed from the JWKS', async () => {
    const clock = createManualClock();
    const issuer = await createTestIssuer({ algorithms: ['ES256'], clock: clock.now });
    try {
      const fetches = watchKeySetFetches(issuer.jwksUri);
      const verifier = createVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        clock: clock.now,
        fetch: fetches.fetch,
        onEvent: fetches.events.listener,
      });
      const token = await issuer.signToken({}, { expiresIn: 86_400 });
      await verifier.verify(token);
      await verifier.verify(token);
      expect(issuer.requests.jwks).toBe(1);
      await issuer.rotateKeys();
      // Within the key set's freshness the cached verification stands, as a full verify would.
      clock.advance(300);
      await verifier.verify(token);
      expect(issuer.requests.jwks).toBe(1);
      // Once the set is due (max-age=600), a hit is answered from it while it is refetched in the
      // background; once that refetch completes, the hit falls through to a full verify, which refuses.
      clock.advance(301);
      await verifier.verify(token);
      await fetches.settled();
      expect(issuer.requests.jwks).toBe(2);
      await expectRejection(verifier.verify(token), 'key_not_found');
    } finally {
      await issuer.close();
    }
  });

  it('keeps a cached token valid across a refetch that keeps its key', async () => {
    const clock = createManualClock();
    const issuer = await createTestIssuer({ algorithms: ['ES256'], clock: clock.now });
    try {
      const fetches = watchKeySetFetches(issuer.jwksUri);
      const verifier = createVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        clock: clock.now,
        fetch: fetches.fetch,
        onEvent: fetches.events.listener,
      });
      const token = await issuer.signToken({}, { expiresIn: 86_400 });
      await verifier.verify(token);
      await issuer.rotateKeys({ keepPrevious: true });
      clock.advance(601);
      expect((await verifier.verify(token)).token).toBe(token);
      // The refetch runs in the background: wait for it, then the token still stands.
      await fetches.settled();
      expect(issuer.requests.jwks).toBe(2);
      expect((await verifier.verify(token)).token).toBe(token);
    } finally {
      await issuer.close();
    }
  });
});

/** A cache entry for `token` as if verified with an HMAC secret (no key provider). */
function secretEntryFor(token: string) {
  return {
    result: {
      token,
      header: { alg: 'HS256' },
      claims: {},
      scopes: [],
      permissions: [],
      scheme: 'Bearer' as const,
    },
    key: new Uint8Array(32),
    provider: undefined,
    cachedAt: 0,
  };
}

describe('VerifiedTokenCache bounds', () => {
  it('holds no more than maxEntries tokens under a flood of distinct tokens', async () => {
    const { publicJwk } = await generateTestKey('ES256');
    const cache = new VerifiedTokenCache({ maxEntries: 100 });
    const provider = createStaticKeyProvider({ keys: [publicJwk] });
    const key = await provider.getKey(publicJwk.kid, 'ES256');
    for (let i = 0; i < 1000; i += 1) {
      const token = `token-${i}`;
      const result = {
        token,
        header: { alg: 'ES256' },
        claims: {},
        scopes: [],
        permissions: [],
        scheme: 'Bearer' as const,
      };
      cache.set({ result, key, provider, cachedAt: 0 });
    }
    expect(cache.size).toBe(100);
  });

  it('keeps tokens that end alike apart: the later replaces the earlier, a delete spares the other', () => {
    const cache = new VerifiedTokenCache();
    const tail = 's'.repeat(64);
    const first = `first.${tail}`;
    const second = `second.${tail}`;
    cache.set(secretEntryFor(first));
    expect(cache.get(second, 0)).toBeUndefined();
    cache.delete(second);
    expect(cache.get(first, 0)?.result.token).toBe(first);
    cache.set(secretEntryFor(second));
    expect(cache.get(first, 0)).toBeUndefined();
    expect(cache.get(second, 0)?.result.token).toBe(second);
    expect(cache.size).toBe(1);
  });

  it('holds no more than maxBytes worth of tokens', () => {
    const cache = new VerifiedTokenCache({ maxEntries: 10_000, maxBytes: 64 * 1024 });
    for (let i = 0; i < 1000; i += 1) cache.set(secretEntryFor(`${'x'.repeat(4000)}${i}`));
    // Each entry is about 9 KiB (4 KiB of text as UTF-16 plus overhead), so 64 KiB holds 7.
    expect(cache.size).toBeLessThanOrEqual(7);
    expect(cache.size).toBeGreaterThan(0);
  });
});

describe('verification events', () => {
  it('reports each verification, cached or not, and each rejection with its code', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
    try {
      const events: unknown[] = [];
      const verifier = createVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keySet: issuer.jwks(),
        clock: fixedClock,
        onEvent: (event) => events.push(event),
      });
      const token = await issuer.signToken({ sub: 'alice' });
      await verifier.verify(token);
      await verifier.verify(token);
      await expect(verifier.verify(await issuer.signToken({ aud: 'elsewhere' }))).rejects.toThrow();
      await expect(
        verifier.authenticate({ method: 'GET', url: '/', header: () => undefined }),
      ).rejects.toThrow();
      expect(events).toEqual([
        { type: 'token_verified', issuer: issuer.issuer, subject: 'alice', cached: false },
        { type: 'token_verified', issuer: issuer.issuer, subject: 'alice', cached: true },
        {
          type: 'token_rejected',
          code: 'audience_invalid',
          detail: { claim: 'aud', expected: [issuer.audience], actual: ['elsewhere'] },
        },
        { type: 'token_rejected', code: 'token_missing', detail: undefined },
      ]);
    } finally {
      await issuer.close();
    }
  });
});
