import type { Guard, VerifiedToken } from 'tokenwarden';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGuardFactories, markPassErrors, passesErrors } from '../../src/adapter-kit.js';
import { rejectionOf } from '../support/rejection.js';
import { createKeyRing, type KeyRing, signToken, verifierFor } from './fixtures.js';

let ring: KeyRing;
beforeAll(async () => {
  ring = await createKeyRing();
});

async function verified(claims: Record<string, unknown>): Promise<VerifiedToken> {
  return verifierFor(ring).verify(await signToken(ring.keys.EdDSA, claims));
}

/** The factories of an adapter whose handler is the guard itself, so a test can run the rule. */
const guards = createGuardFactories((guard: Guard) => guard);

describe('createGuardFactories: the four guards of every adapter from one translation', () => {
  it('hands each factory the guard of its rule', async () => {
    const token = await verified({ scope: 'read:messages', permissions: ['delete:messages'] });
    expect(() => guards.requireScope('read:messages')(token)).not.toThrow();
    expect(rejectionOf(() => guards.requireScope('read:messages write:messages')(token)).code).toBe(
      'scope_insufficient',
    );
    expect(() => guards.requireAnyScope('admin', 'read:messages')(token)).not.toThrow();
    expect(() => guards.requirePermission('delete:messages')(token)).not.toThrow();
    expect(rejectionOf(() => guards.requirePermission('read:messages')(token)).code).toBe(
      'scope_insufficient',
    );
    expect(() => guards.claimCheck((claims) => claims.scope === 'read:messages')(token)).not.toThrow();
    expect(rejectionOf(() => guards.claimCheck(() => false)(token)).code).toBe('claim_invalid');
  });

  it('calls the translation once per route definition, never per request', async () => {
    let translations = 0;
    const counted = createGuardFactories((guard: Guard) => {
      translations += 1;
      return guard;
    });
    const guard = counted.requireScope('read:messages');
    const token = await verified({ scope: 'read:messages' });
    for (let i = 0; i < 3; i += 1) guard(token);
    expect(translations).toBe(1);
  });

  it('throws the TypeError of a guard naming nothing when the route is defined', () => {
    expect(() => guards.requireScope()).toThrow(/requireScope needs at least one scope/);
    expect(() => guards.requireAnyScope(' ')).toThrow(/requireAnyScope needs at least one scope/);
    expect(() => guards.requirePermission('')).toThrow(/requirePermission needs at least one permission/);
    expect(() => guards.claimCheck(undefined as never)).toThrow(/claimCheck needs a function/);
  });
});

describe('the pass-errors mark on a request object', () => {
  it('is set for the marked request only', () => {
    const marked = {};
    const other = {};
    markPassErrors(marked);
    expect(passesErrors(marked)).toBe(true);
    expect(passesErrors(other)).toBe(false);
  });

  it('leaves the request object itself untouched', () => {
    const request = { method: 'GET' };
    markPassErrors(request);
    expect(Object.getOwnPropertyNames(request)).toEqual(['method']);
    expect(Object.getOwnPropertySymbols(request)).toEqual([]);
  });
});
