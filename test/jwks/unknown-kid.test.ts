import { createVerifier, type JwksCacheOptions, type Verifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { type EventRecorder, type KeySetFetchWatch, randomKid, watchKeySetFetches } from './jwks-fixtures.js';

let issuer: TestIssuer | undefined;

afterEach(async () => {
  await issuer?.close();
  issuer = undefined;
});

interface Setup {
  readonly issuer: TestIssuer;
  readonly clock: ManualClock;
  readonly events: EventRecorder;
  readonly fetches: KeySetFetchWatch;
  readonly verifier: Verifier;
}

async function setUp(jwksOptions?: JwksCacheOptions): Promise<Setup> {
  const clock = createManualClock();
  issuer = await createTestIssuer({ algorithms: ['ES256'], clock: clock.now });
  const fetches = watchKeySetFetches(issuer.jwksUri);
  const verifier = createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    clock: clock.now,
    fetch: fetches.fetch,
    jwksOptions,
    onEvent: fetches.events.listener,
  });
  return { issuer, clock, events: fetches.events, fetches, verifier };
}

/** A validly signed token whose header names a kid that is not in the key set. */
function tokenWithUnknownKid(testIssuer: TestIssuer): Promise<string> {
  return testIssuer.signToken({}, { kid: randomKid() });
}

describe('JWKS unknown kid: one refetch, then a cooldown', () => {
  it('refetches the key set once for an unknown kid', async () => {
    const { issuer, clock, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    clock.advance(30);

    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    expect(issuer.requests.jwks).toBe(2);
  });

  it('costs no more fetches for a flood of 1000 random kids during the 30 s cooldown', async () => {
    const { issuer, clock, events, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    clock.advance(30);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    expect(issuer.requests.jwks).toBe(2);

    const flood = await Promise.all(Array.from({ length: 1000 }, () => tokenWithUnknownKid(issuer)));
    // Spread the flood over 25 of the 30 cooldown seconds.
    for (const [index, token] of flood.entries()) {
      if (index % 40 === 39) clock.advance(1);
      await expectRejection(verifier.verify(token), 'key_not_found');
    }

    expect(issuer.requests.jwks).toBe(2);
    expect(events.ofType('jwks_cooldown')).toHaveLength(1000);
    expect(events.ofType('jwks_cooldown')[0]).toEqual({ type: 'jwks_cooldown', uri: issuer.jwksUri });
  });

  it('costs no fetch for concurrent unknown kids during the cooldown', async () => {
    const { issuer, clock, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    clock.advance(30);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');

    const flood = await Promise.all(Array.from({ length: 1000 }, () => tokenWithUnknownKid(issuer)));
    const outcomes = await Promise.allSettled(flood.map((token) => verifier.verify(token)));

    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(new Set(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason.code))).toEqual(
      new Set(['key_not_found']),
    );
    expect(issuer.requests.jwks).toBe(2);
  });

  it('allows exactly one more fetch once the cooldown is over', async () => {
    const { issuer, clock, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    clock.advance(30);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');

    clock.advance(29);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    expect(issuer.requests.jwks).toBe(2);

    clock.advance(1);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    expect(issuer.requests.jwks).toBe(3);
  });

  it('honours a configured cooldown', async () => {
    const { issuer, clock, verifier } = await setUp({ cooldown: 5 });
    await verifier.verify(await issuer.signToken());
    clock.advance(5);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    clock.advance(4);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    expect(issuer.requests.jwks).toBe(2);

    clock.advance(1);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    expect(issuer.requests.jwks).toBe(3);
  });

  it('keeps accepting tokens with known kids during the cooldown', async () => {
    const { issuer, clock, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    clock.advance(30);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');

    await expect(verifier.verify(await issuer.signToken({ sub: 'still-fine' }))).resolves.toMatchObject({
      claims: { sub: 'still-fine' },
    });
    expect(issuer.requests.jwks).toBe(2);
  });

  it('counts the first fetch of a cold cache as the refetch for an unknown kid', async () => {
    const { issuer, verifier } = await setUp();

    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });
  });
});

describe('JWKS rotation picked up at once: the cooldown only spaces unknown-kid refetches', () => {
  it('accepts a token signed by a key published 0.6 s after the first fetch, refetching at once', async () => {
    const { issuer, clock, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    await issuer.rotateKeys({ keepPrevious: true });
    clock.advance(0.6);

    await expect(verifier.verify(await issuer.signToken({ sub: 'new-key' }))).resolves.toMatchObject({
      claims: { sub: 'new-key' },
    });
    expect(issuer.requests.jwks).toBe(2);
  });

  it('refuses further unknown kids without fetching until a cooldown after that refetch', async () => {
    const { issuer, clock, events, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    await issuer.rotateKeys({ keepPrevious: true });
    clock.advance(0.5);
    await verifier.verify(await issuer.signToken());
    expect(issuer.requests.jwks).toBe(2);

    clock.advance(0.5);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    clock.advance(29.25);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    expect(issuer.requests.jwks).toBe(2);
    expect(events.ofType('jwks_cooldown')).toHaveLength(2);

    clock.advance(0.25);
    await expectRejection(verifier.verify(await tokenWithUnknownKid(issuer)), 'key_not_found');
    expect(issuer.requests.jwks).toBe(3);
  });

  it('refetches at once for a key published right after a scheduled refresh', async () => {
    const { issuer, clock, fetches, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    clock.advance(600);
    await verifier.verify(await issuer.signToken());
    await fetches.settled();
    await issuer.rotateKeys({ keepPrevious: true });
    clock.advance(1);

    await expect(verifier.verify(await issuer.signToken({ sub: 'new-key' }))).resolves.toMatchObject({
      claims: { sub: 'new-key' },
    });
    expect(issuer.requests.jwks).toBe(3);
  });

  it('costs one refetch per cooldown for 1000 random kids arriving right after the first fetch', async () => {
    const { issuer, clock, events, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    const flood = await Promise.all(Array.from({ length: 1000 }, () => tokenWithUnknownKid(issuer)));
    const fetchesPerWindow: number[] = [];

    // Two cooldown windows, each opened by an unknown kid and flooded for 25 of its 30 seconds.
    for (const window of [0, 1]) {
      const before = issuer.requests.jwks;
      clock.advance(window === 0 ? 0.5 : 5);
      for (const [index, token] of flood.entries()) {
        if (index % 40 === 39) clock.advance(1);
        await expectRejection(verifier.verify(token), 'key_not_found');
      }
      fetchesPerWindow.push(issuer.requests.jwks - before);
    }

    expect(fetchesPerWindow).toEqual([1, 1]);
    expect(events.ofType('jwks_cooldown')).toHaveLength(1998);
  });
});

describe('JWKS single flight: concurrent misses share one fetch', () => {
  it('fetches discovery and the key set once for 100 concurrent verifications on a cold cache', async () => {
    const { issuer, verifier } = await setUp();
    const tokens = await Promise.all(
      Array.from({ length: 100 }, (_, index) => issuer.signToken({ sub: `user-${index}` })),
    );

    const results = await Promise.all(tokens.map((token) => verifier.verify(token)));

    expect(results.map((result) => result.claims.sub)).toEqual(tokens.map((_, index) => `user-${index}`));
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it('refetches once for 100 concurrent tokens signed by a key it has not seen yet', async () => {
    const { issuer, clock, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    clock.advance(30);
    await issuer.rotateKeys();
    const tokens = await Promise.all(Array.from({ length: 100 }, () => issuer.signToken()));

    const outcomes = await Promise.allSettled(tokens.map((token) => verifier.verify(token)));

    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(100);
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 2 });
  });

  it('refreshes an expired key set once for 100 concurrent verifications', async () => {
    const { issuer, clock, fetches, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    clock.advance(600);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => issuer.signToken()));

    await Promise.all(tokens.map((token) => verifier.verify(token)));

    // The refresh runs in the background: wait for it before counting.
    await fetches.settled();
    expect(issuer.requests.jwks).toBe(2);
  });
});

describe('JWKS key rotation', () => {
  it('accepts a token signed by a new key after the refetch, without recreating the verifier', async () => {
    const { issuer, clock, events, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    clock.advance(30);

    await issuer.rotateKeys({ keepPrevious: true });
    const fromNewKey = await issuer.signToken({ sub: 'after-rotation' });

    await expect(verifier.verify(fromNewKey)).resolves.toMatchObject({ claims: { sub: 'after-rotation' } });
    expect(issuer.requests.jwks).toBe(2);
    expect(events.ofType('jwks_fetched').map((event) => event.keyCount)).toEqual([1, 2]);
  });

  it('accepts a key published within 30 s of the last fetch at once', async () => {
    const { issuer, clock, verifier } = await setUp();
    await verifier.verify(await issuer.signToken());
    await issuer.rotateKeys({ keepPrevious: true });

    clock.advance(10);
    await expect(verifier.verify(await issuer.signToken())).resolves.toBeDefined();
    clock.advance(20);
    await expect(verifier.verify(await issuer.signToken())).resolves.toBeDefined();
    expect(issuer.requests.jwks).toBe(2);
  });

  it('rejects a token from a removed key once the new key set is fetched', async () => {
    const { issuer, clock, verifier } = await setUp();
    const fromOldKey = await issuer.signToken();
    await verifier.verify(fromOldKey);
    clock.advance(30);

    await issuer.rotateKeys();
    await verifier.verify(await issuer.signToken());

    await expectRejection(verifier.verify(fromOldKey), 'key_not_found');
  });

  it('keeps accepting the previous key while the issuer still publishes it', async () => {
    const { issuer, clock, verifier } = await setUp();
    const fromOldKey = await issuer.signToken({ sub: 'old-key' });
    await verifier.verify(fromOldKey);
    clock.advance(30);

    await issuer.rotateKeys({ keepPrevious: true });
    await verifier.verify(await issuer.signToken());

    await expect(verifier.verify(fromOldKey)).resolves.toMatchObject({ claims: { sub: 'old-key' } });
  });

  it('picks up a rotation at the next scheduled refresh even without an unknown kid', async () => {
    const { issuer, clock, fetches, verifier } = await setUp();
    const fromOldKey = await issuer.signToken({}, { expiresIn: 7200 });
    await verifier.verify(fromOldKey);

    await issuer.rotateKeys();
    clock.advance(600);
    // Answered from the set in hand while the refresh runs in the background; refused once it is done.
    await verifier.verify(fromOldKey);
    await fetches.settled();
    expect(issuer.requests.jwks).toBe(2);
    await expectRejection(verifier.verify(fromOldKey), 'key_not_found');
  });
});
