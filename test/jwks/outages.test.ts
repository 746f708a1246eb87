import { delay, HttpResponse, http } from 'msw';
import { createVerifier, type JwksCacheOptions, type Verifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { createFaultServer, type EventRecorder, watchKeySetFetches } from './jwks-fixtures.js';

const faults = createFaultServer();
let issuer: TestIssuer | undefined;

beforeAll(() => faults.msw.listen({ onUnhandledRequest: 'bypass' }));
afterEach(async () => {
  faults.reset();
  await issuer?.close();
  issuer = undefined;
});
afterAll(() => faults.msw.close());

interface Setup {
  readonly issuer: TestIssuer;
  readonly clock: ManualClock;
  readonly events: EventRecorder;
  readonly verifier: Verifier;
  /** Mints a token at the current time and verifies it. */
  verifyFreshToken(): Promise<unknown>;
  /** Key set requests seen on the wire, answered by msw or by the issuer. */
  jwksRequests(): number;
  /** Makes every key set request fail with HTTP 500 until the handlers are reset. */
  takeJwksDown(): void;
  /** Resolves once every key set fetch started so far, background refreshes included, has ended. */
  settled(): Promise<void>;
}

async function setUp(jwksOptions?: JwksCacheOptions): Promise<Setup> {
  const clock = createManualClock();
  const testIssuer = await createTestIssuer({ algorithms: ['ES256'], clock: clock.now });
  issuer = testIssuer;
  const fetches = watchKeySetFetches(testIssuer.jwksUri);
  const verifier = createVerifier({
    issuer: testIssuer.issuer,
    audience: testIssuer.audience,
    clock: clock.now,
    fetch: fetches.fetch,
    jwksOptions,
    onEvent: fetches.events.listener,
  });
  return {
    issuer: testIssuer,
    clock,
    events: fetches.events,
    verifier,
    verifyFreshToken: async () => verifier.verify(await testIssuer.signToken()),
    jwksRequests: () => faults.requestsTo(testIssuer.jwksUri),
    takeJwksDown: () =>
      faults.msw.use(http.get(testIssuer.jwksUri, () => new HttpResponse('unavailable', { status: 500 }))),
    settled: fetches.settled,
  };
}

describe('JWKS down before the first fetch', () => {
  it('answers every request with jwks_unavailable (503), not a client error', async () => {
    const setup = await setUp();
    setup.takeJwksDown();

    for (let attempt = 0; attempt < 5; attempt += 1) {
      const error = await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
      expect(error.status).toBe(503);
      setup.clock.advance(10);
    }
  });

  it('retries the fetch at most once per cooldown', async () => {
    const setup = await setUp();
    setup.takeJwksDown();

    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    for (let attempt = 0; attempt < 50; attempt += 1) {
      await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    }
    setup.clock.advance(29);
    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    expect(setup.jwksRequests()).toBe(1);

    setup.clock.advance(1);
    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    expect(setup.jwksRequests()).toBe(2);
  });

  it('reports the failure with servingStale false', async () => {
    const setup = await setUp();
    setup.takeJwksDown();

    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');

    expect(setup.events.ofType('jwks_fetch_failed')).toEqual([
      {
        type: 'jwks_fetch_failed',
        uri: setup.issuer.jwksUri,
        reason: 'unexpected HTTP status 500',
        servingStale: false,
      },
    ]);
  });

  it('answers jwks_unavailable when the discovery document cannot be fetched', async () => {
    const setup = await setUp();
    faults.msw.use(http.get(`${setup.issuer.issuer}.well-known/*`, () => HttpResponse.error()));

    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    expect(setup.jwksRequests()).toBe(0);
    expect(setup.events.ofType('jwks_fetch_failed')[0]).toMatchObject({
      uri: setup.issuer.issuer,
      reason: 'network error',
    });
  });

  it('recovers on its own once the key set is back', async () => {
    const setup = await setUp();
    setup.takeJwksDown();
    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');

    faults.msw.resetHandlers();
    setup.clock.advance(30);

    await expect(setup.verifyFreshToken()).resolves.toBeDefined();
    expect(setup.issuer.requests.jwks).toBe(1);
  });
});

describe('JWKS down after the first fetch: stale-if-error, bounded', () => {
  it('keeps verifying with the cached keys when a refresh fails', async () => {
    const setup = await setUp();
    await setup.verifyFreshToken();
    setup.takeJwksDown();
    setup.clock.advance(600);

    await expect(setup.verifyFreshToken()).resolves.toBeDefined();
    await setup.settled();
    expect(setup.jwksRequests()).toBe(2);
  });

  it('reports the failed refresh with servingStale true', async () => {
    const setup = await setUp();
    await setup.verifyFreshToken();
    setup.takeJwksDown();
    setup.clock.advance(600);

    await setup.verifyFreshToken();
    await setup.settled();

    expect(setup.events.ofType('jwks_fetch_failed')).toEqual([
      {
        type: 'jwks_fetch_failed',
        uri: setup.issuer.jwksUri,
        reason: 'unexpected HTTP status 500',
        servingStale: true,
      },
    ]);
  });

  it('retries the refresh at most once per cooldown while serving stale keys', async () => {
    const setup = await setUp();
    await setup.verifyFreshToken();
    setup.takeJwksDown();
    setup.clock.advance(600);

    for (let second = 0; second < 30; second += 1) {
      await setup.verifyFreshToken();
      setup.clock.advance(1);
    }
    await setup.verifyFreshToken();
    await setup.settled();

    expect(setup.jwksRequests()).toBe(3);
  });

  it('fails closed with jwks_unavailable once staleIfError (default 1 hour) has passed', async () => {
    const setup = await setUp();
    await setup.verifyFreshToken();
    setup.takeJwksDown();

    setup.clock.advance(600 + 3599);
    await expect(setup.verifyFreshToken()).resolves.toBeDefined();

    setup.clock.advance(1);
    const error = await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    expect(error.status).toBe(503);
  });

  it('honours a configured staleIfError bound', async () => {
    const setup = await setUp({ staleIfError: 120 });
    await setup.verifyFreshToken();
    setup.takeJwksDown();

    setup.clock.advance(600 + 119);
    await expect(setup.verifyFreshToken()).resolves.toBeDefined();
    setup.clock.advance(1);
    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
  });

  it('serves no stale keys at all with staleIfError 0', async () => {
    const setup = await setUp({ staleIfError: 0 });
    await setup.verifyFreshToken();
    setup.takeJwksDown();
    setup.clock.advance(600);

    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
  });

  it('recovers on its own once the key set is back, even after failing closed', async () => {
    const setup = await setUp();
    await setup.verifyFreshToken();
    setup.takeJwksDown();
    setup.clock.advance(600 + 3600);
    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');

    faults.msw.resetHandlers();
    setup.clock.advance(30);

    await expect(setup.verifyFreshToken()).resolves.toBeDefined();
    expect(setup.issuer.requests.jwks).toBe(2);
    expect(setup.events.ofType('jwks_fetched')).toHaveLength(2);
  });

  it('waits the cooldown after a failed refresh before any retry, even one for an unknown kid', async () => {
    const setup = await setUp();
    await setup.verifyFreshToken();
    setup.takeJwksDown();
    setup.clock.advance(600);
    await setup.verifyFreshToken();
    await setup.settled();
    expect(setup.jwksRequests()).toBe(2);

    setup.clock.advance(29);
    const unknownKid = () => setup.issuer.signToken({}, { kid: 'not-published' });
    await expectRejection(setup.verifier.verify(await unknownKid()), 'key_not_found');
    await setup.settled();
    expect(setup.jwksRequests()).toBe(2);
    expect(setup.events.ofType('jwks_cooldown')).toHaveLength(1);

    setup.clock.advance(1);
    await expectRejection(setup.verifier.verify(await unknownKid()), 'key_not_found');
    expect(setup.jwksRequests()).toBe(3);
  });

  it('rejects an unknown kid with key_not_found, not 503, while serving stale keys', async () => {
    const setup = await setUp();
    await setup.verifyFreshToken();
    setup.takeJwksDown();
    setup.clock.advance(600);
    await setup.verifyFreshToken();
    setup.clock.advance(30);

    await expectRejection(
      setup.verifier.verify(await setup.issuer.signToken({}, { kid: 'not-published' })),
      'key_not_found',
    );
  });
});

describe('JWKS slow to answer: the fetch times out', () => {
  it('answers jwks_unavailable when the key set never arrives', async () => {
    const setup = await setUp({ timeoutMs: 500 });
    faults.msw.use(
      http.get(setup.issuer.jwksUri, async () => {
        await delay('infinite');
        return HttpResponse.json(setup.issuer.jwks());
      }),
    );

    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    expect(setup.events.ofType('jwks_fetch_failed')[0]?.reason).toBe('timed out after 500 ms');
  });

  it('answers jwks_unavailable when the key set arrives after timeoutMs', async () => {
    const setup = await setUp({ timeoutMs: 500 });
    faults.msw.use(
      http.get(setup.issuer.jwksUri, async () => {
        await delay(3000);
        return HttpResponse.json(setup.issuer.jwks());
      }),
    );

    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    expect(setup.events.ofType('jwks_fetch_failed')[0]?.reason).toBe('timed out after 500 ms');
  });

  it('answers jwks_unavailable when discovery never answers', async () => {
    const setup = await setUp({ timeoutMs: 500 });
    faults.msw.use(
      http.get(`${setup.issuer.issuer}.well-known/*`, async () => {
        await delay('infinite');
        return HttpResponse.json({});
      }),
    );

    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    expect(setup.jwksRequests()).toBe(0);
  });

  it('keeps serving the cached keys when a refresh times out', async () => {
    const setup = await setUp({ timeoutMs: 500 });
    await setup.verifyFreshToken();
    faults.msw.use(
      http.get(setup.issuer.jwksUri, async () => {
        await delay('infinite');
        return HttpResponse.json(setup.issuer.jwks());
      }),
    );
    setup.clock.advance(600);

    await expect(setup.verifyFreshToken()).resolves.toBeDefined();
    await setup.settled();
    expect(setup.events.ofType('jwks_fetch_failed')[0]?.servingStale).toBe(true);
  });
});

const MAX_RESPONSE_BYTES = 4096;

/** Key set responses that must count as a failed fetch, each with a valid key set nowhere in sight. */
const garbageResponses: ReadonlyArray<{
  readonly name: string;
  readonly respond: (testIssuer: TestIssuer) => Response;
}> = [
  {
    name: 'an HTML error page with status 200',
    respond: () => HttpResponse.html('<html><body>Service unavailable</body></html>'),
  },
  { name: 'an empty JSON object', respond: () => HttpResponse.json({}) },
  { name: 'a JSON array', respond: () => HttpResponse.json([]) },
  { name: 'a key set with no keys', respond: () => HttpResponse.json({ keys: [] }) },
  { name: 'keys that is not an array', respond: () => HttpResponse.json({ keys: 'none' }) },
  {
    name: 'a key set holding only a symmetric key',
    respond: () => HttpResponse.json({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }] }),
  },
  { name: 'HTTP 500', respond: () => new HttpResponse('boom', { status: 500 }) },
  { name: 'HTTP 404', respond: () => new HttpResponse(null, { status: 404 }) },
  {
    name: 'a valid key set padded beyond maxResponseBytes',
    respond: (testIssuer) =>
      HttpResponse.json({ ...testIssuer.jwks(), padding: 'x'.repeat(MAX_RESPONSE_BYTES) }),
  },
  {
    name: 'a valid key set streamed beyond maxResponseBytes without Content-Length',
    respond: (testIssuer) => {
      const text = JSON.stringify({ ...testIssuer.jwks(), padding: 'x'.repeat(MAX_RESPONSE_BYTES) });
      const bytes = new TextEncoder().encode(text);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 512) {
            controller.enqueue(bytes.slice(offset, offset + 512));
          }
          controller.close();
        },
      });
      return new HttpResponse(stream, { headers: { 'content-type': 'application/json' } });
    },
  },
];

describe('JWKS garbage responses count as failures', () => {
  it('accepts a valid key set just under maxResponseBytes', async () => {
    const setup = await setUp({ maxResponseBytes: MAX_RESPONSE_BYTES });
    faults.msw.use(
      http.get(setup.issuer.jwksUri, () => {
        const body = JSON.stringify(setup.issuer.jwks());
        const padded = { ...setup.issuer.jwks(), padding: 'x'.repeat(MAX_RESPONSE_BYTES - body.length - 20) };
        return HttpResponse.json(padded);
      }),
    );

    await expect(setup.verifyFreshToken()).resolves.toBeDefined();
  });

  it.each(garbageResponses)('answers jwks_unavailable on a cold cache for $name', async ({ respond }) => {
    const setup = await setUp({ maxResponseBytes: MAX_RESPONSE_BYTES });
    faults.msw.use(http.get(setup.issuer.jwksUri, () => respond(setup.issuer)));

    await expectRejection(setup.verifyFreshToken(), 'jwks_unavailable');
    expect(setup.jwksRequests()).toBe(1);
    expect(setup.events.ofType('jwks_fetch_failed')).toHaveLength(1);
    expect(setup.events.ofType('jwks_fetched')).toHaveLength(0);
  });

  it.each(garbageResponses)('keeps the cached keys on a refresh that returns $name', async ({ respond }) => {
    const setup = await setUp({ maxResponseBytes: MAX_RESPONSE_BYTES });
    await setup.verifyFreshToken();
    faults.msw.use(http.get(setup.issuer.jwksUri, () => respond(setup.issuer)));
    setup.clock.advance(600);

    await expect(setup.verifyFreshToken()).resolves.toBeDefined();
    await setup.settled();
    expect(setup.jwksRequests()).toBe(2);
    expect(setup.events.ofType('jwks_fetch_failed')).toEqual([
      expect.objectContaining({ uri: setup.issuer.jwksUri, servingStale: true }),
    ]);
  });
});
