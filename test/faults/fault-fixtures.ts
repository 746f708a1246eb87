import { type AsymmetricAlgorithm, createVerifier, type TokenErrorCode, type Verifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterEach } from 'vitest';
import { type EventRecorder, randomKid, watchKeySetFetches } from '../jwks/jwks-fixtures.js';
import { createManualClock, type ManualClock } from '../support/clock.js';
import {
  createFlakyJwksServer,
  type FlakyJwksServer,
  type FlakyJwksServerOptions,
} from './flaky-jwks-server.js';

/** Refetch cooldown used throughout, in seconds (the default). */
export const COOLDOWN = 30;
/** Past the served `max-age=600`: the next request must try to refetch. */
export const PAST_FRESHNESS = 601;
/**
 * Real milliseconds a fetch may take. Only the endless body ever reaches it; the others fail on
 * their own. Roomy, because the machine may be busy with other test runs.
 */
export const FETCH_DEADLINE_MS = 750;

/** The codes a request needing a key may get while the key set is unreachable. */
export const KEY_UNAVAILABLE_CODES: readonly TokenErrorCode[] = ['jwks_unavailable', 'key_not_found'];

/** A test issuer that signs, a flaky server that publishes its keys, and a verifier reading them. */
export interface FaultSetup {
  readonly issuer: TestIssuer;
  readonly server: FlakyJwksServer;
  readonly clock: ManualClock;
  readonly events: EventRecorder;
  readonly verifier: Verifier;
  /** Mints a token with the issuer's current key at the current time. */
  freshToken(): Promise<string>;
  /** Mints a token whose `kid` no key set holds. */
  unknownKidToken(): Promise<string>;
  /** Key set fetch attempts that reached the server (a redirect loop counts once per attempt). */
  fetchAttempts(): number;
  /**
   * Resolves once every key set fetch started so far has ended, background refreshes included, so
   * that counts and events read afterwards are final.
   */
  settled(): Promise<void>;
}

/** How {@link setUpFaultyJwks} deviates from the plain setup. */
export interface FaultSetupOptions {
  /** Algorithms the issuer holds a key for. [ES256] */
  readonly algorithms?: readonly AsymmetricAlgorithm[] | undefined;
  /** What the server publishes, given the issuer. [the issuer's key set] */
  readonly keySet?: ((issuer: TestIssuer) => FlakyJwksServerOptions['keySet']) | undefined;
}

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((item) => item.close()));
});

/** Starts a {@link FaultSetup}; everything it starts is closed after the test. */
export async function setUpFaultyJwks(options: FaultSetupOptions = {}): Promise<FaultSetup> {
  const clock = createManualClock();
  const issuer = await createTestIssuer({ algorithms: options.algorithms ?? ['ES256'], clock: clock.now });
  running.push(issuer);
  const server = await createFlakyJwksServer({
    keySet: options.keySet?.(issuer) ?? (() => issuer.jwks()),
  });
  running.push(server);
  const fetches = watchKeySetFetches(server.jwksUri);
  const verifier = createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    jwksUri: server.jwksUri,
    clock: clock.now,
    // Every request carries a new token anyway; no cache keeps each signature checked against the key.
    cache: false,
    fetch: fetches.fetch,
    jwksOptions: { cooldown: COOLDOWN, timeoutMs: FETCH_DEADLINE_MS },
    onEvent: fetches.events.listener,
  });
  return {
    issuer,
    server,
    clock,
    events: fetches.events,
    verifier,
    freshToken: () => issuer.signToken(),
    unknownKidToken: () => issuer.signToken({}, { kid: randomKid() }),
    fetchAttempts: () => server.requests.jwks,
    settled: fetches.settled,
  };
}

/** Registers something to close after the current test. */
export function closeAfterTest(item: { close(): Promise<void> }): void {
  running.push(item);
}
