import { HttpResponse, http } from 'msw';
import { createVerifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectRejection } from '../support/rejection.js';
import { createFaultServer, recordEvents } from './jwks-fixtures.js';

const faults = createFaultServer();
let issuer: TestIssuer;

beforeAll(async () => {
  faults.msw.listen({ onUnhandledRequest: 'bypass' });
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
});
afterEach(() => faults.reset());
afterAll(async () => {
  faults.msw.close();
  await issuer.close();
});

/** An msw handler answering `from` with a redirect of `status` to `location`. */
function redirect(from: string, location: string, status = 302) {
  return http.get(from, () => new HttpResponse(null, { status, headers: { location } }));
}

/** An msw handler answering `at` with the test issuer's key set. */
function keySetAt(at: string) {
  return http.get(at, () => HttpResponse.json(issuer.jwks()));
}

/** A verifier reading its key set from `jwksUri`, or discovering it when `jwksUri` is undefined. */
function verifierFor(jwksUri: string | undefined) {
  const events = recordEvents();
  const verifier = createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    jwksUri,
    onEvent: events.listener,
  });
  return { verifier, events };
}

describe('Metadata redirects are followed hop by hop, and every hop must be https', () => {
  it('refuses a key set whose redirects pass through a plain-http hop, never requesting that hop', async () => {
    const first = 'https://keys.example.com/jwks.json';
    const plainHttpHop = 'http://mirror.example.com/jwks.json';
    const last = 'https://cdn.example.com/jwks.json';
    faults.msw.use(redirect(first, plainHttpHop), redirect(plainHttpHop, last), keySetAt(last));
    const { verifier, events } = verifierFor(first);

    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');

    expect(faults.requestedUrls).toEqual([first]);
    expect(events.ofType('jwks_fetch_failed').map((event) => event.reason)).toEqual([
      'metadata URL redirected to a URL that is not https',
    ]);
  });

  it('refuses a discovery document reached through a plain-http hop, never requesting that hop', async () => {
    const origin = new URL(issuer.issuer).origin;
    const plainHttpHop = 'http://idp-mirror.example.com/discovery';
    const last = 'https://idp-cdn.example.com/discovery';
    faults.msw.use(
      redirect(`${origin}/.well-known/openid-configuration`, plainHttpHop),
      redirect(`${origin}/.well-known/oauth-authorization-server`, plainHttpHop),
      redirect(plainHttpHop, last),
      http.get(last, () => HttpResponse.json({ issuer: issuer.issuer, jwks_uri: issuer.jwksUri })),
    );
    const { verifier } = verifierFor(undefined);

    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');

    expect(faults.requestsTo(plainHttpHop)).toBe(0);
    expect(faults.requestsTo(last)).toBe(0);
    expect(faults.requestsTo(issuer.jwksUri)).toBe(0);
  });

  it('refuses a discovered jwks_uri whose redirects pass through a plain-http hop', async () => {
    const origin = new URL(issuer.issuer).origin;
    const discovered = 'https://keys.example.com/jwks.json';
    const plainHttpHop = 'http://mirror.example.com/jwks.json';
    const last = 'https://cdn.example.com/jwks.json';
    faults.msw.use(
      http.get(`${origin}/.well-known/openid-configuration`, () =>
        HttpResponse.json({ issuer: issuer.issuer, jwks_uri: discovered }),
      ),
      redirect(discovered, plainHttpHop),
      redirect(plainHttpHop, last),
      keySetAt(last),
    );
    const { verifier, events } = verifierFor(undefined);

    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');

    expect(faults.requestsTo(discovered)).toBe(1);
    expect(faults.requestsTo(plainHttpHop)).toBe(0);
    expect(events.ofType('jwks_fetch_failed')[0]).toMatchObject({
      uri: discovered,
      reason: 'metadata URL redirected to a URL that is not https',
    });
  });

  it('follows https redirects of every kind, resolving a relative Location against the hop that sent it', async () => {
    const first = 'https://keys.example.com/v1/jwks.json';
    const second = 'https://cdn.example.com/keys/v1/jwks.json';
    const third = 'https://cdn.example.com/keys/v2/jwks.json';
    const fourth = 'https://cdn.example.com/keys/v3/jwks.json';
    const fifth = 'https://cdn.example.com/keys/v4/jwks.json';
    const last = 'https://cdn.example.com/keys/v5/jwks.json';
    faults.msw.use(
      redirect(first, second, 301),
      redirect(second, '../v2/jwks.json', 302),
      redirect(third, '/keys/v3/jwks.json', 303),
      redirect(fourth, 'v4/../../v4/jwks.json', 307),
      redirect(fifth, '../v5/jwks.json', 308),
      keySetAt(last),
    );
    const { verifier } = verifierFor(first);

    await expect(verifier.verify(await issuer.signToken())).resolves.toBeDefined();
    expect(faults.requestedUrls).toEqual([first, second, third, fourth, fifth, last]);
  });

  it('refuses a key set that a custom fetch reached by following redirects on its own', async () => {
    const events = recordEvents();
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: 'https://keys.example.com/jwks.json',
      // A fetch that ignores `redirect: 'manual'`: the hops it took cannot be checked.
      fetch: async () => {
        const response = Response.json(issuer.jwks());
        Object.defineProperty(response, 'redirected', { value: true });
        Object.defineProperty(response, 'url', { value: 'https://cdn.example.com/jwks.json' });
        return response;
      },
      onEvent: events.listener,
    });

    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(events.ofType('jwks_fetch_failed').map((event) => event.reason)).toEqual([
      'fetch followed redirects on its own; their hops cannot be checked',
    ]);
  });
});
