import {
  createAuthleteIntrospector,
  createVerifier,
  fromNodeRequest,
  type ResourceRequest,
  toErrorResponse,
  type VerifierOptions,
} from 'tokenwarden';
import { createDpopProof, createTestIssuer, generateDpopKey, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthleteServer } from './authlete-server.js';
import { activeAnswer, closeAfterTest, expectRejection, NOW, setUpIntrospection } from './fixtures.js';

const AUDIENCE = 'https://api.example.test';
const URL_SEEN = 'http://api.example.test/api/orders';
const OPAQUE = 'opaque-access-token-1';

let jwtIssuer: TestIssuer;
beforeAll(async () => {
  jwtIssuer = await createTestIssuer({ algorithms: ['ES256'], clock: () => NOW, audience: AUDIENCE });
});
afterAll(() => jwtIssuer.close());

/** An authorization server knowing {@link OPAQUE}, and a verifier trusting it and the JWT issuer. */
async function setUp(overrides: Partial<VerifierOptions> = {}, answer: Record<string, unknown> = {}) {
  const setup = await setUpIntrospection();
  setup.server.answers.set(OPAQUE, activeAnswer(setup.server, answer));
  const verifier = createVerifier({
    issuer: [setup.server.issuer, jwtIssuer.issuer],
    audience: AUDIENCE,
    keySet: jwtIssuer.jwks(),
    clock: setup.clock.now,
    introspection: setup.introspector,
    ...overrides,
  });
  return { ...setup, verifier };
}

function request(headers: Record<string, string>): ResourceRequest {
  return fromNodeRequest({
    method: 'GET',
    url: '/api/orders',
    headers: { host: 'api.example.test', ...headers },
  });
}

describe('RFC 7662 §2: tokens that are not JWTs are introspected by createVerifier', () => {
  it('accepts an active opaque token with the answer as its claims', async () => {
    const { verifier } = await setUp();
    const auth = await verifier.verify(OPAQUE);
    expect(auth.token).toBe(OPAQUE);
    expect(auth.claims.sub).toBe('user-1');
    expect(auth.scopes).toEqual(['orders:read', 'orders:write']);
    expect(auth.header).toEqual({});
    expect(Object.isFrozen(auth.claims)).toBe(true);
  });

  it('verifies a compact JWS locally, never asking the authorization server', async () => {
    const { verifier, server } = await setUp();
    const jwt = await jwtIssuer.signToken({ sub: 'jwt-user' });
    expect((await verifier.verify(jwt)).claims.sub).toBe('jwt-user');
    expect(server.requests.introspect).toBe(0);
  });

  it('still refuses an opaque token as token_malformed when no introspection is configured', async () => {
    const { verifier } = await setUp({ introspection: undefined });
    await expectRejection(verifier.verify(OPAQUE), 'token_malformed');
  });

  it('refuses a token the server says is not active (RFC 7662 §2.2) with 401 invalid_token', async () => {
    const { verifier } = await setUp();
    const error = await expectRejection(
      verifier.authenticate(request({ authorization: 'Bearer unknown-token' })),
      'token_inactive',
    );
    expect(toErrorResponse(error).status).toBe(401);
    expect(error.wwwAuthenticate).toMatch(/^Bearer error="invalid_token"/);
  });

  it('refuses a token longer than maxTokenSize without asking the server', async () => {
    const { verifier, server } = await setUp({ maxTokenSize: 64 });
    server.answers.set('x'.repeat(65), activeAnswer(server));
    await expectRejection(verifier.verify('x'.repeat(65)), 'token_malformed');
    expect(server.requests.introspect).toBe(0);
  });

  it('answers 503 without a challenge when the server cannot be asked', async () => {
    const { verifier, server } = await setUp();
    server.fault = 'status-500';
    const error = await expectRejection(verifier.verify(OPAQUE), 'introspection_unavailable');
    expect(toErrorResponse(error).headers).not.toHaveProperty('www-authenticate');
  });
});

describe('RFC 9068 §4 claim rules apply to introspected claims as to a JWT', () => {
  it('refuses an issuer this API does not trust', async () => {
    const { verifier } = await setUp({}, { iss: 'https://elsewhere.example.test/' });
    await expectRejection(verifier.verify(OPAQUE), 'issuer_invalid');
  });

  it('refuses an answer for another audience, or with none', async () => {
    const other = await setUp({}, { aud: 'https://other-api.example.test' });
    await expectRejection(other.verifier.verify(OPAQUE), 'audience_invalid');
    const none = await setUp({}, { aud: undefined });
    await expectRejection(none.verifier.verify(OPAQUE), 'audience_invalid');
  });

  it('refuses an answer whose exp has passed, beyond the clock tolerance', async () => {
    const { verifier } = await setUp({ clockTolerance: 0 }, { exp: NOW - 1 });
    await expectRejection(verifier.verify(OPAQUE), 'token_expired');
  });

  it('refuses an answer issued in the future beyond the clock tolerance', async () => {
    const { verifier } = await setUp({ clockTolerance: 5 }, { iat: NOW + 30 });
    await expectRejection(verifier.verify(OPAQUE), 'token_not_yet_valid');
  });

  it('applies requiredClaims', async () => {
    const { verifier } = await setUp({ requiredClaims: ['acr'] });
    await expectRejection(verifier.verify(OPAQUE), 'claim_invalid');
  });

  it('applies validateClaims, with an empty header', async () => {
    const seen: unknown[] = [];
    const { verifier } = await setUp({
      validateClaims: (claims, header) => {
        seen.push(header);
        return claims.client_id === 'another-client';
      },
    });
    await expectRejection(verifier.verify(OPAQUE), 'claim_invalid');
    expect(seen).toEqual([{}]);
  });

  it('refuses an answer of the wrong claim type, as claims.ts does for a JWT', async () => {
    const { verifier } = await setUp({}, { sub: 42 });
    await expectRejection(verifier.verify(OPAQUE), 'claim_invalid');
  });
});

describe('RFC 9449 §7: an introspected cnf.jkt is checked exactly as a JWT one', () => {
  async function bound() {
    const key = await generateDpopKey();
    const setup = await setUp({}, { cnf: { jkt: key.thumbprint }, token_type: 'DPoP' });
    const proof = (options: { nonce?: string } = {}) =>
      createDpopProof({ key, method: 'GET', url: URL_SEEN, accessToken: OPAQUE, iat: NOW, ...options });
    return { ...setup, key, proof };
  }

  it('accepts the bound opaque token with its proof, ath hashing the opaque token', async () => {
    const { verifier, key, proof } = await bound();
    const auth = await verifier.authenticate(
      request({ authorization: `DPoP ${OPAQUE}`, dpop: await proof() }),
    );
    expect(auth?.scheme).toBe('DPoP');
    expect(auth?.dpop?.thumbprint).toBe(key.thumbprint);
  });

  it('refuses it as a Bearer token (§7.2)', async () => {
    const { verifier } = await bound();
    await expectRejection(
      verifier.authenticate(request({ authorization: `Bearer ${OPAQUE}` })),
      'dpop_binding_mismatch',
    );
    await expectRejection(verifier.verify(OPAQUE), 'dpop_binding_mismatch');
  });

  it('refuses a proof replayed (§11.1)', async () => {
    const { verifier, proof } = await bound();
    const headers = { authorization: `DPoP ${OPAQUE}`, dpop: await proof() };
    await verifier.authenticate(request(headers));
    await expectRejection(verifier.authenticate(request(headers)), 'dpop_proof_invalid');
  });

  it('refuses a proof whose ath is another token (§4.3 point 11)', async () => {
    const { verifier, key } = await bound();
    const proof = await createDpopProof({
      key,
      method: 'GET',
      url: URL_SEEN,
      accessToken: 'another-token',
      iat: NOW,
    });
    await expectRejection(
      verifier.authenticate(request({ authorization: `DPoP ${OPAQUE}`, dpop: proof })),
      'dpop_proof_invalid',
    );
  });
});

describe('Authlete: a DPoP proof checked by the authorization server is not checked again', () => {
  const ISSUER = 'https://as.example.test';
  const ORDERS_URL = 'http://api.example.test/api/orders';

  async function authlete() {
    const server = await createAuthleteServer(NOW * 1000);
    closeAfterTest(server);
    const key = await generateDpopKey();
    server.tokens.set(OPAQUE, {
      subject: 'user-1',
      scopes: ['orders:read'],
      clientId: 1234,
      expiresAt: (NOW + 3600) * 1000,
      accessTokenResources: [AUDIENCE],
      dpopJkt: key.thumbprint,
    });
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keySet: jwtIssuer.jwks(),
      clock: () => NOW,
      introspection: createAuthleteIntrospector({
        baseUrl: server.baseUrl,
        serviceId: server.serviceId,
        accessToken: server.accessToken,
        issuer: ISSUER,
        clock: () => NOW,
      }),
    });
    return { server, key, verifier };
  }

  it('accepts the request the server accepted, with its proof key and its DPoP-Nonce passed on', async () => {
    const { server, key, verifier } = await authlete();
    server.requiredNonce = 'nonce-from-the-server';
    const proof = await createDpopProof({
      key,
      method: 'GET',
      url: ORDERS_URL,
      accessToken: OPAQUE,
      nonce: 'nonce-from-the-server',
    });
    const auth = await verifier.authenticate(request({ authorization: `DPoP ${OPAQUE}`, dpop: proof }));
    expect(auth?.scheme).toBe('DPoP');
    expect(auth?.dpop).toEqual({ thumbprint: key.thumbprint, nextNonce: 'nonce-from-the-server' });
    expect(server.bodies.at(-1)).toMatchObject({ htm: 'GET', htu: ORDERS_URL, dpop: proof });
  });

  it("sends the server's own challenge and nonce when it wants a nonce (RFC 9449 §8)", async () => {
    const { server, key, verifier } = await authlete();
    server.requiredNonce = 'nonce-from-the-server';
    const proof = await createDpopProof({ key, method: 'GET', url: ORDERS_URL, accessToken: OPAQUE });
    const error = await expectRejection(
      verifier.authenticate(request({ authorization: `DPoP ${OPAQUE}`, dpop: proof })),
      'dpop_nonce_required',
    );
    const response = toErrorResponse(error);
    expect(response.headers['dpop-nonce']).toBe('nonce-from-the-server');
    expect(response.headers['www-authenticate']).toMatch(/^DPoP error="use_dpop_nonce"/);
  });
});

describe('FAPI 2.0 §5.3.4: revocation of JWT access tokens (introspectJwts)', () => {
  async function revocable() {
    const setup = await setUpIntrospection({ introspector: { cache: { ttl: 30 } } });
    const jwt = await jwtIssuer.signToken({ sub: 'jwt-user' });
    setup.server.answers.set(jwt, activeAnswer(setup.server));
    const verifier = createVerifier({
      issuer: jwtIssuer.issuer,
      audience: AUDIENCE,
      keySet: jwtIssuer.jwks(),
      clock: setup.clock.now,
      introspection: setup.introspector,
      introspectJwts: true,
    });
    return { ...setup, jwt, verifier };
  }

  it('asks the authorization server about a JWT once it passes locally', async () => {
    const { verifier, jwt, server } = await revocable();
    await verifier.authenticate(request({ authorization: `Bearer ${jwt}` }));
    expect(server.requests.introspect).toBe(1);
  });

  it('refuses a revoked JWT once the cached answer is older than the cache ttl', async () => {
    const { verifier, jwt, server, clock } = await revocable();
    const presented = () => verifier.authenticate(request({ authorization: `Bearer ${jwt}` }));
    await presented();
    server.answers.delete(jwt);
    clock.advance(29);
    await expect(presented()).resolves.toBeDefined();
    clock.advance(2);
    await expectRejection(presented(), 'token_inactive');
    expect(server.requests.introspect).toBe(2);
  });

  it('does not ask about JWTs without introspectJwts', async () => {
    const { jwt, server, clock, introspector } = await revocable();
    const verifier = createVerifier({
      issuer: jwtIssuer.issuer,
      audience: AUDIENCE,
      keySet: jwtIssuer.jwks(),
      clock: clock.now,
      introspection: introspector,
    });
    await verifier.authenticate(request({ authorization: `Bearer ${jwt}` }));
    expect(server.requests.introspect).toBe(0);
  });
});

describe('the introspection options are checked when the verifier is built', () => {
  const base = { issuer: 'https://as.example.test/', audience: AUDIENCE, keySet: { keys: [] } };

  it('refuses an introspection option without an introspect method', () => {
    expect(() => createVerifier({ ...base, introspection: {} as never })).toThrow(
      /introspection must be an object with introspect/,
    );
  });

  it('refuses introspectJwts without an introspection option, or not a boolean', () => {
    expect(() => createVerifier({ ...base, introspectJwts: true })).toThrow(
      /introspectJwts needs an introspection/,
    );
    expect(() => createVerifier({ ...base, introspectJwts: 'true' as never })).toThrow(TypeError);
  });
});
