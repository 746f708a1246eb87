import {
  createVerifier,
  fromNodeRequest,
  type ReplayStore,
  TokenError,
  type TokenwardenEvent,
  type VerifierOptions,
} from 'tokenwarden';
import {
  createDpopProof,
  createTestIssuer,
  type DpopKey,
  generateDpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';

/**
 * A replay store that stops answering (Redis paused, a network partition) must not leave DPoP
 * requests pending forever: past `dpop.replayStoreTimeoutMs` the request is refused with 503. Time
 * here is Vitest's fake timers, moved by hand; nothing waits on the wall clock.
 */

const URL_SEEN = 'http://api.example.test/api/private';

let issuer: TestIssuer;
let key: DpopKey;
let token: string;

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
  key = await generateDpopKey();
  token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
});
afterAll(() => issuer.close());
afterEach(() => {
  vi.useRealTimers();
});

function verifier(dpop: VerifierOptions['dpop'], events: TokenwardenEvent[] = []) {
  return createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keySet: issuer.jwks(),
    clock: fixedClock,
    dpop,
    onEvent: (event) => events.push(event),
  });
}

async function dpopRequest() {
  const proof = await createDpopProof({ key, method: 'GET', url: URL_SEEN, iat: NOW, accessToken: token });
  return fromNodeRequest({
    method: 'GET',
    url: '/api/private',
    headers: { host: 'api.example.test', authorization: `DPoP ${token}`, dpop: proof },
  });
}

/** A store that never answers, and a promise that resolves once it has been asked. */
function stalledStore(): { store: ReplayStore; asked: Promise<void> } {
  let markAsked: () => void = () => undefined;
  const asked = new Promise<void>((resolve) => {
    markAsked = resolve;
  });
  return {
    asked,
    store: {
      checkAndStore: () => {
        markAsked();
        return new Promise<boolean>(() => undefined);
      },
    },
  };
}

/** Tracks whether a promise has settled yet, and how. */
function watch(promise: Promise<unknown>) {
  const state: { settled: boolean; error: unknown } = { settled: false, error: undefined };
  promise.then(
    () => {
      state.settled = true;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

describe('the replay store has a deadline (dpop.replayStoreTimeoutMs)', () => {
  it('refuses with 503 replay_store_unavailable once a stalled store has not answered within the deadline', async () => {
    const request = await dpopRequest();
    vi.useFakeTimers();
    const { store, asked } = stalledStore();
    const outcome = watch(verifier({ replayStore: store, replayStoreTimeoutMs: 250 }).authenticate(request));
    await asked;
    await vi.advanceTimersByTimeAsync(249);
    expect(outcome.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.settled).toBe(true);
    expect(outcome.error).toBeInstanceOf(TokenError);
    expect(outcome.error).toMatchObject({ code: 'replay_store_unavailable', status: 503 });
    expect((outcome.error as TokenError).wwwAuthenticate).toBeUndefined();
  });

  it('waits 1000 ms by default', async () => {
    const request = await dpopRequest();
    vi.useFakeTimers();
    const { store, asked } = stalledStore();
    const outcome = watch(verifier({ replayStore: store }).authenticate(request));
    await asked;
    await vi.advanceTimersByTimeAsync(999);
    expect(outcome.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.error).toMatchObject({ code: 'replay_store_unavailable' });
  });

  it('reports replay_store_failed, with the reason, through onEvent', async () => {
    const request = await dpopRequest();
    vi.useFakeTimers();
    const events: TokenwardenEvent[] = [];
    const { store, asked } = stalledStore();
    const outcome = watch(
      verifier({ replayStore: store, replayStoreTimeoutMs: 250 }, events).authenticate(request),
    );
    await asked;
    await vi.advanceTimersByTimeAsync(250);
    expect(outcome.settled).toBe(true);
    expect(events).toContainEqual({ type: 'replay_store_failed', reason: 'timed out after 250 ms' });
    expect(events).toContainEqual({ type: 'token_rejected', code: 'replay_store_unavailable' });
  });

  it('reports a store that fails with the failure as the reason', async () => {
    const events: TokenwardenEvent[] = [];
    const broken: ReplayStore = { checkAndStore: () => Promise.reject(new Error('connection refused')) };
    const outcome = watch(verifier({ replayStore: broken }, events).authenticate(await dpopRequest()));
    await vi.waitFor(() => expect(outcome.settled).toBe(true));
    expect(outcome.error).toMatchObject({ code: 'replay_store_unavailable' });
    expect(events).toContainEqual({ type: 'replay_store_failed', reason: 'connection refused' });
  });

  it('leaves no timer behind when the store answers in time', async () => {
    const request = await dpopRequest();
    vi.useFakeTimers();
    const auth = await verifier({}).authenticate(request);
    expect(auth?.scheme).toBe('DPoP');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no timer behind when the store fails in time', async () => {
    const request = await dpopRequest();
    vi.useFakeTimers();
    const broken: ReplayStore = { checkAndStore: () => Promise.reject(new Error('connection refused')) };
    await expectRejection(
      verifier({ replayStore: broken }).authenticate(request),
      'replay_store_unavailable',
    );
    expect(vi.getTimerCount()).toBe(0);
  });

  it.each([
    ['0', 0],
    ['a negative number', -1],
    ['a fraction', 2.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '1000'],
    ['more than a timer can hold (2^31 ms)', 2 ** 31],
  ])('refuses replayStoreTimeoutMs of %s with a TypeError naming it', (_name, value) => {
    expect(() => verifier({ replayStoreTimeoutMs: value as number })).toThrow(/dpop\.replayStoreTimeoutMs/);
  });
});
