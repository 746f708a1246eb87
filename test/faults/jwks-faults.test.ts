import type { TokenErrorCode } from 'tokenwarden';
import { describe, expect, it } from 'vitest';
import {
  COOLDOWN,
  type FaultSetup,
  KEY_UNAVAILABLE_CODES,
  outcomeOf,
  PAST_FRESHNESS,
  setUpFaultyJwks,
} from './fault-fixtures.js';
import type { JwksFault } from './flaky-jwks-server.js';

/** The fetch spec follows at most 20 redirects, so one attempt at a redirect loop is 21 requests. */
const REQUESTS_PER_REDIRECT_LOOP_ATTEMPT = 21;

/** Every fault the key set endpoint can show that makes a fetch fail. */
const FAILING_FAULTS: readonly {
  readonly fault: JwksFault;
  readonly description: string;
  /** The `reason` of the `jwks_fetch_failed` event, proving the fault is what made the fetch fail. */
  readonly reason: RegExp;
}[] = [
  { fault: 'status-500', description: 'HTTP 500', reason: /status 500/ },
  { fault: 'too-many-requests', description: 'HTTP 429 with Retry-After', reason: /status 429/ },
  { fault: 'redirect-loop', description: 'a redirect loop', reason: /network error/ },
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
    setup.clock.advance(COOLDOWN);
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
    expect(setup.events.ofType('jwks_fetched').length).toBe(2);
  });
});
