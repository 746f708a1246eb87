import { createVerifier, type Verifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import {
  createKeyServerStub,
  type KeyServerStub,
  type KeySetFetchWatch,
  watchKeySetFetches,
} from './jwks-fixtures.js';

/**
 * The fetch deadline in these tests: far beyond the test timeout, so a request that waited for a key
 * server that never answers would make its test fail by timing out.
 */
const LONGER_THAN_ANY_TEST_MS = 60_000;

/** The stub serves `max-age=600`; 80 % of it is the point where a refresh ahead of expiry starts. */
const MAX_AGE = 600;
const REFRESH_AHEAD_POINT = 480;

let issuer: TestIssuer | undefined;
let keyServer: KeyServerStub | undefined;

afterEach(async () => {
  keyServer?.release();
  keyServer = undefined;
  await issuer?.close();
  issuer = undefined;
});

interface Setup {
  readonly issuer: TestIssuer;
  readonly keyServer: KeyServerStub;
  readonly fetches: KeySetFetchWatch;
  readonly clock: ManualClock;
  readonly verifier: Verifier;
}

/** A verifier whose key set comes from a stub key server, with the verified-token cache unless turned off. */
async function setUp(options: { readonly cache?: false } = {}): Promise<Setup> {
  const clock = createManualClock();
  const testIssuer = await createTestIssuer({ algorithms: ['ES256'], clock: clock.now });
  issuer = testIssuer;
  const stub = createKeyServerStub(() => testIssuer.jwks());
  keyServer = stub;
  const fetches = watchKeySetFetches(stub.jwksUri, { fetch: stub.fetch });
  const verifier = createVerifier({
    issuer: testIssuer.issuer,
    audience: testIssuer.audience,
    jwksUri: stub.jwksUri,
    fetch: fetches.fetch,
    clock: clock.now,
    cache: options.cache,
    jwksOptions: { timeoutMs: LONGER_THAN_ANY_TEST_MS },
    onEvent: fetches.events.listener,
  });
  return { issuer: testIssuer, keyServer: stub, fetches, clock, verifier };
}

describe('JWKS stale-while-revalidate: a token whose key is at hand never waits for the key server', () => {
  it('answers from a key set due for refresh at once while the key server never answers', async () => {
    const setup = await setUp();
    await setup.verifier.verify(await setup.issuer.signToken());
    setup.keyServer.state = 'black-hole';
    setup.clock.advance(MAX_AGE);

    await expect(setup.verifier.verify(await setup.issuer.signToken({ sub: 'due' }))).resolves.toMatchObject({
      claims: { sub: 'due' },
    });
    expect(setup.fetches.started()).toBe(2);
  });

  it('answers a cached token from a key set due for refresh at once, and starts the refresh', async () => {
    const setup = await setUp();
    const token = await setup.issuer.signToken({}, { expiresIn: 7200 });
    await setup.verifier.verify(token);
    setup.keyServer.state = 'black-hole';
    setup.clock.advance(MAX_AGE);

    await expect(setup.verifier.verify(token)).resolves.toMatchObject({ token });
    expect(setup.fetches.events.ofType('token_verified').map((event) => event.cached)).toEqual([false, true]);
    expect(setup.fetches.started()).toBe(2);
  });

  it('starts one background refresh for 100 concurrent requests on a key set due for refresh', async () => {
    const setup = await setUp({ cache: false });
    await setup.verifier.verify(await setup.issuer.signToken());
    setup.keyServer.state = 'black-hole';
    setup.clock.advance(MAX_AGE);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => setup.issuer.signToken()));

    const results = await Promise.all(tokens.map((token) => setup.verifier.verify(token)));

    expect(results).toHaveLength(100);
    expect(setup.fetches.started()).toBe(2);
  });

  it('refreshes ahead of expiry: a request after 80 % of max-age starts a background refresh', async () => {
    const setup = await setUp();
    await setup.verifier.verify(await setup.issuer.signToken());
    setup.keyServer.state = 'black-hole';

    setup.clock.advance(REFRESH_AHEAD_POINT - 1);
    await setup.verifier.verify(await setup.issuer.signToken());
    expect(setup.fetches.started()).toBe(1);

    setup.clock.advance(1);
    await setup.verifier.verify(await setup.issuer.signToken());
    expect(setup.fetches.started()).toBe(2);
  });

  it('uses the refreshed set once the refresh ahead of expiry completes, with no request waiting', async () => {
    const setup = await setUp({ cache: false });
    await setup.verifier.verify(await setup.issuer.signToken());
    setup.clock.advance(REFRESH_AHEAD_POINT);
    await setup.verifier.verify(await setup.issuer.signToken());
    await setup.fetches.settled();
    setup.keyServer.state = 'black-hole';

    // Fresh again for a full max-age from the refresh: no request waits, none starts a fetch.
    setup.clock.advance(REFRESH_AHEAD_POINT - 1);
    await setup.verifier.verify(await setup.issuer.signToken());
    expect(setup.fetches.started()).toBe(2);
    expect(setup.fetches.events.ofType('jwks_fetched')).toHaveLength(2);
  });

  it('refuses a token whose key the background refresh removed, once that refresh completes', async () => {
    const setup = await setUp();
    const cached = await setup.issuer.signToken({}, { expiresIn: 7200 });
    const uncached = await setup.issuer.signToken({}, { expiresIn: 7200 });
    await setup.verifier.verify(cached);
    await setup.issuer.rotateKeys();
    setup.clock.advance(REFRESH_AHEAD_POINT);

    // Answered from the set in hand while the refresh that drops its key is under way.
    await expect(setup.verifier.verify(cached)).resolves.toMatchObject({ token: cached });
    expect(setup.fetches.started()).toBe(2);
    await setup.fetches.settled();

    await expectRejection(setup.verifier.verify(cached), 'key_not_found');
    await expectRejection(setup.verifier.verify(uncached), 'key_not_found');
  });

  it('still fails closed with jwks_unavailable past staleIfError while a background refresh hangs', async () => {
    const setup = await setUp();
    await setup.verifier.verify(await setup.issuer.signToken());
    setup.keyServer.state = 'black-hole';
    setup.clock.advance(MAX_AGE);
    await setup.verifier.verify(await setup.issuer.signToken());

    setup.clock.advance(3600);
    const pastStaleIfError = setup.verifier.verify(await setup.issuer.signToken());
    setup.keyServer.release();

    const error = await expectRejection(pastStaleIfError, 'jwks_unavailable');
    expect(error.status).toBe(503);
  });

  it('reports a failed background refresh as jwks_fetch_failed, never as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const setup = await setUp();
      await setup.verifier.verify(await setup.issuer.signToken());
      setup.keyServer.state = 'throws';
      setup.clock.advance(MAX_AGE);

      await expect(setup.verifier.verify(await setup.issuer.signToken())).resolves.toBeDefined();
      await setup.fetches.settled();
      // Node reports an unhandled rejection once the microtasks of a turn have run: let one turn pass.
      await new Promise((resolve) => setImmediate(resolve));

      expect(setup.fetches.events.ofType('jwks_fetch_failed')).toEqual([
        {
          type: 'jwks_fetch_failed',
          uri: setup.keyServer.jwksUri,
          reason: 'network error',
          servingStale: true,
        },
      ]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
