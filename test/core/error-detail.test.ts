import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toErrorResponse } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { verifierWithEvents } from '../support/events.js';
import { expectRejection } from '../support/rejection.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
});
afterAll(() => issuer.close());

function verifierFor(overrides: Record<string, unknown> = {}) {
  return verifierWithEvents({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keySet: issuer.jwks(),
    clock: fixedClock,
    ...overrides,
  });
}

/** A URL on 127.0.0.1 where nothing listens. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/jwks.json`;
}

describe('TokenError.detail: the evidence of a refusal, for the server', () => {
  it('names the expected issuers and the token iss, with a hint when only a trailing slash differs', async () => {
    const { verifier } = verifierFor({ issuer: issuer.issuer.replace(/\/$/, '') });
    const error = await expectRejection(verifier.verify(await issuer.signToken()), 'issuer_invalid');
    expect(error.detail).toEqual({
      claim: 'iss',
      expected: [issuer.issuer.replace(/\/$/, '')],
      actual: issuer.issuer,
      hint: expect.stringMatching(/trailing slash/),
    });
  });

  it('gives no trailing-slash hint for an unrelated issuer', async () => {
    const { verifier } = verifierFor();
    const error = await expectRejection(
      verifier.verify(await issuer.signToken({ iss: 'https://elsewhere.example/' })),
      'issuer_invalid',
    );
    expect(error.detail).toEqual({
      claim: 'iss',
      expected: [issuer.issuer],
      actual: 'https://elsewhere.example/',
    });
  });

  it('names both sides of an audience mismatch', async () => {
    const { verifier } = verifierFor();
    const error = await expectRejection(
      verifier.verify(await issuer.signToken({ aud: ['account', 'web-client'] })),
      'audience_invalid',
    );
    expect(error.detail).toEqual({
      claim: 'aud',
      expected: [issuer.audience],
      actual: ['account', 'web-client'],
    });
  });

  it('names the kid of the token and the kids on hand when no key matches', async () => {
    const { verifier } = verifierFor();
    const error = await expectRejection(
      verifier.verify(await issuer.signToken({}, { kid: 'retired-key' })),
      'key_not_found',
    );
    expect(error.detail?.kid).toBe('retired-key');
    expect(error.detail?.availableKids).toEqual(issuer.jwks().keys.map((key) => key.kid));
  });

  it('gives the claim, its value and the server clock for an expired token', async () => {
    const { verifier } = verifierFor();
    const error = await expectRejection(
      verifier.verify(await issuer.signToken({}, { expiresIn: -3600 })),
      'token_expired',
    );
    expect(error.detail).toMatchObject({ claim: 'exp', actual: NOW - 3600, now: NOW });
  });

  it('points at clock skew for a token issued a little in the future', async () => {
    const { verifier } = verifierFor();
    const error = await expectRejection(
      verifier.verify(await issuer.signToken({ iat: NOW + 120, nbf: NOW + 120 })),
      'token_not_yet_valid',
    );
    expect(error.detail).toMatchObject({
      claim: 'nbf',
      actual: NOW + 120,
      now: NOW,
      hint: expect.stringMatching(/clock/),
    });
  });

  it('caps the length of a value taken from the token', async () => {
    const { verifier } = verifierFor();
    const error = await expectRejection(
      verifier.verify(await issuer.signToken({ iss: `https://${'a'.repeat(5000)}.example/` })),
      'issuer_invalid',
    );
    expect(String(error.detail?.actual).length).toBeLessThanOrEqual(121);
  });

  it('never carries the token itself', async () => {
    const { verifier } = verifierFor();
    const token = await issuer.signToken({ aud: 'elsewhere' });
    const error = await expectRejection(verifier.verify(token), 'audience_invalid');
    const [, payload, signature] = token.split('.');
    const logged = JSON.stringify(error.detail);
    expect(logged).not.toContain(payload);
    expect(logged).not.toContain(signature);
  });

  it('names the key set URL and the cause when the key server cannot be reached', async () => {
    const jwksUri = await closedPortUrl();
    const { verifier } = verifierFor({ keySet: undefined, jwksUri });
    const error = await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(error.detail).toEqual({ uri: jwksUri, reason: 'network error (ECONNREFUSED)' });
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toBe('network error (ECONNREFUSED)');
  });

  it('names the status a key server answered with', async () => {
    const jwksUri = new URL('/no-such-keys.json', issuer.issuer).href;
    const { verifier } = verifierFor({ keySet: undefined, jwksUri });
    const error = await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(error.detail).toEqual({ uri: jwksUri, reason: 'unexpected HTTP status 404', status: 404 });
  });

  it('is left out of the HTTP response', async () => {
    const { verifier } = verifierFor({ issuer: issuer.issuer.replace(/\/$/, '') });
    const error = await expectRejection(verifier.verify(await issuer.signToken()), 'issuer_invalid');
    expect(error.detail).toBeDefined();
    const response = toErrorResponse(error);
    expect(Object.keys(response.body).sort()).toEqual(['error', 'error_description']);
    const sent = JSON.stringify(response);
    expect(sent).not.toContain('trailing slash');
    expect(sent).not.toContain(issuer.issuer.replace(/\/$/, ''));
  });

  it('travels with the token_rejected event', async () => {
    const { verifier, events } = verifierFor();
    await expectRejection(verifier.verify(await issuer.signToken({ aud: 'elsewhere' })), 'audience_invalid');
    expect(events).toContainEqual({
      type: 'token_rejected',
      code: 'audience_invalid',
      detail: { claim: 'aud', expected: [issuer.audience], actual: ['elsewhere'] },
    });
  });
});
