import { describe, expect, it } from 'vitest';
import { outcomeOf } from '../support/rejection.js';
import { COOLDOWN, KEY_UNAVAILABLE_CODES, setUpFaultyJwks } from './fault-fixtures.js';

/** Seconds of (injected) time simulated, and the step between bursts of traffic. */
const DURATION = 300;
const TICK = 1.3;
/** The rotation happens halfway through. */
const ROTATE_AT = DURATION / 2;

describe('JWKS flapping every second while verifications flow (real server, injected clock)', () => {
  it('verifies cached keys throughout, refuses unknown kids cleanly, fetches within the cooldown bound and picks up a rotation', async () => {
    const setup = await setUpFaultyJwks();
    const start = setup.clock.now();
    const elapsed = () => setup.clock.now() - start;
    const cachedKeyToken = await setup.freshToken();
    expect(await outcomeOf(setup.verifier, cachedKeyToken)).toBe('verified');
    const attemptsBefore = setup.fetchAttempts();

    const cachedOutcomes = new Set<string>();
    const unknownOutcomes = new Set<string>();
    const rotatedOutcomes: string[] = [];
    let rotated = false;
    while (elapsed() < DURATION) {
      // Up during even seconds, down (HTTP 503-like failure) during odd ones.
      setup.server.fault = Math.floor(elapsed()) % 2 === 0 ? 'none' : 'status-500';
      if (!rotated && elapsed() >= ROTATE_AT) {
        await setup.issuer.rotateKeys({ keepPrevious: true });
        rotated = true;
      }
      const [cached, unknown, current] = await Promise.all([
        outcomeOf(setup.verifier, cachedKeyToken),
        outcomeOf(setup.verifier, await setup.unknownKidToken()),
        rotated ? outcomeOf(setup.verifier, await setup.freshToken()) : Promise.resolve(undefined),
      ]);
      cachedOutcomes.add(cached);
      unknownOutcomes.add(unknown);
      if (current !== undefined) rotatedOutcomes.push(current);
      setup.clock.advance(TICK);
    }

    await setup.settled();
    // Without a verified-token cache, each of these re-checks the signature with the cached key.
    expect(cachedOutcomes).toEqual(new Set(['verified']));
    expect([...unknownOutcomes].every((code) => KEY_UNAVAILABLE_CODES.includes(code as never))).toBe(true);
    expect(setup.fetchAttempts() - attemptsBefore).toBeLessThanOrEqual(Math.ceil(DURATION / COOLDOWN) + 1);
    // Both sides of the flap were seen on the wire.
    expect(setup.events.ofType('jwks_fetch_failed').length).toBeGreaterThan(0);
    expect(setup.events.ofType('jwks_fetched').length).toBeGreaterThan(1);
    // Recovery: once a fetch lands in an up second, the rotated key verifies for good.
    const firstVerified = rotatedOutcomes.indexOf('verified');
    expect(firstVerified).toBeGreaterThanOrEqual(0);
    expect(rotatedOutcomes.slice(firstVerified).every((outcome) => outcome === 'verified')).toBe(true);
    expect(
      rotatedOutcomes
        .slice(0, firstVerified)
        .every((outcome) => KEY_UNAVAILABLE_CODES.includes(outcome as never)),
    ).toBe(true);
  });
});
