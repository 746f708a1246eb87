import { createVerifier, type TokenwardenEvent } from 'tokenwarden';
import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../src/verified-token-cache.js';
import { fixedClock, NOW } from '../support/clock.js';
import { signJws } from '../support/jws.js';

// The bounded version of bench/memory.ts: many distinct valid tokens through one verifier must leave
// no more than the cache's limits behind. HS256 tokens built by hand keep minting cheap; the verifier
// still checks every signature through jose.
const ISSUER = 'https://issuer.example.test/';
const AUDIENCE = 'https://api.example.test';
const SECRET = 'a-shared-secret-of-thirty-two-bytes!';
const SECRET_BYTES = new TextEncoder().encode(SECRET);
const MAX_ENTRIES = 1000;
const TOKENS = 20_000;
const CHECKPOINT = 2000;

/** A valid HS256 access token (RFC 7515 §7.1), distinct for each `n`. */
function tokenFor(n: number): string {
  const claims = { iss: ISSUER, aud: AUDIENCE, sub: `user-${n}`, iat: NOW, exp: NOW + 3600, jti: `${n}` };
  return signJws({ alg: 'HS256', secret: SECRET_BYTES }, { alg: 'HS256', typ: 'at+jwt' }, claims);
}

describe('verified-token cache bounds under many distinct tokens', () => {
  it('never holds more than maxEntries tokens', () => {
    const cache = new VerifiedTokenCache({ maxEntries: MAX_ENTRIES });
    const key = new Uint8Array(32);
    let largest = 0;
    for (let n = 0; n < TOKENS; n += 1) {
      const token = tokenFor(n);
      const result = {
        token,
        header: { alg: 'HS256' },
        claims: {},
        scopes: [],
        permissions: [],
        scheme: 'Bearer' as const,
      };
      cache.set({ result, key, provider: undefined, cachedAt: NOW });
      largest = Math.max(largest, cache.size);
    }
    expect(largest).toBe(MAX_ENTRIES);
  });

  it(`answers from the cache for at most maxEntries of ${TOKENS} verified tokens at every checkpoint`, async () => {
    let cachedHits = 0;
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      secret: SECRET,
      algorithms: ['HS256'],
      clock: fixedClock,
      cache: { maxEntries: MAX_ENTRIES },
      onEvent: (event: TokenwardenEvent) => {
        if (event.type === 'token_verified' && event.cached) cachedHits += 1;
      },
    });
    const hitsAtCheckpoints: number[] = [];
    for (let start = 0; start < TOKENS; start += CHECKPOINT) {
      for (let n = start; n < start + CHECKPOINT; n += 1) {
        const verified = await verifier.verify(tokenFor(n));
        expect(verified.claims.jti).toBe(`${n}`);
      }
      // Newest first: each hit only moves an entry to the front, so every held token of this window
      // answers from the cache before any miss can add or evict one.
      cachedHits = 0;
      for (let n = start + CHECKPOINT - 1; n >= start; n -= 1) await verifier.verify(tokenFor(n));
      hitsAtCheckpoints.push(cachedHits);
    }
    expect(hitsAtCheckpoints).toEqual(Array.from({ length: TOKENS / CHECKPOINT }, () => MAX_ENTRIES));
  });
});
