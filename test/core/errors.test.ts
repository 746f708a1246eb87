import {
  authenticationGuard,
  createDpopNonces,
  createIntrospector,
  createVerifier,
  scopeGuard,
  TokenError,
  type TokenErrorCode,
  toErrorResponse,
} from 'tokenwarden';
import { createDpopProof, generateDpopKey, generateTestKey } from 'tokenwarden/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { assembleJws } from '../support/jws.js';
import { rejectionOf } from '../support/rejection.js';
import {
  AUDIENCE,
  bearerRequest,
  claimsWith,
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

/** A verifier with DPoP disabled, whose challenges are plain RFC 6750 `Bearer` ones. */
const bearerOnly = () => verifierFor(ring, { dpop: { mode: 'disabled' } });

/** Each code produced by a real call into the core, so the mapping is tested end to end. */
const producers: Record<TokenErrorCode, () => Promise<TokenError>> = {
  token_missing: () => rejectionOf(bearerOnly().authenticate(requestWith())),
  request_invalid: () =>
    rejectionOf(bearerOnly().authenticate(requestWith({ authorization: 'Bearer two words' }))),
  token_malformed: () => rejectionOf(verifierFor(ring).verify('not-a-jwt')),
  algorithm_not_allowed: () =>
    rejectionOf(verifierFor(ring).verify(assembleJws({ alg: 'none' }, claimsWith()))),
  signature_invalid: async () => {
    const impostor = await generateTestKey('RS256', ring.keys.RS256.kid);
    return rejectionOf(verifierFor(ring).verify(await signToken(impostor)));
  },
  key_not_found: async () =>
    rejectionOf(verifierFor(ring).verify(await signToken(ring.keys.RS256, {}, { kid: 'unknown-kid' }))),
  token_expired: async () =>
    rejectionOf(verifierFor(ring).verify(await signToken(ring.keys.RS256, { exp: NOW - 3600 }))),
  token_not_yet_valid: async () =>
    rejectionOf(verifierFor(ring).verify(await signToken(ring.keys.RS256, { nbf: NOW + 3600 }))),
  issuer_invalid: async () =>
    rejectionOf(verifierFor(ring).verify(await signToken(ring.keys.RS256, { iss: 'https://evil.test/' }))),
  audience_invalid: async () =>
    rejectionOf(verifierFor(ring).verify(await signToken(ring.keys.RS256, { aud: 'https://other.test' }))),
  claim_invalid: async () =>
    rejectionOf(verifierFor(ring).verify(await signToken(ring.keys.RS256, { exp: undefined }))),
  type_invalid: async () =>
    rejectionOf(
      verifierFor(ring, { typ: 'at+jwt' }).verify(await signToken(ring.keys.RS256, {}, { typ: 'JWT' })),
    ),
  scope_insufficient: async () => {
    const auth = await verifierFor(ring).verify(await signToken(ring.keys.RS256, { scope: 'read:messages' }));
    return rejectionOf(() => scopeGuard(['read:messages', 'write:messages'])(auth));
  },
  authentication_insufficient: async () => {
    const auth = await verifierFor(ring).verify(await signToken(ring.keys.RS256, { acr: 'pwd' }));
    return rejectionOf(() => authenticationGuard({ acrValues: ['mfa'] })(auth));
  },
  jwks_unavailable: async () => {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: 'https://issuer.example.test/jwks.json',
      clock: fixedClock,
      fetch: () => Promise.reject(new TypeError('connection refused')),
    });
    return rejectionOf(verifier.verify(await signToken(ring.keys.RS256)));
  },
  dpop_proof_invalid: async () => rejectionOf(verifierFor(ring).authenticate(await dpopRequest())),
  dpop_nonce_required: async () => {
    const nonces = createDpopNonces({ secret: 'a nonce secret that is long enough!!', clock: fixedClock });
    return rejectionOf(
      verifierFor(ring, { dpop: { nonces } }).authenticate(await dpopRequest({ withProof: true })),
    );
  },
  dpop_binding_mismatch: async () => {
    const key = await generateDpopKey();
    const token = await signToken(ring.keys.RS256, { cnf: { jkt: key.thumbprint } });
    return rejectionOf(verifierFor(ring).authenticate(bearerRequest(token)));
  },
  replay_store_unavailable: async () => {
    const replayStore = { checkAndStore: () => Promise.reject(new Error('store down')) };
    return rejectionOf(
      verifierFor(ring, { dpop: { replayStore } }).authenticate(await dpopRequest({ withProof: true })),
    );
  },
  token_inactive: () =>
    rejectionOf(
      introspectorAnswering(() => Promise.resolve(Response.json({ active: false }))).introspect(
        'an-opaque-token',
      ),
    ),
  introspection_unavailable: () =>
    rejectionOf(
      introspectorAnswering(() => Promise.reject(new TypeError('connection refused'))).introspect(
        'an-opaque-token',
      ),
    ),
};

/** An RFC 7662 introspector whose every call to the authorization server gets `answer()`. */
function introspectorAnswering(answer: () => Promise<Response>) {
  return createIntrospector({
    endpoint: 'https://issuer.example.test/introspect',
    clientId: 'api',
    clientAuthentication: { method: 'client_secret_basic', clientSecret: 'a client secret' },
    fetch: answer,
    clock: fixedClock,
  });
}

/** A DPoP request for a bound token, with or without a valid proof. */
async function dpopRequest(options: { withProof?: boolean } = {}) {
  const key = await generateDpopKey();
  const token = await signToken(ring.keys.RS256, { cnf: { jkt: key.thumbprint } });
  const headers: Record<string, string> = { host: 'api.example.test', authorization: `DPoP ${token}` };
  if (options.withProof === true) {
    headers.dpop = await createDpopProof({
      key,
      method: 'GET',
      url: 'http://api.example.test/api/private',
      accessToken: token,
      iat: NOW,
    });
  }
  return requestWith(headers);
}

const INVALID_TOKEN_CODES = [
  'token_malformed',
  'algorithm_not_allowed',
  'signature_invalid',
  'key_not_found',
  'token_expired',
  'token_not_yet_valid',
  'issuer_invalid',
  'audience_invalid',
  'claim_invalid',
  'type_invalid',
] as const satisfies readonly TokenErrorCode[];

describe('RFC 6750 §3.1 error codes, statuses and WWW-Authenticate challenges', () => {
  it('answers token_missing with 401 and a bare "Bearer" challenge without an error parameter', async () => {
    const error = await producers.token_missing();
    expect(error.code).toBe('token_missing');
    expect(error.status).toBe(401);
    expect(error.oauthError).toBeUndefined();
    expect(error.wwwAuthenticate).toBe('Bearer');
    const response = toErrorResponse(error);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.body).toEqual({ error: 'unauthorized', error_description: error.message });
  });

  it('answers request_invalid with 400 invalid_request', async () => {
    const error = await producers.request_invalid();
    expect(error.code).toBe('request_invalid');
    expect(error.status).toBe(400);
    expect(error.oauthError).toBe('invalid_request');
    expect(error.wwwAuthenticate).toBe(
      `Bearer error="invalid_request", error_description="${error.message}"`,
    );
    expect(toErrorResponse(error)).toEqual({
      status: 400,
      headers: { 'cache-control': 'no-store', 'www-authenticate': error.wwwAuthenticate },
      body: { error: 'invalid_request', error_description: error.message },
    });
  });

  it.each(INVALID_TOKEN_CODES)('answers %s with 401 invalid_token', async (code) => {
    const error = await producers[code]();
    expect(error.code).toBe(code);
    expect(error.status).toBe(401);
    expect(error.oauthError).toBe('invalid_token');
    expect(error.message).not.toBe('');
    expect(error.wwwAuthenticate).toBe(`Bearer error="invalid_token", error_description="${error.message}"`);
    expect(toErrorResponse(error)).toEqual({
      status: 401,
      headers: { 'cache-control': 'no-store', 'www-authenticate': error.wwwAuthenticate },
      body: { error: 'invalid_token', error_description: error.message },
    });
  });

  it('answers scope_insufficient with 403 insufficient_scope and the required scopes in scope="..."', async () => {
    const error = await producers.scope_insufficient();
    expect(error.code).toBe('scope_insufficient');
    expect(error.status).toBe(403);
    expect(error.oauthError).toBe('insufficient_scope');
    expect(error.requiredScopes).toEqual(['read:messages', 'write:messages']);
    expect(error.wwwAuthenticate).toBe(
      `Bearer error="insufficient_scope", error_description="${error.message}", scope="read:messages write:messages"`,
    );
    expect(toErrorResponse(error)).toEqual({
      status: 403,
      headers: { 'cache-control': 'no-store', 'www-authenticate': error.wwwAuthenticate },
      body: { error: 'insufficient_scope', error_description: error.message },
    });
  });

  it('answers jwks_unavailable with 503 and no challenge, since the client is not at fault', async () => {
    const error = await producers.jwks_unavailable();
    expect(error.code).toBe('jwks_unavailable');
    expect(error.status).toBe(503);
    expect(error.wwwAuthenticate).toBeUndefined();
    const response = toErrorResponse(error);
    expect(response.status).toBe(503);
    expect(response.headers).not.toHaveProperty('www-authenticate');
    expect(response.body.error_description).toBe(error.message);
  });

  it.each([
    ['dpop_proof_invalid', 401, 'invalid_dpop_proof'],
    ['dpop_nonce_required', 401, 'use_dpop_nonce'],
    ['dpop_binding_mismatch', 401, 'invalid_token'],
  ] as const)('answers %s with %i %s (RFC 9449 §7.1, §9)', async (code, status, oauthError) => {
    const error = await producers[code]();
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.oauthError).toBe(oauthError);
    expect(toErrorResponse(error).body).toEqual({ error: oauthError, error_description: error.message });
  });

  it('answers replay_store_unavailable with 503 and no challenge', async () => {
    const error = await producers.replay_store_unavailable();
    expect(error.status).toBe(503);
    expect(error.wwwAuthenticate).toBeUndefined();
  });

  it('marks every error response as not cacheable', async () => {
    for (const produce of Object.values(producers)) {
      expect(toErrorResponse(await produce()).headers['cache-control']).toBe('no-store');
    }
  });
});

describe('error_description safety', () => {
  it('never puts the token, or any segment of it, in error_description', async () => {
    const tokens = [
      await signToken(ring.keys.RS256, { exp: NOW - 3600 }),
      await signToken(ring.keys.RS256, { iss: 'https://evil.test/' }),
      await signToken(ring.keys.RS256, {}, { kid: 'unknown-kid' }),
      assembleJws({ alg: 'none' }, claimsWith()),
      `${(await signToken(ring.keys.RS256)).slice(0, -4)}AAAA`,
    ];
    for (const token of tokens) {
      const error = await rejectionOf(verifierFor(ring).authenticate(bearerRequest(token)));
      const response = toErrorResponse(error);
      for (const segment of token.split('.').filter((part) => part.length > 0)) {
        expect(response.body.error_description).not.toContain(segment);
        expect(response.headers['www-authenticate']).not.toContain(segment);
      }
    }
  });

  it('never echoes client-supplied claim values such as an untrusted iss', async () => {
    const iss = 'https://attacker.test/"><script>';
    const error = await rejectionOf(verifierFor(ring).verify(await signToken(ring.keys.RS256, { iss })));
    expect(error.message).not.toContain('attacker.test');
    expect(error.wwwAuthenticate).not.toContain('attacker.test');
  });

  it('strips quotes, backslashes and control characters from a custom message in the challenge', () => {
    const error = new TokenError('claim_invalid', 'bad "tenant"\\\r\nX-Injected: 1');
    expect(error.wwwAuthenticate).toBe(
      'Bearer error="invalid_token", error_description="bad tenantX-Injected: 1"',
    );
  });

  it('keeps the underlying failure as cause for logs without exposing it in the response', async () => {
    const impostor = await generateTestKey('RS256', ring.keys.RS256.kid);
    const error = await rejectionOf(verifierFor(ring).verify(await signToken(impostor)));
    expect(error.cause).toBeInstanceOf(Error);
    expect(JSON.stringify(toErrorResponse(error))).not.toContain(String((error.cause as Error).message));
  });
});
