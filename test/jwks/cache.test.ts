import { HttpResponse, http } from 'msw';
import { createVerifier, type JwksCacheOptions, type Verifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../support/clock.js';
import { createFaultServer, watchKeySetFetches } from './jwks-fixtures.js';

const faults = createFaultServer();
const issuers: TestIssuer[] = [];

beforeAll(() => faults.msw.listen({ onUnhandledRequest: 'bypass' }));
afterEach(() => faults.reset());
afterAll(async () => {
  faults.msw.close();
  await Promise.all(issuers.map((issuer) => issuer.close()));
});

interface Setup {
  readonly issuer: TestIssuer;
  readonly clock: ManualClock;
  readonly verifier: Verifier;
  /** Resolves once every key set fetch started so far, background refreshes included, has ended. */
  settled(): Promise<void>;
}

/** A request after this share of the freshness lifetime starts a background refresh (ahead of expiry). */
const REFRESH_AHEAD = 0.8;

async function setUp(
  cacheControl?: string,
  jwksOptions?: JwksCacheOptions,
  extraHeaders?: Readonly<Record<string, string>>,
): Promise<Setup> {
  const clock = createManualClock();
  const issuer = await createTestIssuer({ algorithms: ['ES256', 'RS256'], clock: clock.now, cacheControl });
  issuers.push(issuer);
  const fetches = watchKeySetFetches(issuer.jwksUri, {
    fetch: extraHeaders === undefined ? undefined : withResponseHeaders(issuer.jwksUri, extraHeaders),
  });
  const verifier = createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    clock: clock.now,
    fetch: fetches.fetch,
    jwksOptions,
    onEvent: fetches.events.listener,
  });
  return { issuer, clock, verifier, settled: fetches.settled };
}

/** `fetch`, adding `headers` to the key set's responses, as a cache in front of it would. */
function withResponseHeaders(jwksUri: string, headers: Readonly<Record<string, string>>): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (String(input instanceof Request ? input.url : input) !== jwksUri) return response;
    const merged = new Headers(response.headers);
    for (const [name, value] of Object.entries(headers)) merged.set(name, value);
    return new Response(await response.arrayBuffer(), { status: response.status, headers: merged });
  };
}

/**
 * The key set, fetched for a first token, is refetched in the background once `REFRESH_AHEAD` of
 * `freshness` seconds has passed, and not a second before. `fetches` counts key set requests.
 */
async function expectRefreshAt(
  setup: Setup,
  freshness: number,
  fetches: () => number = () => setup.issuer.requests.jwks,
): Promise<void> {
  await verifyFreshToken(setup);

  setup.clock.advance(REFRESH_AHEAD * freshness - 1);
  await verifyFreshToken(setup);
  await setup.settled();
  expect(fetches()).toBe(1);

  setup.clock.advance(1);
  await verifyFreshToken(setup);
  await setup.settled();
  expect(fetches()).toBe(2);
}

/** Verifies a freshly minted token, so the token itself never expires while the clock moves. */
async function verifyFreshToken({ issuer, verifier }: Setup): Promise<void> {
  await expect(verifier.verify(await issuer.signToken())).resolves.toMatchObject({
    claims: { iss: issuer.issuer },
  });
}

describe('JWKS cache: keys are fetched once and reused', () => {
  it('serves many verifications of tokens with known kids from a single key set fetch', async () => {
    const { issuer, verifier } = await setUp();
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, index) => issuer.signToken({}, { alg: index % 2 ? 'RS256' : 'ES256' })),
    );
    for (const token of tokens) await verifier.verify(token);
    for (const token of tokens) await verifier.verify(token);

    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });
  });
});

describe('JWKS cache: freshness follows Cache-Control max-age (RFC 9111 §5.2.2.1)', () => {
  it('refetches once 80 % of max-age has elapsed, not before', async () => {
    const setup = await setUp('max-age=300');
    await expectRefreshAt(setup, 300);
  });

  it('clamps a short max-age up to minMaxAge', async () => {
    const setup = await setUp('max-age=5', { minMaxAge: 120 });
    await expectRefreshAt(setup, 120);
  });

  it('counts the Age a cache in front already held the response against its max-age (RFC 9111 §4.2.3)', async () => {
    const setup = await setUp('max-age=300', undefined, { age: '200' });
    await expectRefreshAt(setup, 100);
  });

  it('ignores an Age that is not a number of seconds', async () => {
    const setup = await setUp('max-age=300', undefined, { age: 'soon' });
    await verifyFreshToken(setup);

    setup.clock.advance(REFRESH_AHEAD * 300 - 1);
    await verifyFreshToken(setup);
    await setup.settled();
    expect(setup.issuer.requests.jwks).toBe(1);
  });

  it('treats no-store as max-age 0, clamped up to minMaxAge', async () => {
    const setup = await setUp('no-store', { minMaxAge: 90 });
    await expectRefreshAt(setup, 90);
  });

  it('clamps a long max-age down to maxMaxAge', async () => {
    const setup = await setUp('max-age=31536000', { maxMaxAge: 3600 });
    await expectRefreshAt(setup, 3600);
  });

  it('clamps a long max-age down to 24 hours by default', async () => {
    const setup = await setUp('max-age=31536000');
    await expectRefreshAt(setup, 86_400);
  });

  it('uses defaultMaxAge when the response has no Cache-Control', async () => {
    const setup = await setUp(undefined, { defaultMaxAge: 200 });
    faults.msw.use(http.get(setup.issuer.jwksUri, () => HttpResponse.json(setup.issuer.jwks())));
    await expectRefreshAt(setup, 200, () => faults.requestsTo(setup.issuer.jwksUri));
  });

  it('defaults to 10 minutes when the response has no Cache-Control', async () => {
    const setup = await setUp();
    faults.msw.use(http.get(setup.issuer.jwksUri, () => HttpResponse.json(setup.issuer.jwks())));
    await expectRefreshAt(setup, 600, () => faults.requestsTo(setup.issuer.jwksUri));
  });

  it('does not rediscover the jwks_uri when the key set is refreshed', async () => {
    const setup = await setUp('max-age=60');
    await verifyFreshToken(setup);
    setup.clock.advance(60);
    await verifyFreshToken(setup);
    await setup.settled();

    expect(setup.issuer.requests).toEqual({ discovery: 1, jwks: 2 });
  });
});
