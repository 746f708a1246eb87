import {
  type AuthleteIntrospectorOptions,
  createAuthleteIntrospector,
  type TokenIntrospector,
  toErrorResponse,
} from 'tokenwarden';
import { createDpopProof, generateDpopKey } from 'tokenwarden/testing';
import { describe, expect, it } from 'vitest';
import { recordEvents } from '../jwks/jwks-fixtures.js';
import { createManualClock } from '../support/clock.js';
import { type AuthleteServer, type AuthleteTokenRecord, createAuthleteServer } from './authlete-server.js';
import { CALL_DEADLINE_MS, closeAfterTest, expectRejection, NOW } from './fixtures.js';

const API_URL = 'https://api.example.test/orders/17';
const ISSUER = 'https://as.example.test';

/** A token the stand-in knows: user-1's, for orders:read, for an hour. */
const RECORD: AuthleteTokenRecord = {
  subject: 'user-1',
  scopes: ['orders:read', 'profile'],
  clientId: 3737820648,
  expiresAt: (NOW + 3600) * 1000,
};

async function setUp(overrides: Partial<AuthleteIntrospectorOptions> = {}) {
  const server = await createAuthleteServer(NOW * 1000);
  closeAfterTest(server);
  const clock = createManualClock();
  const events = recordEvents();
  const introspector: TokenIntrospector = createAuthleteIntrospector({
    baseUrl: server.baseUrl,
    serviceId: server.serviceId,
    accessToken: server.accessToken,
    timeoutMs: CALL_DEADLINE_MS,
    clock: clock.now,
    onEvent: events.listener,
    ...overrides,
  });
  return { server, clock, events, introspector };
}

/** A DPoP key, a token bound to it, and a proof for GET {@link API_URL} with that token. */
async function boundToken(server: AuthleteServer, options: { nonce?: string; url?: string } = {}) {
  const key = await generateDpopKey();
  const token = `bound-${key.thumbprint.slice(0, 8)}`;
  server.tokens.set(token, { ...RECORD, dpopJkt: key.thumbprint });
  const proof = await createDpopProof({
    key,
    method: 'GET',
    url: options.url ?? API_URL,
    accessToken: token,
    iat: NOW,
    nonce: options.nonce,
  });
  return { token, proof };
}

describe('Authlete /auth/introspection request', () => {
  it('POSTs JSON { token } to /api/{serviceId}/auth/introspection with the service access token as Bearer', async () => {
    const { server, introspector } = await setUp();
    server.tokens.set('opaque-1', RECORD);
    await introspector.introspect('opaque-1');
    expect(server.authorizations).toEqual([`Bearer ${server.accessToken}`]);
    expect(server.bodies).toEqual([{ token: 'opaque-1' }]);
  });

  it('passes the scopes the route requires, and the DPoP proof with htm and htu (query dropped)', async () => {
    const { server, introspector } = await setUp();
    const { token, proof } = await boundToken(server);
    await introspector.introspect(token, {
      method: 'GET',
      url: `${API_URL}?expand=items`,
      dpopProof: proof,
      requiredScopes: ['orders:read'],
    });
    expect(server.bodies).toEqual([
      { token, scopes: ['orders:read'], dpop: proof, htm: 'GET', htu: API_URL },
    ]);
  });

  it('refuses a DPoP proof without the request method and URL it must be checked against (request_invalid)', async () => {
    const { server, introspector } = await setUp();
    const { token, proof } = await boundToken(server);
    await expectRejection(introspector.introspect(token, { dpopProof: proof }), 'request_invalid');
    expect(server.bodies).toEqual([]);
  });
});

describe('Authlete action OK', () => {
  it('maps the answer to claims: subject, scopes, clientId, expiresAt in seconds, resources, certificate, issuer', async () => {
    const { server, introspector } = await setUp({ issuer: ISSUER });
    server.tokens.set('opaque-1', {
      ...RECORD,
      expiresAt: (NOW + 3600) * 1000 + 500,
      accessTokenResources: ['https://api.example.test'],
      certificateThumbprint: 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2',
    });
    const result = await introspector.introspect('opaque-1');
    expect(result.claims).toEqual({
      iss: ISSUER,
      sub: 'user-1',
      scope: 'orders:read profile',
      client_id: '3737820648',
      exp: NOW + 3600.5,
      aud: ['https://api.example.test'],
      cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' },
    });
    expect(result.scopes).toEqual(['orders:read', 'profile']);
    expect(result.senderConstraint).toBe('to_check');
  });

  it('names the client by its alias when the client used it', async () => {
    const { server, introspector } = await setUp();
    server.tokens.set('opaque-1', { ...RECORD, clientIdAlias: 'web-app', clientIdAliasUsed: true });
    expect((await introspector.introspect('opaque-1')).claims.client_id).toBe('web-app');
  });

  it('says the sender constraint was checked by the authorization server when it checked the proof', async () => {
    const { server, introspector } = await setUp();
    const { token, proof } = await boundToken(server);
    const result = await introspector.introspect(token, { method: 'GET', url: API_URL, dpopProof: proof });
    expect(result.senderConstraint).toBe('checked_by_authorization_server');
    expect(result.claims.cnf).toBeUndefined();
  });

  it('passes on the dpopNonce Authlete offers, for the DPoP-Nonce response header', async () => {
    const { server, introspector } = await setUp();
    server.requiredNonce = 'nonce-2';
    const { token, proof } = await boundToken(server, { nonce: 'nonce-2' });
    const result = await introspector.introspect(token, { method: 'GET', url: API_URL, dpopProof: proof });
    expect(result.dpopNonce).toBe('nonce-2');
  });
});

describe('Authlete actions UNAUTHORIZED, FORBIDDEN, BAD_REQUEST: responseContent is the challenge', () => {
  it("answers an unknown token with token_inactive and Authlete's WWW-Authenticate, as it is", async () => {
    const { introspector } = await setUp();
    const error = await expectRejection(introspector.introspect('unknown'), 'token_inactive');
    const response = toErrorResponse(error);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="The access token is not valid"',
    );
  });

  it('answers a proof Authlete refused with dpop_proof_invalid', async () => {
    const { server, introspector } = await setUp();
    const { token, proof } = await boundToken(server, { url: 'https://api.example.test/elsewhere' });
    const error = await expectRejection(
      introspector.introspect(token, { method: 'GET', url: API_URL, dpopProof: proof }),
      'dpop_proof_invalid',
    );
    expect(error.wwwAuthenticate).toBe(
      'DPoP error="invalid_dpop_proof", error_description="htm or htu mismatch"',
    );
  });

  it('refuses a bound token sent without a proof as Authlete says, never accepting it as Bearer', async () => {
    const { server, introspector } = await setUp();
    const { token } = await boundToken(server);
    const error = await expectRejection(introspector.introspect(token), 'dpop_proof_invalid');
    expect(error.wwwAuthenticate).toBe('DPoP error="invalid_dpop_proof", error_description="No DPoP proof"');
  });

  it('answers use_dpop_nonce with dpop_nonce_required and the nonce as DPoP-Nonce', async () => {
    const { server, introspector } = await setUp();
    server.requiredNonce = 'nonce-1';
    const { token, proof } = await boundToken(server);
    const error = await expectRejection(
      introspector.introspect(token, { method: 'GET', url: API_URL, dpopProof: proof }),
      'dpop_nonce_required',
    );
    const response = toErrorResponse(error);
    expect(response.headers['dpop-nonce']).toBe('nonce-1');
    expect(response.headers['www-authenticate']).toBe(
      'DPoP error="use_dpop_nonce", error_description="Use the nonce"',
    );
  });

  it('answers FORBIDDEN with scope_insufficient (403) and the required scopes', async () => {
    const { server, introspector } = await setUp();
    server.tokens.set('opaque-1', RECORD);
    const error = await expectRejection(
      introspector.introspect('opaque-1', { requiredScopes: ['orders:write'] }),
      'scope_insufficient',
    );
    expect(error.status).toBe(403);
    expect(error.requiredScopes).toEqual(['orders:write']);
    expect(error.wwwAuthenticate).toBe('Bearer error="insufficient_scope", scope="orders:write"');
  });

  it('answers BAD_REQUEST with request_invalid (400)', async () => {
    const { server, introspector } = await setUp();
    server.fault = 'bad-request';
    const error = await expectRejection(introspector.introspect('opaque-1'), 'request_invalid');
    expect(error.status).toBe(400);
    expect(error.wwwAuthenticate).toBe('Bearer error="invalid_request", error_description="No token"');
  });

  it('never sends a responseContent that would split the response headers', async () => {
    const { server, introspector } = await setUp();
    server.fault = 'header-splitting-content';
    const error = await expectRejection(introspector.introspect('opaque-1'), 'token_inactive');
    expect(error.wwwAuthenticate).toBe(
      'Bearer error="invalid_token", error_description="The access token is not active"',
    );
  });
});

describe('Authlete unavailable or refusing our service access token', () => {
  it('answers INTERNAL_SERVER_ERROR with 503 and an event', async () => {
    const { server, events, introspector } = await setUp();
    server.fault = 'internal-server-error';
    const error = await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(error.wwwAuthenticate).toBeUndefined();
    expect(events.ofType('introspection_failed')[0]?.reason).toBe('Authlete answered INTERNAL_SERVER_ERROR');
  });

  it('answers an HTTP 500 and a silent API with 503', async () => {
    const { server, events, introspector } = await setUp();
    server.fault = 'http-500';
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    server.fault = 'never-answer';
    await expectRejection(introspector.introspect('opaque-2'), 'introspection_unavailable');
    expect(events.ofType('introspection_failed').map((event) => event.reason)).toEqual([
      'unexpected HTTP status 500',
      `timed out after ${CALL_DEADLINE_MS} ms`,
    ]);
  });

  it('reports a refused service access token as a configuration error, and answers 503', async () => {
    const { server, events, introspector } = await setUp({ accessToken: 'expired-service-token' });
    server.tokens.set('opaque-1', RECORD);
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_client_rejected')).toEqual([
      {
        type: 'introspection_client_rejected',
        endpoint: `${server.baseUrl}/api/${server.serviceId}/auth/introspection`,
        status: 401,
        reason: 'Authlete refused the service access token (HTTP 401)',
      },
    ]);
  });
});

describe('Authlete answers in the cache', () => {
  it('caches answers to requests without a proof, by token and required scopes', async () => {
    const { server, introspector } = await setUp();
    server.tokens.set('opaque-1', RECORD);
    await introspector.introspect('opaque-1');
    expect((await introspector.introspect('opaque-1')).cached).toBe(true);
    await introspector.introspect('opaque-1', { requiredScopes: ['orders:read'] });
    expect(server.bodies).toHaveLength(2);
  });

  it('asks Authlete for every request with a proof, since it checks each proof', async () => {
    const { server, introspector } = await setUp();
    const { token, proof } = await boundToken(server);
    await introspector.introspect(token, { method: 'GET', url: API_URL, dpopProof: proof });
    const second = await introspector.introspect(token, { method: 'GET', url: API_URL, dpopProof: proof });
    expect(second.cached).toBe(false);
    expect(server.bodies).toHaveLength(2);
  });

  it('keeps an UNAUTHORIZED answer briefly and repeats its challenge exactly from the cache', async () => {
    const { server, clock, introspector } = await setUp();
    const first = await expectRejection(introspector.introspect('junk'), 'token_inactive');
    const second = await expectRejection(introspector.introspect('junk'), 'token_inactive');
    expect(second.wwwAuthenticate).toBe(first.wwwAuthenticate);
    expect(server.bodies).toHaveLength(1);
    clock.advance(5);
    await expectRejection(introspector.introspect('junk'), 'token_inactive');
    expect(server.bodies).toHaveLength(2);
  });
});

describe('createAuthleteIntrospector checks every option when it is built', () => {
  const AUTHLETE = {
    baseUrl: 'https://us.authlete.com',
    serviceId: '715948317',
    accessToken: 'service-token',
  };

  it.each([
    [{ baseUrl: 'http://us.authlete.com' }, /baseUrl must use https/],
    [{ serviceId: '' }, /serviceId must be a non-empty string/],
    [{ accessToken: undefined }, /needs accessToken/],
    [{ issuer: 'issuer.example.test' }, /issuer must be an absolute https URL/],
    [{ timeoutMs: 0 }, /timeoutMs must be a whole number of milliseconds from 1/],
    [{ serviceID: '1' }, /unknown option serviceID; did you mean serviceId\?/],
  ])('refuses %o', (overrides, message) => {
    expect(() =>
      createAuthleteIntrospector({ ...AUTHLETE, ...overrides } as Parameters<
        typeof createAuthleteIntrospector
      >[0]),
    ).toThrow(message);
  });
});
