import { authenticationGuard, createVerifier, type VerifiedToken, type VerifierOptions } from 'tokenwarden';
import { createDpopProof, generateDpopKey } from 'tokenwarden/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { rejectionOf } from '../support/rejection.js';
import {
  bearerRequest,
  createKeyRing,
  ISSUER,
  type KeyRing,
  requestWith,
  signToken,
  verifierFor,
} from './fixtures.js';

let ring: KeyRing;
beforeAll(async () => {
  ring = await createKeyRing();
});

/** A token accepted by a fixture verifier (clock at NOW, tolerance 60 unless overridden). */
async function accepted(claims: Record<string, unknown>, overrides: Partial<VerifierOptions> = {}) {
  const verifier = verifierFor(ring, { dpop: { mode: 'disabled' }, ...overrides });
  return (await verifier.authenticate(
    bearerRequest(await signToken(ring.keys.RS256, claims)),
  )) as VerifiedToken;
}

describe('RFC 9470 §3 acr_values', () => {
  const guard = authenticationGuard({ acrValues: ['urn:example:mfa', 'phr'] });

  it('lets a token whose acr is one of the listed values through', async () => {
    const auth1 = await accepted({ acr: 'phr' });
    expect(() => guard(auth1)).not.toThrow();
  });

  it.each([
    ['an acr not listed', { acr: 'pwd' }],
    ['no acr at all', {}],
    ['an acr differing in case', { acr: 'PHR' }],
  ])('answers %s with 401 insufficient_user_authentication and acr_values', async (_what, claims) => {
    const auth = await accepted(claims);
    const error = rejectionOf(() => guard(auth));
    expect(error.code).toBe('authentication_insufficient');
    expect(error.status).toBe(401);
    expect(error.oauthError).toBe('insufficient_user_authentication');
    expect(error.acrValues).toEqual(['urn:example:mfa', 'phr']);
    expect(error.wwwAuthenticate).toBe(
      `Bearer error="insufficient_user_authentication", error_description="${error.message}", acr_values="urn:example:mfa phr"`,
    );
  });
});

describe('RFC 9470 §3 max_age', () => {
  const guard = authenticationGuard({ maxAge: 300 });

  it('lets an authentication within max_age through', async () => {
    const auth2 = await accepted({ auth_time: NOW - 300 });
    expect(() => guard(auth2)).not.toThrow();
  });

  it("allows the verifier's clock tolerance past max_age", async () => {
    const auth3 = await accepted({ auth_time: NOW - 360 });
    expect(() => guard(auth3)).not.toThrow();
    const auth4 = await accepted({ auth_time: NOW - 361 });
    expect(() => guard(auth4)).toThrow(/more recent/);
  });

  it("reads the verifier's own clock and clockTolerance", async () => {
    // The verifier's clock is fixed in the past: the system clock would find every auth_time too old.
    const exact = await accepted({ auth_time: NOW - 300 }, { clockTolerance: 0 });
    expect(() => guard(exact)).not.toThrow();
    const strict = await accepted({ auth_time: NOW - 301 }, { clockTolerance: 0 });
    expect(() => guard(strict)).toThrow(/more recent/);
    const later = await accepted({ auth_time: NOW - 250 }, { clock: () => NOW + 100, clockTolerance: 0 });
    expect(() => guard(later)).toThrow(/more recent/);
  });

  it('takes a clock and tolerance of its own over the verifier', async () => {
    const own = authenticationGuard({ maxAge: 300, clock: () => NOW + 1000, clockTolerance: 0 });
    const fresh = await accepted({ auth_time: NOW - 10 });
    expect(() => own(fresh)).toThrow(/more recent/);
  });

  it.each([
    ['an older authentication', { auth_time: NOW - 3600 }],
    ['a token without auth_time', {}],
  ])('answers %s with 401 insufficient_user_authentication and max_age', async (_what, claims) => {
    const auth = await accepted(claims);
    const error = rejectionOf(() => guard(auth));
    expect(error.code).toBe('authentication_insufficient');
    expect(error.status).toBe(401);
    expect(error.maxAge).toBe(300);
    expect(error.wwwAuthenticate).toBe(
      `Bearer error="insufficient_user_authentication", error_description="${error.message}", max_age="300"`,
    );
  });
});

describe('RFC 9470 §3 acr_values and max_age together', () => {
  const guard = authenticationGuard({ acrValues: ['mfa'], maxAge: 0 });

  it('names both in the challenge, whichever failed, so one new authentication satisfies both', async () => {
    const stale = await accepted({ acr: 'mfa', auth_time: NOW - 3600 });
    const error = rejectionOf(() => guard(stale));
    expect(error.wwwAuthenticate).toBe(
      `Bearer error="insufficient_user_authentication", error_description="${error.message}", acr_values="mfa", max_age="0"`,
    );
    const weak = await accepted({ acr: 'pwd', auth_time: NOW });
    expect(rejectionOf(() => guard(weak)).wwwAuthenticate).toContain('acr_values="mfa", max_age="0"');
  });

  it('lets a fresh authentication of the listed class through', async () => {
    const auth6 = await accepted({ acr: 'mfa', auth_time: NOW });
    expect(() => guard(auth6)).not.toThrow();
  });

  it('challenges a DPoP-bound token under DPoP, with resource_metadata when the verifier has it', async () => {
    const resource = 'https://api.example.test/mcp';
    const verifier = createVerifier({
      issuer: ISSUER,
      keySet: ring.keySet,
      clock: fixedClock,
      protectedResource: { resource },
    });
    const key = await generateDpopKey();
    const token = await signToken(ring.keys.RS256, {
      aud: resource,
      acr: 'pwd',
      cnf: { jkt: key.thumbprint },
    });
    const dpop = await createDpopProof({
      key,
      method: 'GET',
      url: 'http://api.example.test/mcp',
      accessToken: token,
      iat: NOW,
    });
    const auth = await verifier.authenticate(
      requestWith({ host: 'api.example.test', authorization: `DPoP ${token}`, dpop }, '/mcp'),
    );
    const error = rejectionOf(() => guard(auth));
    expect(error.wwwAuthenticate).toBe(
      `DPoP error="insufficient_user_authentication", error_description="${error.message}", acr_values="mfa", max_age="0", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/mcp"`,
    );
  });

  it('answers a request without a token (credentialsOptional) with 401 token_missing', () => {
    expect(rejectionOf(() => guard(undefined)).code).toBe('token_missing');
  });
});

describe('requireAuthentication arguments, refused when the route is defined', () => {
  it.each([
    ['neither acrValues nor maxAge', {}],
    ['an empty acrValues', { acrValues: [] }],
    ['acrValues of empty strings', { acrValues: [''] }],
    ['a lone string as acrValues', { acrValues: 'mfa' }],
    ['a negative maxAge', { maxAge: -1 }],
    ['a NaN maxAge', { maxAge: Number.NaN }],
    ['a maxAge from process.env', { maxAge: '300' }],
    ['a fractional maxAge', { maxAge: 1.5 }],
    ['an unknown key', { acr: ['mfa'] }],
    ['a clock that is no function', { maxAge: 1, clock: 5 }],
    ['a negative clockTolerance', { maxAge: 1, clockTolerance: -1 }],
    ['no options object', undefined],
  ])('throws a TypeError for %s', (_what, requirement) => {
    expect(() => authenticationGuard(requirement as never)).toThrow(TypeError);
  });
});
