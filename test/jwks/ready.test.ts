import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../support/clock.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
});
afterAll(() => issuer.close());

const quiet = { logger: false, clock: fixedClock } as const;

/** A URL on 127.0.0.1 where nothing listens. */
async function closedPortUrl(path: string): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

describe('verifier.ready(): the key sources fetched at start-up', () => {
  it('fetches discovery and the key set of the issuer before any request', async () => {
    const before = { ...issuer.requests };
    const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, ...quiet });
    await verifier.ready();
    expect(issuer.requests.discovery).toBe(before.discovery + 1);
    expect(issuer.requests.jwks).toBe(before.jwks + 1);
    // The first request finds the keys in hand.
    await verifier.verify(await issuer.signToken());
    expect(issuer.requests.jwks).toBe(before.jwks + 1);
  });

  it('resolves at once for a static key set', async () => {
    const before = { ...issuer.requests };
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keySet: issuer.jwks(),
      ...quiet,
    });
    await verifier.ready();
    expect(issuer.requests).toEqual(before);
  });

  it('rejects naming the URL and the cause when the key server is down', async () => {
    const jwksUri = await closedPortUrl('/jwks.json');
    const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri, ...quiet });
    const error = await verifier.ready().then(
      () => expect.fail('ready() resolved'),
      (failure: unknown) => failure as Error,
    );
    expect(error.message).toBe(
      `tokenwarden: cannot fetch the signing keys from ${jwksUri}: network error (ECONNREFUSED)`,
    );
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('rejects naming the issuer when discovery names another one (a trailing slash)', async () => {
    const configured = issuer.issuer.replace(/\/$/, '');
    const verifier = createVerifier({ issuer: configured, audience: issuer.audience, ...quiet });
    await expect(verifier.ready()).rejects.toThrow(
      `tokenwarden: cannot fetch the signing keys from ${configured}: discovery document names a different issuer`,
    );
  });

  it('rejects when the key set URL answers 404', async () => {
    const jwksUri = new URL('/nothing-here.json', issuer.issuer).href;
    const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri, ...quiet });
    await expect(verifier.ready()).rejects.toThrow(`${jwksUri}: unexpected HTTP status 404`);
  });
});
