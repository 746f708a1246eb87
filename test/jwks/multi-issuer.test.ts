import { HttpResponse, http } from 'msw';
import { createVerifier, type Verifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectRejection } from '../support/rejection.js';
import { createFaultServer } from './jwks-fixtures.js';

const faults = createFaultServer();
let tenantA: TestIssuer;
let tenantB: TestIssuer;
let unlisted: TestIssuer;
let verifier: Verifier;

beforeAll(() => faults.msw.listen({ onUnhandledRequest: 'bypass' }));
beforeEach(async () => {
  const audience = 'https://api.example.test';
  [tenantA, tenantB, unlisted] = await Promise.all([
    createTestIssuer({ algorithms: ['ES256'], audience }),
    createTestIssuer({ algorithms: ['ES256'], audience }),
    createTestIssuer({ algorithms: ['ES256'], audience }),
  ]);
  verifier = createVerifier({ issuer: [tenantA.issuer, tenantB.issuer], audience });
});
afterEach(async () => {
  faults.reset();
  await Promise.all([tenantA.close(), tenantB.close(), unlisted.close()]);
});
afterAll(() => faults.msw.close());

describe('several issuers: each has its own discovered key set', () => {
  it('accepts tokens from every listed issuer, discovering each key set once', async () => {
    for (let round = 0; round < 3; round += 1) {
      await expect(verifier.verify(await tenantA.signToken())).resolves.toMatchObject({
        claims: { iss: tenantA.issuer },
      });
      await expect(verifier.verify(await tenantB.signToken())).resolves.toMatchObject({
        claims: { iss: tenantB.issuer },
      });
    }

    expect(tenantA.requests).toEqual({ discovery: 1, jwks: 1 });
    expect(tenantB.requests).toEqual({ discovery: 1, jwks: 1 });
  });

  it('fetches nothing from an issuer until one of its tokens arrives', async () => {
    await verifier.verify(await tenantA.signToken());

    expect(tenantB.requests).toEqual({ discovery: 0, jwks: 0 });
  });

  it('rejects a token from an unlisted issuer with issuer_invalid before any fetch', async () => {
    await expectRejection(verifier.verify(await unlisted.signToken()), 'issuer_invalid');

    expect(faults.requestedUrls).toEqual([]);
    for (const testIssuer of [tenantA, tenantB, unlisted]) {
      expect(testIssuer.requests).toEqual({ discovery: 0, jwks: 0 });
    }
  });

  it('tries only the keys of the issuer the token names', async () => {
    const signedByAClaimingB = await tenantA.signToken({ iss: tenantB.issuer });

    await expectRejection(verifier.verify(signedByAClaimingB), 'key_not_found');
    expect(tenantA.requests).toEqual({ discovery: 0, jwks: 0 });
    expect(tenantB.requests.jwks).toBe(1);
  });

  it('keeps accepting one issuer while the other one is down', async () => {
    faults.msw.use(http.get(tenantB.jwksUri, () => new HttpResponse(null, { status: 503 })));

    await expectRejection(verifier.verify(await tenantB.signToken()), 'jwks_unavailable');
    await expect(verifier.verify(await tenantA.signToken())).resolves.toBeDefined();
  });
});
