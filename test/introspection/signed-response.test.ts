import type { JSONWebKeySet } from 'jose';
import { createIntrospector, createStaticKeyProvider } from 'tokenwarden';
import { describe, expect, it } from 'vitest';
import { activeAnswer, CLIENT_ID, CLIENT_SECRET, expectRejection, setUpIntrospection } from './fixtures.js';
import type { SigningFault } from './introspection-server.js';

/** An introspector asking the test server for RFC 9701 signed answers, keys discovered from the issuer. */
function signedSetUp() {
  return setUpIntrospection({ introspector: (as) => ({ issuer: as.issuer, signedResponses: true }) });
}

describe('RFC 9701 §4 requesting a signed answer', () => {
  it('asks with Accept: application/token-introspection+jwt', async () => {
    const { server, introspector } = await signedSetUp();
    server.answers.set('opaque-1', activeAnswer(server));
    await introspector.introspect('opaque-1');
    expect(server.calls[0]?.headers.accept).toBe('application/token-introspection+jwt');
  });

  it('refuses a plain JSON answer when a signed one was asked for (no downgrade)', async () => {
    const { server, events } = await setUpIntrospection();
    const introspector = createIntrospector({
      endpoint: server.endpoint,
      issuer: server.issuer,
      clientId: CLIENT_ID,
      clientAuthentication: { method: 'client_secret_basic', clientSecret: CLIENT_SECRET },
      signedResponses: true,
      // Someone on the path rewrites the request, so the server answers plain JSON.
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as object), accept: 'application/json' } }),
      onEvent: events.listener,
    });
    server.answers.set('opaque-1', activeAnswer(server));
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_failed')[0]?.reason).toBe(
      "expected a signed answer, got content type 'application/json'",
    );
  });
});

describe('RFC 9701 §5 the signed answer', () => {
  it('verifies the JWT against the issuer key set and uses its token_introspection member', async () => {
    const { server, introspector } = await signedSetUp();
    server.answers.set('opaque-1', activeAnswer(server, { sub: 'signed-user' }));
    const result = await introspector.introspect('opaque-1');
    expect(result.claims.sub).toBe('signed-user');
    expect(server.requests.jwks).toBe(1);
  });

  it('refuses as not active a signed answer saying active: false', async () => {
    const { introspector } = await signedSetUp();
    await expectRejection(introspector.introspect('never-issued'), 'token_inactive');
  });

  it('uses a configured key provider instead of discovering the key set', async () => {
    const { server, clock } = await signedSetUp();
    const keys = (await (await fetch(server.jwksUri)).json()) as JSONWebKeySet;
    const introspector = createIntrospector({
      endpoint: server.endpoint,
      issuer: server.issuer,
      clientId: CLIENT_ID,
      clientAuthentication: { method: 'client_secret_basic', clientSecret: CLIENT_SECRET },
      signedResponses: { keyProvider: createStaticKeyProvider(keys), algorithms: ['ES256'] },
      clock: clock.now,
    });
    server.answers.set('opaque-1', activeAnswer(server));
    await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    expect(server.requests.jwks).toBe(1);
  });

  it.each([
    ['bad-signature', 'signed introspection answer refused: signature does not verify'],
    ['wrong-audience', 'signed introspection answer refused: aud claim check failed'],
    ['wrong-typ', 'signed introspection answer refused: typ claim check failed'],
    ['wrong-issuer', 'signed introspection answer refused: iss claim check failed'],
    ['future-iat', 'signed introspection answer refused: iat is in the future'],
  ] as [SigningFault, string][])(
    'answers 503, never "token invalid", for a JWT with %s',
    async (fault, reason) => {
      const { server, events, introspector } = await signedSetUp();
      server.answers.set('opaque-1', activeAnswer(server));
      server.signingFault = fault;
      await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
      expect(events.ofType('introspection_failed')).toEqual([
        { type: 'introspection_failed', endpoint: server.endpoint, reason },
      ]);
    },
  );

  it('refuses a signed answer whose algorithm is not accepted', async () => {
    const { server, events, introspector } = await setUpIntrospection({
      introspector: (as) => ({ issuer: as.issuer, signedResponses: { algorithms: ['PS256'] } }),
    });
    server.answers.set('opaque-1', activeAnswer(server));
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_failed')[0]?.reason).toBe(
      'signed introspection answer refused: algorithm not allowed',
    );
  });
});
