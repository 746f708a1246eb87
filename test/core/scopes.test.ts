import {
  checkScopes,
  claimGuard,
  permissionGuard,
  permissionsOf,
  scopeGuard,
  scopesOf,
  type VerifiedToken,
} from 'tokenwarden';
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

describe('RFC 9068 §2.2.3 scopes from the token', () => {
  it('reads the space-delimited scope string', async () => {
    expect((await verified({ scope: 'read:messages  write:messages' })).scopes).toEqual([
      'read:messages',
      'write:messages',
    ]);
  });

  it('reads an scp array (Azure AD, Okta)', async () => {
    expect((await verified({ scp: ['read:messages', 'profile'] })).scopes).toEqual([
      'read:messages',
      'profile',
    ]);
  });

  it('reads an scp given as a space-delimited string', () => {
    expect(scopesOf({ scp: 'read:messages profile' })).toEqual(['read:messages', 'profile']);
  });

  it('merges scope and scp without duplicates', () => {
    expect(scopesOf({ scope: 'a b', scp: ['b', 'c'] })).toEqual(['a', 'b', 'c']);
  });

  it('reads the Auth0 RBAC permissions array', async () => {
    const auth = await verified({ permissions: ['read:messages', 'delete:messages'] });
    expect(auth.permissions).toEqual(['read:messages', 'delete:messages']);
    expect(auth.scopes).toEqual([]);
  });

  it('ignores non-string entries in scp and permissions, and a permissions claim that is not an array', () => {
    expect(scopesOf({ scp: ['a', 7, null, 'b'] as unknown as string[] })).toEqual(['a', 'b']);
    expect(permissionsOf({ permissions: ['a', 1] as unknown as string[] })).toEqual(['a']);
    expect(permissionsOf({ permissions: 'read:messages' as unknown as string[] })).toEqual([]);
  });

  it('yields no scopes for a token without any scope claim', async () => {
    const auth = await verified({});
    expect(auth.scopes).toEqual([]);
    expect(auth.permissions).toEqual([]);
  });
});

describe('checkScopes', () => {
  it('passes "all" when every required scope is granted', () => {
    expect(() => checkScopes(['a', 'b', 'c'], ['a', 'c'])).not.toThrow();
  });

  it('fails "all" when one required scope is missing', () => {
    const error = rejectionOf(() => checkScopes(['a', 'b'], ['a', 'c'], 'all'));
    expect(error.code).toBe('scope_insufficient');
    expect(error.requiredScopes).toEqual(['a', 'c']);
  });

  it('passes "any" when one required scope is granted', () => {
    expect(() => checkScopes(['b'], ['a', 'b'], 'any')).not.toThrow();
  });

  it('fails "any" when none of the required scopes is granted', () => {
    expect(rejectionOf(() => checkScopes(['c'], ['a', 'b'], 'any')).code).toBe('scope_insufficient');
  });

  it('matches exactly: read:messagesX does not satisfy read:messages', () => {
    expect(rejectionOf(() => checkScopes(['read:messagesX'], ['read:messages'])).code).toBe(
      'scope_insufficient',
    );
  });

  it('matches exactly: a prefix such as read does not satisfy read:messages, nor the other way round', () => {
    expect(rejectionOf(() => checkScopes(['read'], ['read:messages'])).code).toBe('scope_insufficient');
    expect(rejectionOf(() => checkScopes(['read:messages'], ['read'])).code).toBe('scope_insufficient');
  });

  it('passes when nothing is required', () => {
    expect(() => checkScopes([], [])).not.toThrow();
  });
});

describe('route guards', () => {
  it('scopeGuard allows a token holding every required scope', async () => {
    const auth = await verified({ scope: 'read:messages write:messages' });
    expect(() => scopeGuard(['read:messages', 'write:messages'])(auth)).not.toThrow();
  });

  it('scopeGuard rejects a token lacking a scope with 403 scope_insufficient', async () => {
    const auth = await verified({ scope: 'read:messagesX' });
    const error = rejectionOf(() => scopeGuard(['read:messages'])(auth));
    expect(error.code).toBe('scope_insufficient');
    expect(error.status).toBe(403);
  });

  it('scopeGuard in "any" mode allows a token holding one of the scopes', async () => {
    const auth = await verified({ scp: ['write:messages'] });
    expect(() => scopeGuard(['read:messages', 'write:messages'], 'any')(auth)).not.toThrow();
  });

  it('scopeGuard does not accept permissions in place of scopes', async () => {
    const auth = await verified({ permissions: ['read:messages'] });
    expect(rejectionOf(() => scopeGuard(['read:messages'])(auth)).code).toBe('scope_insufficient');
  });

  it('permissionGuard allows a token whose permissions include the required ones', async () => {
    const auth = await verified({ permissions: ['read:messages', 'delete:messages'] });
    expect(() => permissionGuard(['delete:messages'])(auth)).not.toThrow();
  });

  it('permissionGuard rejects a token lacking a permission, naming it in scope="..."', async () => {
    const auth = await verified({ permissions: ['read:messages'], scope: 'delete:messages' });
    const error = rejectionOf(() => permissionGuard(['delete:messages'])(auth));
    expect(error.code).toBe('scope_insufficient');
    expect(error.wwwAuthenticate).toContain('scope="delete:messages"');
  });

  it('permissionGuard in "any" mode allows one of several permissions', async () => {
    const auth = await verified({ permissions: ['b'] });
    expect(() => permissionGuard(['a', 'b'], 'any')(auth)).not.toThrow();
  });

  it('claimGuard allows a token whose claims pass the check', async () => {
    const auth = await verified({ org_id: 'org-1' });
    expect(() => claimGuard((claims) => claims.org_id === 'org-1')(auth)).not.toThrow();
  });

  it('claimGuard rejects a token whose claims fail the check with 401 claim_invalid', async () => {
    const auth = await verified({ org_id: 'org-2' });
    const error = rejectionOf(() => claimGuard((claims) => claims.org_id === 'org-1')(auth));
    expect(error.code).toBe('claim_invalid');
    expect(error.status).toBe(401);
  });

  it.each([
    ['scopeGuard', scopeGuard(['read:messages'])],
    ['permissionGuard', permissionGuard(['read:messages'])],
    ['claimGuard', claimGuard(() => true)],
  ])('%s without authentication (credentialsOptional) rejects with token_missing', (_name, guard) => {
    const error = rejectionOf(() => guard(undefined));
    expect(error.code).toBe('token_missing');
    expect(error.wwwAuthenticate).toBe('Bearer');
  });
});
