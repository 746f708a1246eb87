import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import { type SetupServer, setupServer } from 'msw/node';
import type { TokenwardenEvent } from 'tokenwarden';
import { signJws } from '../support/jws.js';

/** Events received through `onEvent`, with a filter by type. */
export interface EventRecorder {
  readonly listener: (event: TokenwardenEvent) => void;
  readonly all: TokenwardenEvent[];
  ofType<T extends TokenwardenEvent['type']>(type: T): Extract<TokenwardenEvent, { type: T }>[];
  /** Resolves as soon as `condition` holds, checking it now and after every event. */
  until(condition: () => boolean): Promise<void>;
}

/** Creates an {@link EventRecorder}. */
export function recordEvents(): EventRecorder {
  const all: TokenwardenEvent[] = [];
  const waiting = new Set<{ readonly condition: () => boolean; readonly resolve: () => void }>();
  return {
    listener: (event) => {
      all.push(event);
      for (const waiter of waiting) {
        if (waiter.condition()) {
          waiting.delete(waiter);
          waiter.resolve();
        }
      }
    },
    all,
    ofType: <T extends TokenwardenEvent['type']>(type: T) =>
      all.filter((event): event is Extract<TokenwardenEvent, { type: T }> => event.type === type),
    until: (condition) =>
      condition() ? Promise.resolve() : new Promise((resolve) => waiting.add({ condition, resolve })),
  };
}

/**
 * A verifier's key set fetches, watched from outside: pass `fetch` and `events.listener` to the
 * verifier. A refresh may run in the background, after the request that started it has been
 * answered; {@link KeySetFetchWatch.settled} waits for it, so counts read afterwards are final.
 */
export interface KeySetFetchWatch {
  /** Counts each request for the key set URL when it is made, then hands it to the inner `fetch`. */
  readonly fetch: typeof fetch;
  readonly events: EventRecorder;
  /** Fetches of the key set URL started so far (redirect hops elsewhere are not counted). */
  started(): number;
  /**
   * Resolves once every key set fetch started so far has been reported by `jwks_fetched` or
   * `jwks_fetch_failed`. Each fetch attempt requests the key set URL once and reports once.
   */
  settled(): Promise<void>;
}

/**
 * Creates a {@link KeySetFetchWatch} for `jwksUri`. Requests go to `options.fetch`, or to whatever
 * `globalThis.fetch` is at the time of the request (so msw still sees them).
 */
export function watchKeySetFetches(
  jwksUri: string,
  options: { readonly fetch?: typeof fetch | undefined } = {},
): KeySetFetchWatch {
  const events = recordEvents();
  let started = 0;
  const reported = () =>
    events.all.filter(
      (event) =>
        (event.type === 'jwks_fetched' || event.type === 'jwks_fetch_failed') && event.uri === jwksUri,
    ).length;
  return {
    fetch: (input, init) => {
      if (urlOf(input) === jwksUri) started += 1;
      return (options.fetch ?? globalThis.fetch)(input, init);
    },
    events,
    started: () => started,
    settled: () => events.until(() => reported() >= started),
  };
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input;
  return input instanceof URL ? input.href : input.url;
}

/** How a {@link KeyServerStub} answers: the key set, HTTP 500, an exception, or never. */
export type KeyServerState = 'up' | 'down' | 'throws' | 'black-hole';

/**
 * A key server inside the test process, reached through the `fetch` option: no socket, so a test
 * controls exactly when (and whether) each fetch is answered.
 */
export interface KeyServerStub {
  /** The https URL it answers; any other URL gets a 404. */
  readonly jwksUri: string;
  /** Pass as the `fetch` option (directly or through {@link watchKeySetFetches}). */
  readonly fetch: typeof fetch;
  /**
   * `'up'` answers the key set with `max-age=600`; `'down'` answers HTTP 500; `'throws'` throws from
   * `fetch` itself; `'black-hole'` never answers, until {@link KeyServerStub.release} or an abort.
   */
  state: KeyServerState;
  /** Fails every fetch the black hole holds with a network error; call it after each test. */
  release(): void;
}

/** Creates a {@link KeyServerStub} publishing `keySet()`, read at every request. */
export function createKeyServerStub(
  keySet: () => JSONWebKeySet,
  jwksUri = 'https://keys.example.test/jwks.json',
): KeyServerStub {
  const held = new Set<(reason: unknown) => void>();
  const stub: KeyServerStub = {
    jwksUri,
    state: 'up',
    fetch: (input, init) => {
      if (urlOf(input) !== jwksUri) return Promise.resolve(new Response(null, { status: 404 }));
      switch (stub.state) {
        case 'up':
          return Promise.resolve(Response.json(keySet(), { headers: { 'cache-control': 'max-age=600' } }));
        case 'down':
          return Promise.resolve(new Response('unavailable', { status: 500 }));
        case 'throws':
          throw new TypeError('fetch failed');
        case 'black-hole':
          return new Promise<Response>((_, reject) => {
            held.add(reject);
            init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          });
      }
    },
    release() {
      for (const reject of held) reject(new TypeError('fetch failed'));
      held.clear();
    },
  };
  return stub;
}

/**
 * An msw server that lets every request it has no handler for reach the network (the real test
 * issuer on 127.0.0.1) and remembers the URL of every request, mocked or not, so tests can count
 * fetches even when msw answers them.
 */
export interface FaultServer {
  readonly msw: SetupServer;
  /** How many requests went to `url` (compared without query string) since the last reset. */
  requestsTo(url: string): number;
  /** Every requested URL since the last reset, in order. */
  readonly requestedUrls: string[];
  /** Removes the runtime handlers and forgets the recorded URLs; call it after each test. */
  reset(): void;
}

/** Creates a {@link FaultServer}; call `msw.listen()` in `beforeAll` and `msw.close()` in `afterAll`. */
export function createFaultServer(): FaultServer {
  const msw = setupServer();
  const requestedUrls: string[] = [];
  msw.events.on('request:start', ({ request }) => {
    requestedUrls.push(request.url);
  });
  const withoutQuery = (url: string) => url.split('?')[0];
  return {
    msw,
    requestedUrls,
    requestsTo: (url) => requestedUrls.filter((requested) => withoutQuery(requested) === url).length,
    reset() {
      msw.resetHandlers();
      requestedUrls.length = 0;
    },
  };
}

/** A `kid` no key set contains. */
export function randomKid(): string {
  return `unknown-${randomUUID()}`;
}

/** A public RSA key of 1024 bits and a token signed by its private half. */
export interface ShortRsaKey {
  readonly publicJwk: JWK;
  /** The same public key as a node:crypto key, to check the fixture's own signatures. */
  readonly publicKey: KeyObject;
  /** Signs `claims` as a compact RS256 JWS with this key's `kid`. */
  signToken(claims: Readonly<Record<string, unknown>>): string;
}

/**
 * A 1024-bit RSA key, which RFC 7518 §3.3 forbids for RS256. jose refuses to sign with such a key,
 * so the token is signed with node:crypto: the point is a correctly signed token whose only fault
 * is the key length, which the key provider must catch.
 */
export function createShortRsaKey(kid: string): ShortRsaKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const publicJwk: JWK = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return {
    publicJwk,
    publicKey,
    signToken: (claims) =>
      signJws({ alg: 'RS256', privateKey }, { alg: 'RS256', kid, typ: 'at+jwt' }, claims),
  };
}
