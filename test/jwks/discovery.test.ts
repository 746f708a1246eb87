import { HttpResponse, http } from 'msw';
import { createVerifier, type Verifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectRejection } from '../support/rejection.js';
import { createFaultServer, type EventRecorder, recordEvents } from './jwks-fixtures.js';

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

const origin = () => new URL(issuer.issuer).origin;
const oidcDiscoveryUrl = (issuerId: string) =>
  `${issuerId.replace(/\/$/, '')}/.well-known/openid-configuration`;

/** A verifier for `issuerId` (the test issuer's by default) that records its events. */
function verifierFor(issuerId = issuer.issuer): { verifier: Verifier; events: EventRecorder } {
  const events = recordEvents();
  const verifier = createVerifier({
    issuer: issuerId,
    audience: issuer.audience,
    onEvent: events.listener,
  });
  return { verifier, events };
}

/** Serves `document` at both well-known locations of the test issuer. */
function serveDiscoveryDocument(document: Record<string, unknown>): void {
  faults.msw.use(
    http.get(`${origin()}/.well-known/openid-configuration`, () => HttpResponse.json(document)),
    http.get(`${origin()}/.well-known/oauth-authorization-server`, () => HttpResponse.json(document)),
  );
}

describe('OpenID Connect Discovery 1.0 §4 and RFC 8414 §3: finding the jwks_uri', () => {
  it('reads the jwks_uri from /.well-known/openid-configuration', async () => {
    const { verifier } = verifierFor();

    await verifier.verify(await issuer.signToken());

    expect(faults.requestedUrls).toEqual([oidcDiscoveryUrl(issuer.issuer), issuer.jwksUri]);
  });

  it('falls back to /.well-known/oauth-authorization-server when the OIDC document is 404', async () => {
    faults.msw.use(
      http.get(`${origin()}/.well-known/openid-configuration`, () => new HttpResponse(null, { status: 404 })),
    );
    const { verifier } = verifierFor();

    await expect(verifier.verify(await issuer.signToken())).resolves.toBeDefined();

    expect(faults.requestedUrls).toEqual([
      oidcDiscoveryUrl(issuer.issuer),
      `${origin()}/.well-known/oauth-authorization-server`,
      issuer.jwksUri,
    ]);
  });

  it('puts the RFC 8414 well-known segment between the host and the issuer path (§3.1)', async () => {
    const tenantIssuer = `${origin()}/tenants/acme`;
    faults.msw.use(
      http.get(
        `${tenantIssuer}/.well-known/openid-configuration`,
        () => new HttpResponse(null, { status: 404 }),
      ),
      http.get(`${origin()}/.well-known/oauth-authorization-server/tenants/acme`, () =>
        HttpResponse.json({ issuer: tenantIssuer, jwks_uri: issuer.jwksUri }),
      ),
    );
    const { verifier } = verifierFor(tenantIssuer);

    await expect(verifier.verify(await issuer.signToken({ iss: tenantIssuer }))).resolves.toMatchObject({
      claims: { iss: tenantIssuer },
    });
    expect(faults.requestsTo(`${origin()}/.well-known/oauth-authorization-server/tenants/acme`)).toBe(1);
  });

  it('skips discovery when jwksUri is configured', async () => {
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: issuer.jwksUri,
    });

    await verifier.verify(await issuer.signToken());

    expect(faults.requestedUrls).toEqual([issuer.jwksUri]);
  });

  it('refuses a discovery document that names a different issuer (OIDC Discovery §4.3, RFC 8414 §3.3)', async () => {
    const attackerJwks = `${origin()}/attacker/jwks.json`;
    faults.msw.use(http.get(attackerJwks, () => HttpResponse.json(issuer.jwks())));
    serveDiscoveryDocument({ issuer: 'https://attacker.example/', jwks_uri: attackerJwks });
    const { verifier, events } = verifierFor();

    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');

    expect(faults.requestsTo(attackerJwks)).toBe(0);
    expect(events.ofType('jwks_fetch_failed')[0]?.reason).toBe(
      `discovery document names a different issuer ("https://attacker.example/", expected "${issuer.issuer}")`,
    );
  });

  it('refuses a discovery document whose issuer differs only by a trailing slash', async () => {
    serveDiscoveryDocument({ issuer: issuer.issuer.replace(/\/$/, ''), jwks_uri: issuer.jwksUri });
    const { verifier } = verifierFor();

    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(faults.requestsTo(issuer.jwksUri)).toBe(0);
  });

  it('refuses a discovery document without a jwks_uri', async () => {
    serveDiscoveryDocument({ issuer: issuer.issuer });
    const { verifier, events } = verifierFor();

    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(events.ofType('jwks_fetch_failed')[0]?.reason).toBe('discovery document has no jwks_uri');
  });
});

describe('RFC 8414 §2: the jwks_uri must be https', () => {
  it('refuses a plain-http jwks_uri on a non-loopback host without requesting it', async () => {
    const plainHttpJwks = 'http://keys.example.com/jwks.json';
    faults.msw.use(http.get(plainHttpJwks, () => HttpResponse.json(issuer.jwks())));
    serveDiscoveryDocument({ issuer: issuer.issuer, jwks_uri: plainHttpJwks });
    const { verifier, events } = verifierFor();

    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');

    expect(faults.requestsTo(plainHttpJwks)).toBe(0);
    expect(events.ofType('jwks_fetch_failed')[0]).toMatchObject({ uri: plainHttpJwks, servingStale: false });
  });

  it('accepts an https jwks_uri on another host', async () => {
    const httpsJwks = 'https://keys.example.com/jwks.json';
    faults.msw.use(http.get(httpsJwks, () => HttpResponse.json(issuer.jwks())));
    serveDiscoveryDocument({ issuer: issuer.issuer, jwks_uri: httpsJwks });
    const { verifier } = verifierFor();

    await expect(verifier.verify(await issuer.signToken())).resolves.toBeDefined();
    expect(faults.requestsTo(httpsJwks)).toBe(1);
  });

  it('refuses a key set reached through a redirect from https to plain http', async () => {
    const httpsJwks = 'https://keys.example.com/jwks.json';
    const plainHttpJwks = 'http://keys.example.com/jwks.json';
    faults.msw.use(
      http.get(
        httpsJwks,
        () => new HttpResponse(null, { status: 302, headers: { location: plainHttpJwks } }),
      ),
      http.get(plainHttpJwks, () => HttpResponse.json(issuer.jwks())),
    );
    serveDiscoveryDocument({ issuer: issuer.issuer, jwks_uri: httpsJwks });
    const { verifier, events } = verifierFor();

    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(events.ofType('jwks_fetch_failed')[0]?.reason).toBe(
      'metadata URL redirected to a URL that is not https',
    );
  });

  it('refuses a configured plain-http jwksUri on a non-loopback host', async () => {
    const plainHttpJwks = 'http://keys.example.com/jwks.json';
    faults.msw.use(http.get(plainHttpJwks, () => HttpResponse.json(issuer.jwks())));
    // Refused when the verifier is built, so no request can ever reach that URL.
    expect(() =>
      createVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUri: plainHttpJwks,
      }),
    ).toThrow(/jwksUri must use https/);
    expect(faults.requestedUrls).toEqual([]);
  });
});
