import { createDpopNonces, createMemoryReplayStore, verifyDpopProof } from 'tokenwarden';
import { createDpopProof, type DpopKey, generateDpopKey } from 'tokenwarden/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, fixedClock, NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { API_URL, requestOptions } from './fixtures.js';

const SECRET = 'a nonce secret of at least thirty-two bytes';
const PERIOD = 300;

let key: DpopKey;
beforeAll(async () => {
  key = await generateDpopKey();
});

/** Nonces whose clock the test moves. */
function noncesAt(start: number, secret: string = SECRET) {
  const clock = createManualClock(start);
  const nonces = createDpopNonces({ secret, rotationPeriod: PERIOD, clock: clock.now });
  return { clock, nonces };
}

function proofWith(nonce: string | undefined, iat: number = NOW, jti?: string): Promise<string> {
  return createDpopProof({ key, method: 'GET', url: API_URL, iat, nonce, jti });
}

describe('RFC 9449 §8 and §9 server nonces', () => {
  it('answers a proof without a nonce with use_dpop_nonce and the current nonce', async () => {
    const { nonces } = noncesAt(NOW);
    const error = await expectRejection(
      verifyDpopProof(requestOptions(await proofWith(undefined), { nonces })),
      'dpop_nonce_required',
      /must carry a nonce/,
    );
    expect(error.oauthError).toBe('use_dpop_nonce');
    expect(error.status).toBe(401);
    expect(error.nonce).toBe(await nonces.current());
  });

  it('accepts a proof with the current nonce and asks for no new one', async () => {
    const { nonces } = noncesAt(NOW);
    const verified = await verifyDpopProof(
      requestOptions(await proofWith(await nonces.current()), { nonces }),
    );
    expect(verified.claims.nonce).toBe(await nonces.current());
    expect(verified.nextNonce).toBeUndefined();
  });

  it("accepts the previous window's nonce and hands out the current one", async () => {
    const { clock, nonces } = noncesAt(NOW);
    const previous = await nonces.current();
    clock.advance(PERIOD);
    const current = await nonces.current();
    expect(current).not.toBe(previous);
    const verified = await verifyDpopProof(
      requestOptions(await proofWith(previous, clock.now()), { nonces, clock: clock.now }),
    );
    expect(verified.nextNonce).toBe(current);
  });

  it('refuses a nonce two windows old as stale, with the current nonce', async () => {
    const { clock, nonces } = noncesAt(NOW);
    const old = await nonces.current();
    clock.advance(2 * PERIOD);
    const error = await expectRejection(
      verifyDpopProof(requestOptions(await proofWith(old, clock.now()), { nonces, clock: clock.now })),
      'dpop_nonce_required',
      /stale/,
    );
    expect(error.nonce).toBe(await nonces.current());
  });

  it('refuses a nonce this server never issued', async () => {
    const { nonces } = noncesAt(NOW);
    const { nonces: foreign } = noncesAt(NOW, 'another secret of at least thirty-two bytes');
    await expectRejection(
      verifyDpopProof(requestOptions(await proofWith(await foreign.current()), { nonces })),
      'dpop_nonce_required',
      /stale/,
    );
  });

  it('lets a client retry with the nonce under the same jti, since a refused proof is not recorded', async () => {
    const { nonces } = noncesAt(NOW);
    const replayStore = createMemoryReplayStore({ clock: fixedClock });
    await expectRejection(
      verifyDpopProof(requestOptions(await proofWith(undefined, NOW, 'retry'), { nonces, replayStore })),
      'dpop_nonce_required',
      /nonce/,
    );
    const retry = await proofWith(await nonces.current(), NOW, 'retry');
    await expect(verifyDpopProof(requestOptions(retry, { nonces, replayStore }))).resolves.toBeDefined();
  });

  it('gives the same nonce to every instance sharing the secret, with no shared state', async () => {
    const first = noncesAt(NOW + 17);
    const second = noncesAt(NOW + 42);
    expect(await first.nonces.current()).toBe(await second.nonces.current());
    expect(await second.nonces.check(await first.nonces.current())).toBe('current');
  });

  it('rotates on the configured period', async () => {
    const { clock, nonces } = noncesAt(Math.floor(NOW / PERIOD) * PERIOD);
    const start = await nonces.current();
    clock.advance(PERIOD - 1);
    expect(await nonces.current()).toBe(start);
    clock.advance(1);
    expect(await nonces.current()).not.toBe(start);
    expect(await nonces.check(start)).toBe('previous');
  });

  it('makes nonces of the characters a DPoP-Nonce header allows', async () => {
    const { nonces } = noncesAt(NOW);
    // §8.1: NQCHAR, %x21 / %x23-5B / %x5D-7E; base64url is a subset.
    expect(await nonces.current()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('counts anything but a string as an invalid nonce', async () => {
    const { nonces } = noncesAt(NOW);
    for (const value of [undefined, 42, '', ['x']]) expect(await nonces.check(value)).toBe('invalid');
  });

  it('refuses a secret shorter than 32 bytes or a non-positive period', () => {
    expect(() => createDpopNonces({ secret: 'short' })).toThrow(TypeError);
    expect(() => createDpopNonces({ secret: SECRET, rotationPeriod: 0 })).toThrow(TypeError);
  });

  it('is not changed by later writes to the secret buffer', async () => {
    const buffer = new TextEncoder().encode(SECRET);
    const nonces = createDpopNonces({ secret: buffer, clock: fixedClock });
    const before = await nonces.current();
    buffer.fill(0);
    const fresh = createDpopNonces({ secret: new TextEncoder().encode(SECRET), clock: fixedClock });
    expect(await fresh.current()).toBe(before);
    expect(await nonces.check(before)).toBe('current');
  });
});
