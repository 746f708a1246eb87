import { createVerifier, type Verifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { describe, expect, it } from 'vitest';
import { type EventRecorder, randomKid, recordEvents } from '../jwks/jwks-fixtures.js';
import { createManualClock, type ManualClock } from '../support/clock.js';
import { outcomeOf } from '../support/rejection.js';
import {
  COOLDOWN,
  closeAfterTest,
  FETCH_DEADLINE_MS,
  KEY_UNAVAILABLE_CODES,
  PAST_FRESHNESS,
} from './fault-fixtures.js';
import { createFlakyJwksServer, type FlakyJwksServer } from './flaky-jwks-server.js';

/** The authorization server's host, and a second loopback address standing for another host. */
const ISSUER_HOST = '127.0.0.1';
const KEYS_HOST = '127.0.0.2';

interface DiscoverySetup {
  readonly issuer: TestIssuer;
  /** Serves the discovery document; its origin is the issuer identifier. */
  readonly authorizationServer: FlakyJwksServer;
  /** Serves the key set, on another address. */
  readonly keyHost: FlakyJwksServer;
  readonly clock: ManualClock;
  readonly events: EventRecorder;
  readonly verifier: Verifier;
  freshToken(): Promise<string>;
  unknownKidToken(): Promise<string>;
}

/** Discovery on 127.0.0.1 names a `jwks_uri` on 127.0.0.2 (or `jwksUri`, when given). */
async function setUp(jwksUri?: string): Promise<DiscoverySetup> {
  const clock = createManualClock();
  const issuer = await createTestIssuer({ algorithms: ['ES256'], clock: clock.now });
  closeAfterTest(issuer);
  const authorizationServer = await createFlakyJwksServer({
    host: ISSUER_HOST,
    keySet: () => ({ keys: [] }),
  });
  closeAfterTest(authorizationServer);
  const keyHost = await createFlakyJwksServer({ host: KEYS_HOST, keySet: () => issuer.jwks() });
  closeAfterTest(keyHost);
  authorizationServer.discovery = {
    issuer: authorizationServer.issuer,
    jwks_uri: jwksUri ?? keyHost.jwksUri,
  };
  const events = recordEvents();
  const verifier = createVerifier({
    issuer: authorizationServer.issuer,
    audience: issuer.audience,
    clock: clock.now,
    cache: false,
    jwksOptions: { cooldown: COOLDOWN, timeoutMs: FETCH_DEADLINE_MS },
    onEvent: events.listener,
  });
  return {
    issuer,
    authorizationServer,
    keyHost,
    clock,
    events,
    verifier,
    freshToken: () => issuer.signToken({ iss: authorizationServer.issuer }),
    unknownKidToken: () => issuer.signToken({ iss: authorizationServer.issuer }, { kid: randomKid() }),
  };
}

describe('OpenID Connect Discovery §4 jwks_uri on another host, over real sockets', () => {
  it('fetches the key set from the host discovery names, discovering only once', async () => {
    const setup = await setUp();
    for (let request = 0; request < 3; request += 1) {
      expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
    }
    expect(setup.authorizationServer.requests).toEqual({ jwks: 0, redirects: 0, discovery: 1 });
    expect(setup.keyHost.requests.jwks).toBe(1);
    expect(setup.events.ofType('jwks_fetched').map((event) => event.uri)).toEqual([setup.keyHost.jwksUri]);
  });

  it('keeps verifying cached keys while the key host fails, within the cooldown bound', async () => {
    const setup = await setUp();
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
    setup.keyHost.fault = 'connection-reset';
    setup.clock.advance(PAST_FRESHNESS);
    const periods = 3;
    for (let period = 0; period < periods; period += 1) {
      expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
      const unknown = await outcomeOf(setup.verifier, await setup.unknownKidToken());
      expect(KEY_UNAVAILABLE_CODES).toContain(unknown);
      setup.clock.advance(COOLDOWN);
    }
    expect(setup.keyHost.requests.jwks - 1).toBeLessThanOrEqual(periods);
    // The jwks_uri stays known: a key host outage does not send the verifier back to discovery.
    expect(setup.authorizationServer.requests.discovery).toBe(1);
  });

  it('recovers on its own when the key host comes back with a rotated key', async () => {
    const setup = await setUp();
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
    setup.keyHost.fault = 'status-500';
    await setup.issuer.rotateKeys();
    setup.clock.advance(COOLDOWN);
    expect(KEY_UNAVAILABLE_CODES).toContain(await outcomeOf(setup.verifier, await setup.freshToken()));
    setup.keyHost.fault = 'none';
    setup.clock.advance(COOLDOWN);
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
  });

  it('recovers on its own when discovery was down at the first request', async () => {
    const setup = await setUp();
    const discovery = setup.authorizationServer.discovery;
    setup.authorizationServer.discovery = undefined;
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('jwks_unavailable');
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('jwks_unavailable');
    setup.authorizationServer.discovery = discovery;
    setup.clock.advance(COOLDOWN);
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('verified');
    expect(setup.keyHost.requests.jwks).toBe(1);
  });

  it('refuses a discovered jwks_uri over plain http to a non-loopback host, fetching nothing', async () => {
    const setup = await setUp('http://keys.example.test/jwks.json');
    expect(await outcomeOf(setup.verifier, await setup.freshToken())).toBe('jwks_unavailable');
    expect(setup.events.ofType('jwks_fetch_failed').map((event) => event.reason)).toEqual([
      expect.stringMatching(/https/),
    ]);
    expect(setup.keyHost.requests.jwks).toBe(0);
  });
});
