import { createServer } from 'node:net';
import { createIntrospector, toErrorResponse } from 'tokenwarden';
import { describe, expect, it } from 'vitest';
import {
  activeAnswer,
  CALL_DEADLINE_MS,
  CLIENT_ID,
  CLIENT_SECRET,
  expectRejection,
  NOW,
  setUpIntrospection,
} from './fixtures.js';

describe('RFC 7662 §2.1 introspection request', () => {
  it('POSTs the token form-encoded with token_type_hint=access_token and asks for JSON', async () => {
    const { server, introspector } = await setUpIntrospection();
    server.answers.set('opaque-1', activeAnswer(server));
    await introspector.introspect('opaque-1');
    const [call] = server.calls;
    expect(call?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(call?.headers.accept).toBe('application/json');
    expect(call?.params.get('token')).toBe('opaque-1');
    expect(call?.params.get('token_type_hint')).toBe('access_token');
  });

  it('finds the endpoint in the issuer metadata (RFC 8414 introspection_endpoint) once', async () => {
    const { server, introspector } = await setUpIntrospection({
      introspector: (as) => ({ endpoint: undefined, issuer: as.issuer }),
    });
    server.answers.set('opaque-1', activeAnswer(server));
    server.answers.set('opaque-2', activeAnswer(server));
    await introspector.introspect('opaque-1');
    await introspector.introspect('opaque-2');
    expect(server.requests.introspect).toBe(2);
    expect(server.requests.discovery).toBe(1);
  });

  it('refuses with 503 when the metadata names no introspection endpoint, and looks again next time', async () => {
    const { server, events, introspector } = await setUpIntrospection({
      advertiseEndpoint: false,
      introspector: (as) => ({ endpoint: undefined, issuer: as.issuer }),
    });
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(server.requests.introspect).toBe(0);
    // Both well-known documents, twice: a failed discovery is not kept.
    expect(server.requests.discovery).toBe(4);
    expect(events.ofType('introspection_failed')[0]).toEqual({
      type: 'introspection_failed',
      endpoint: server.issuer,
      reason: 'discovery document has no introspection_endpoint',
    });
  });
});

describe('RFC 7662 §2.2 introspection response', () => {
  it('turns an active answer into the claims object, every member but active kept as it is', async () => {
    const { server, introspector } = await setUpIntrospection();
    const answer = activeAnswer(server, {
      username: 'jdoe',
      cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' },
      nbf: NOW - 10,
      jti: 'token-id',
      custom: { nested: [1, 2] },
    });
    server.answers.set('opaque-1', answer);
    const result = await introspector.introspect('opaque-1');
    const { active: _active, ...members } = answer;
    expect(result.claims).toEqual(members);
    expect(result.scopes).toEqual(['orders:read', 'orders:write']);
    expect(result.token).toBe('opaque-1');
    expect(result.senderConstraint).toBe('to_check');
    expect(result.cached).toBe(false);
    expect(Object.isFrozen(result.claims)).toBe(true);
    expect(Object.isFrozen(result.claims.custom)).toBe(true);
  });

  it('refuses a token the server says is not active with token_inactive (401 invalid_token)', async () => {
    const { server, introspector } = await setUpIntrospection();
    server.answers.set('revoked', { active: false });
    const error = await expectRejection(introspector.introspect('revoked'), 'token_inactive');
    expect(error.status).toBe(401);
    expect(error.oauthError).toBe('invalid_token');
    expect(toErrorResponse(error).headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="The access token is not active"',
    );
  });

  it('refuses an unknown token as not active, since the server answers active: false for it', async () => {
    const { introspector } = await setUpIntrospection();
    await expectRejection(introspector.introspect('never-issued'), 'token_inactive');
  });

  it.each([
    ['sub', 42],
    ['client_id', ['web-app']],
    ['scope', ['orders:read']],
    ['jti', 7],
    ['iss', null],
    ['username', {}],
  ])('refuses an answer whose %s is not a string (claim_invalid)', async (member, value) => {
    const { server, introspector } = await setUpIntrospection();
    server.answers.set('opaque-1', activeAnswer(server, { [member]: value }));
    await expectRejection(introspector.introspect('opaque-1'), 'claim_invalid');
  });

  it.each([
    ['exp', '1800003600'],
    ['iat', null],
    ['nbf', true],
  ])('refuses an answer whose %s is not a number (claim_invalid)', async (member, value) => {
    const { server, introspector } = await setUpIntrospection();
    server.answers.set('opaque-1', activeAnswer(server, { [member]: value }));
    await expectRejection(introspector.introspect('opaque-1'), 'claim_invalid');
  });

  it('refuses an aud that is neither a string nor a list of strings, and a cnf that is no object', async () => {
    const { server, introspector } = await setUpIntrospection();
    server.answers.set('bad-aud', activeAnswer(server, { aud: ['https://api.example.test', 3] }));
    server.answers.set('bad-cnf', activeAnswer(server, { cnf: 'jkt' }));
    await expectRejection(introspector.introspect('bad-aud'), 'claim_invalid');
    await expectRejection(introspector.introspect('bad-cnf'), 'claim_invalid');
  });

  it.each(['refresh_token', 'urn:ietf:params:oauth:token-type:refresh_token', 'N_A', 'id_token'])(
    'refuses a token whose token_type is %s: not an access token (type_invalid)',
    async (tokenType) => {
      const { server, introspector } = await setUpIntrospection();
      server.answers.set('opaque-1', activeAnswer(server, { token_type: tokenType }));
      const error = await expectRejection(introspector.introspect('opaque-1'), 'type_invalid');
      expect(error.status).toBe(401);
    },
  );

  it.each(['Bearer', 'bearer', 'DPoP', 'urn:ietf:params:oauth:token-type:access_token'])(
    'accepts token_type %s',
    async (tokenType) => {
      const { server, introspector } = await setUpIntrospection();
      server.answers.set('opaque-1', activeAnswer(server, { token_type: tokenType }));
      await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    },
  );

  it.each([
    ['no-active', 'introspection answer has no boolean active member'],
    ['string-active', 'introspection answer has no boolean active member'],
    ['not-json', 'introspection answer is not JSON'],
    ['wrong-content-type', "expected application/json, got content type 'text/html'"],
  ] as const)(
    'answers 503 introspection_unavailable for the %s fault, never "token invalid"',
    async (fault, reason) => {
      const { server, events, introspector } = await setUpIntrospection();
      server.answers.set('opaque-1', activeAnswer(server));
      server.fault = fault;
      const error = await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
      expect(error.status).toBe(503);
      expect(error.wwwAuthenticate).toBeUndefined();
      expect(events.ofType('introspection_failed')).toEqual([
        { type: 'introspection_failed', endpoint: server.endpoint, reason },
      ]);
    },
  );
});

describe('RFC 7662 §2.3 error response: our own credentials refused', () => {
  it('reports a 401 for wrong credentials as a configuration error, and answers 503', async () => {
    const { server, events } = await setUpIntrospection();
    const introspector = createIntrospector({
      endpoint: server.endpoint,
      clientId: CLIENT_ID,
      clientAuthentication: { method: 'client_secret_basic', clientSecret: 'not the secret' },
      onEvent: events.listener,
    });
    server.answers.set('opaque-1', activeAnswer(server));
    const error = await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(error.status).toBe(503);
    expect(toErrorResponse(error).headers['www-authenticate']).toBeUndefined();
    expect(events.ofType('introspection_client_rejected')).toEqual([
      {
        type: 'introspection_client_rejected',
        endpoint: server.endpoint,
        status: 401,
        reason: "the authorization server refused this API's credentials (HTTP 401 invalid_client)",
      },
    ]);
    expect(events.ofType('introspection_failed')).toEqual([]);
  });

  it('reports a 403 from the endpoint the same way', async () => {
    const { server, events, introspector } = await setUpIntrospection();
    server.fault = 'status-403';
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_client_rejected')[0]?.status).toBe(403);
  });
});

describe('RFC 7662 §4 the authorization server unreachable, slow or broken', () => {
  it('answers 503 when nothing listens at the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}/introspect`;
    const { events } = await setUpIntrospection();
    const introspector = createIntrospector({
      endpoint,
      clientId: CLIENT_ID,
      clientAuthentication: { method: 'client_secret_post', clientSecret: CLIENT_SECRET },
      onEvent: events.listener,
    });
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_failed')).toEqual([
      { type: 'introspection_failed', endpoint, reason: 'network error (ECONNREFUSED)' },
    ]);
  });

  it('gives up at the deadline when the server never answers', async () => {
    const { server, events, introspector } = await setUpIntrospection();
    server.fault = 'never-answer';
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_failed')[0]?.reason).toBe(`timed out after ${CALL_DEADLINE_MS} ms`);
  });

  it('answers 503 for an HTTP 500', async () => {
    const { server, events, introspector } = await setUpIntrospection();
    server.fault = 'status-500';
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_failed')[0]?.reason).toBe('unexpected HTTP status 500');
  });

  it('stops reading a 10 MB answer at maxResponseBytes', async () => {
    const { server, events, introspector } = await setUpIntrospection({
      introspector: { timeoutMs: 10_000 },
    });
    server.answers.set('opaque-1', activeAnswer(server));
    server.fault = 'huge-body';
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_failed')[0]?.reason).toBe('response larger than 65536 bytes');
  });

  it('does not follow a redirect, which would carry the credentials elsewhere', async () => {
    const { server, events, introspector } = await setUpIntrospection();
    server.fault = 'redirect';
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(server.requests.introspect).toBe(1);
    expect(events.ofType('introspection_failed')[0]?.reason).toBe(
      'endpoint answered with a redirect (HTTP 307), which is not followed',
    );
  });

  it('refuses an empty or oversized token before calling the server', async () => {
    const { server, introspector } = await setUpIntrospection();
    await expectRejection(introspector.introspect(''), 'token_malformed');
    await expectRejection(introspector.introspect('x'.repeat(16 * 1024 + 1)), 'token_malformed');
    expect(server.requests.introspect).toBe(0);
  });

  it('refuses when the clock gives no finite time, rather than judge freshness blind', async () => {
    const { server } = await setUpIntrospection();
    const introspector = createIntrospector({
      endpoint: server.endpoint,
      clientId: CLIENT_ID,
      clientAuthentication: { method: 'client_secret_basic', clientSecret: CLIENT_SECRET },
      clock: () => Number.NaN,
    });
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
  });
});

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
