import { type ClaimCheck, claimGuard, permissionGuard, scopeGuard, type VerifiedToken } from 'tokenwarden';
import { beforeAll, describe, expect, it } from 'vitest';
import { rejectionOf } from '../support/rejection.js';
import { createKeyRing, type KeyRing, signToken, verifierFor } from './fixtures.js';

let ring: KeyRing;
beforeAll(async () => {
  ring = await createKeyRing();
});

async function verified(claims: Record<string, unknown>): Promise<VerifiedToken> {
  return verifierFor(ring).verify(await signToken(ring.keys.EdDSA, claims));
}

/** The guard factories with the name a route definition reaches them by. */
const FACTORIES = [
  ['requireScope (scopeGuard, all)', (list: readonly string[]) => scopeGuard(list, 'all')],
  ['requireAnyScope (scopeGuard, any)', (list: readonly string[]) => scopeGuard(list, 'any')],
  ['requirePermission (permissionGuard, all)', (list: readonly string[]) => permissionGuard(list, 'all')],
] as const;

describe('a guard that would let every token through is refused when the route is defined', () => {
  const useless: readonly (readonly [string, unknown])[] = [
    ['no scope at all', []],
    ['an empty string', ['']],
    ['only spaces', ['   ', ' ']],
    ['a number', [42]],
    ['undefined', [undefined]],
    ['a string instead of a list', 'read:messages'],
  ];

  for (const [factoryName, factory] of FACTORIES) {
    it.each(useless)(`${factoryName} throws a TypeError for %s`, (_case, list) => {
      expect(() => factory(list as readonly string[])).toThrow(TypeError);
    });
  }

  it('names the guard and what it received', () => {
    expect(() => scopeGuard([], 'all')).toThrow(/requireScope needs at least one scope/);
    expect(() => scopeGuard([7 as unknown as string], 'any')).toThrow(/requireAnyScope.*the number 7/);
    expect(() => permissionGuard([''])).toThrow(/requirePermission needs at least one permission/);
  });

  it('claimCheck (claimGuard) throws a TypeError when the check is not a function', () => {
    expect(() => claimGuard('admin' as unknown as ClaimCheck)).toThrow(/claimCheck.*a string/);
    expect(() => claimGuard(undefined as unknown as ClaimCheck)).toThrow(TypeError);
  });
});

describe('RFC 6749 §3.3 a space-delimited list names several scopes', () => {
  it("requireScope('read:messages write:messages') requires both scopes", async () => {
    const guard = scopeGuard(['read:messages write:messages']);
    const readOnly = await verified({ scope: 'read:messages' });
    const refused = rejectionOf(() => guard(readOnly));
    expect(refused.code).toBe('scope_insufficient');
    expect(refused.requiredScopes).toEqual(['read:messages', 'write:messages']);
    const both = await verified({ scope: 'write:messages read:messages' });
    expect(() => guard(both)).not.toThrow();
  });

  it("requireAnyScope('read:messages write:messages', 'admin') accepts a token holding any one of the three", async () => {
    const guard = scopeGuard(['read:messages write:messages', 'admin'], 'any');
    const writeOnly = await verified({ scope: 'write:messages' });
    expect(() => guard(writeOnly)).not.toThrow();
    const none = await verified({});
    expect(rejectionOf(() => guard(none)).requiredScopes).toEqual([
      'read:messages',
      'write:messages',
      'admin',
    ]);
  });

  it("requirePermission('read:messages delete:messages') requires both permissions", async () => {
    const guard = permissionGuard(['read:messages delete:messages']);
    const one = await verified({ permissions: ['read:messages'] });
    expect(rejectionOf(() => guard(one)).code).toBe('scope_insufficient');
    const both = await verified({ permissions: ['read:messages', 'delete:messages'] });
    expect(() => guard(both)).not.toThrow();
  });

  it('ignores repeated and surrounding spaces, and repeats of one scope', async () => {
    const guard = scopeGuard(['  read:messages   read:messages ', 'read:messages']);
    const readOnly = await verified({ scope: 'read:messages' });
    expect(() => guard(readOnly)).not.toThrow();
    const none = await verified({});
    expect(rejectionOf(() => guard(none)).requiredScopes).toEqual(['read:messages']);
  });
});
