import type { TokenErrorCode } from 'tokenwarden';
import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../support/rejection.js';
import {
  COOLDOWN,
  type FaultSetup,
  KEY_UNAVAILABLE_CODES,
  PAST_FRESHNESS,
  setUpFaultyJwks,
} from './fault-fixtures.js';
import { type JwksFault, RETRY_AFTER_SECONDS } from './flaky-jwks-server.js';

/** Metadata fetches follow at most 5 redirects, so one attempt at a redirect loop is 6 requests. */
const REQUESTS_PER_REDIRECT_LOOP_ATTEMPT = 6;

/** Every fault the key set endpoint can show that makes a fetch fail. */
const FAILING_FAULTS: readonly {
  readonly fault: JwksFault;
  readonly description: string;
  /** The `reason` of the `jwks_fetch_failed` event, proving the fault is what made the fetch fail. */
  readonly reason: RegExp;
}[] = [
  { fault: 'status-500', description: 'HTTP 500', reason: /status 500/ },
  { fault: 'too-many-requests', description: 'HTTP 429 with Retry-After', reason: /status 429/ },
  { fault: 'redirect-loop', description: 'a redirect loop', reason: /more than 5 redirects/ },
  { fault: 'endless-body', description: 'a body that trickles for ever', reason: /timed out/ },
  { fault: 'connection-reset', description: 'a connection reset mid-response', reason: /network error/ },
  { fault: 'huge-declared-body', description: 'a 10 MB body with Content-Length', reason: /larger than/ },
  { fault: 'huge-chunked-body', description: 'a 10 MB chunked body', reason: /larger than/ },
];

describe.each(FAILING_FAULTS)('JWKS fault on a real server: $description', ({ fault, reason }) => {
  /** Starts with the key set cached, then switches the fault on and lets the set go stale. */
  async function cachedThenFaulty(): Promise<FaultSetup> {
    const setup = await setUpFaultyJwks();
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
    setup.server.fault = fault;
    setup.clock.advance(PAST_FRESHNESS);
    return setup;
  }

  it('keeps verifying tokens whose key is cached (stale-if-error)', async () => {
    const setup = await cachedThenFaulty();
    for (let round = 0; round < 3; round += 1) {
      for (let request = 0; request < 5; request += 1) {
        expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
      }
      setup.clock.advance(COOLDOWN);
    }
    await setup.settled();
    const failures = setup.events.ofType('jwks_fetch_failed');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((event) => event.servingStale)).toBe(true);
    expect(failures.map((event) => event.reason)).toEqual(failures.map(() => expect.stringMatching(reason)));
  });

  it('refuses tokens needing an unknown key with key_not_found or jwks_unavailable', async () => {
    const setup = await cachedThenFaulty();
    const outcomes = new Set<string>();
    for (let request = 0; request < 10; request += 1) {
      outcomes.add(await outcomeOf(setup.verifier, await setup.unknownKidToken()));
    }
    expect([...outcomes].every((code) => KEY_UNAVAILABLE_CODES.includes(code as TokenErrorCode))).toBe(true);
  });

  it('tries the key set at most once per cooldown, counted at the server', async () => {
    const setup = await cachedThenFaulty();
    const before = setup.fetchAttempts();
    const periods = 4;
    for (let period = 0; period < periods; period += 1) {
      // Twenty requests per period, half of them for unknown kids, which would each want a refetch.
      await Promise.all(
        Array.from({ length: 20 }, async (_, index) =>
          outcomeOf(setup.verifier, await (index % 2 ? setup.unknownKidToken() : setup.freshToken())),
        ),
      );
      setup.clock.advance(COOLDOWN);
    }
    await setup.settled();
    expect(setup.fetchAttempts() - before).toBeLessThanOrEqual(periods);
    if (fault === 'redirect-loop') {
      expect(setup.server.requests.redirects).toBeLessThanOrEqual(
        (setup.fetchAttempts() - before) * (REQUESTS_PER_REDIRECT_LOOP_ATTEMPT - 1),
      );
    }
  });

  it('answers jwks_unavailable when no key was ever cached, without hanging', async () => {
    const setup = await setUpFaultyJwks();
    setup.server.fault = fault;
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, async () => outcomeOf(setup.verifier, await setup.freshToken())),
    );
    expect(new Set(outcomes)).toEqual(new Set(['jwks_unavailable']));
    // Ten concurrent requests share a single fetch.
    expect(setup.fetchAttempts()).toBe(1);
  });

  it('recovers on its own once the fault clears, picking up a rotated key', async () => {
    const setup = await cachedThenFaulty();
    expect(await outcomeOf(setup.verifier, await setup.unknownKidToken())).not.toBe('verified');
    await setup.issuer.rotateKeys({ keepPrevious: true });
    setup.server.fault = 'none';
    // Past the cooldown and past the 429's Retry-After, which is longer.
    setup.clock.advance(RETRY_AFTER_SECONDS);
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
    expect(setup.events.ofType('jwks_fetched').length).toBe(2);
  });
});

describe('RFC 9110 §10.2.3 Retry-After on a 429 from the key server (honoured, bounded)', () => {
  /** Caches the key set, then answers 429 with `retryAfter` and makes the set stale: one failed attempt. */
  async function rateLimited(retryAfter: string): Promise<FaultSetup> {
    const setup = await setUpFaultyJwks();
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
    setup.server.fault = 'too-many-requests';
    setup.server.retryAfter = retryAfter;
    setup.clock.advance(PAST_FRESHNESS);
    expect(await outcomeOf(setup.verifier, await setup.unknownKidToken())).toBe('key_not_found');
    expect(setup.fetchAttempts()).toBe(2);
    return setup;
  }

  /** Moves the clock to `seconds` after the failed attempt and reports whether a request refetched. */
  async function refetchesAt(setup: FaultSetup, elapsed: { seconds: number }, seconds: number) {
    setup.clock.advance(seconds - elapsed.seconds);
    elapsed.seconds = seconds;
    const before = setup.fetchAttempts();
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
    // A refetch would run in the background: wait for it before counting.
    await setup.settled();
    return setup.fetchAttempts() > before;
  }

  it('waits for a Retry-After longer than the cooldown before trying again', async () => {
    const setup = await rateLimited('120');
    const elapsed = { seconds: 0 };
    expect(await refetchesAt(setup, elapsed, COOLDOWN)).toBe(false);
    expect(await refetchesAt(setup, elapsed, 119)).toBe(false);
    expect(await refetchesAt(setup, elapsed, 120)).toBe(true);
  });

  it('never waits more than 5 minutes, however long Retry-After says', async () => {
    const setup = await rateLimited('86400');
    const elapsed = { seconds: 0 };
    expect(await refetchesAt(setup, elapsed, 299)).toBe(false);
    expect(await refetchesAt(setup, elapsed, 300)).toBe(true);
  });

  it('keeps the cooldown when Retry-After is shorter', async () => {
    const setup = await rateLimited('5');
    const elapsed = { seconds: 0 };
    expect(await refetchesAt(setup, elapsed, 10)).toBe(false);
    expect(await refetchesAt(setup, elapsed, COOLDOWN)).toBe(true);
  });

  it('ignores the HTTP-date form and a malformed value, keeping the cooldown', async () => {
    for (const retryAfter of ['Wed, 21 Oct 2099 07:28:00 GMT', '-5', '1e9']) {
      const setup = await rateLimited(retryAfter);
      const elapsed = { seconds: 0 };
      expect(await refetchesAt(setup, elapsed, COOLDOWN - 1)).toBe(false);
      expect(await refetchesAt(setup, elapsed, COOLDOWN)).toBe(true);
    }
  });
});
