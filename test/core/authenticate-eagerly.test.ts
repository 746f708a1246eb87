import type { TokenwardenEvent } from 'tokenwarden';
import { beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { rejectionOf } from '../support/rejection.js';
import {
  bearerRequest,
  createKeyRing,
  type KeyRing,
  requestWith,
  signToken,
  verifierFor,
} from './fixtures.js';

let ring: KeyRing;
let token: string;
beforeAll(async () => {
  ring = await createKeyRing();
  token = await signToken(ring.keys.ES256, { sub: 'eager-user', scope: 'read:messages' });
});

describe('authenticateEagerly: the outcome without a promise when it is already known', () => {
  it('returns a promise for a token not seen before, then the result itself for the same token', async () => {
    const verifier = verifierFor(ring);
    const first = verifier.authenticateEagerly(bearerRequest(token));
    expect(first).toBeInstanceOf(Promise);
    const verified = await first;
    const second = verifier.authenticateEagerly(bearerRequest(token));
    expect(second).not.toBeInstanceOf(Promise);
    expect(second).toBe(verified);
  });

  it('answers undefined at once for a request without a token under credentialsOptional', () => {
    const verifier = verifierFor(ring, { credentialsOptional: true });
    expect(verifier.authenticateEagerly(requestWith({}))).toBeUndefined();
  });

  it('never throws: a malformed header, a missing token and an expired cached token are rejections', async () => {
    const clock = createManualClock();
    const verifier = verifierFor(ring, { clock: clock.now });
    const short = await signToken(ring.keys.ES256, { exp: clock.now() + 120 });
    await verifier.authenticate(bearerRequest(short));
    const outcomes = [
      ['request_invalid', () => verifier.authenticateEagerly(requestWith({ authorization: 'Bearer a b' }))],
      ['token_missing', () => verifier.authenticateEagerly(requestWith({}))],
      [
        'token_expired',
        () => {
          clock.advance(3600);
          return verifier.authenticateEagerly(bearerRequest(short));
        },
      ],
    ] as const;
    for (const [code, call] of outcomes) {
      let outcome: unknown;
      expect(() => {
        outcome = call();
      }).not.toThrow();
      expect(outcome).toBeInstanceOf(Promise);
      const error = await rejectionOf(outcome as Promise<unknown>);
      expect(error.code).toBe(code);
      expect(error.wwwAuthenticate).toContain('Bearer');
    }
  });

  it('keeps a promise on every request while validateClaims is set, and runs it each time', async () => {
    let calls = 0;
    const verifier = verifierFor(ring, {
      validateClaims: () => {
        calls += 1;
        return true;
      },
    });
    await verifier.authenticate(bearerRequest(token));
    const again = verifier.authenticateEagerly(bearerRequest(token));
    expect(again).toBeInstanceOf(Promise);
    await again;
    expect(calls).toBe(2);
  });

  it('reports a cached verification to onEvent as it returns', async () => {
    const events: TokenwardenEvent[] = [];
    const verifier = verifierFor(ring, { onEvent: (event) => events.push(event) });
    await verifier.authenticate(bearerRequest(token));
    verifier.authenticateEagerly(bearerRequest(token));
    expect(events.filter((event) => event.type === 'token_verified')).toEqual([
      expect.objectContaining({ cached: false, subject: 'eager-user' }),
      expect.objectContaining({ cached: true, subject: 'eager-user' }),
    ]);
  });

  it('still refuses a DPoP-bound token presented as Bearer once it is cached', async () => {
    const bound = await signToken(ring.keys.ES256, { cnf: { jkt: 'x'.repeat(43) } });
    const verifier = verifierFor(ring);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await rejectionOf(Promise.resolve(verifier.authenticateEagerly(bearerRequest(bound))));
      expect(error.code).toBe('dpop_binding_mismatch');
    }
  });
});
