import { createDpopNonces, toErrorResponse, type VerifierOptions } from 'tokenwarden';
import { createDpopProof, type DpopKey, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { apiRequest, createDpopFixture, DPOP_URL_SEEN } from '../support/dpop-fixture.js';
import { verifierWithEvents } from '../support/events.js';
import { rejectionOf } from '../support/rejection.js';

const URL_SEEN = DPOP_URL_SEEN;

let issuer: TestIssuer;
let key: DpopKey;
let otherKey: DpopKey;
let boundToken: string;
let plainToken: string;

beforeAll(async () => {
  ({ issuer, key, otherKey, boundToken, plainToken } = await createDpopFixture());
});
afterAll(() => issuer.close());

function dpopVerifier(overrides: Partial<VerifierOptions> = {}) {
  return verifierWithEvents({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keySet: issuer.jwks(),
    clock: fixedClock,
    ...overrides,
  });
}

function proof(overrides: Partial<Parameters<typeof createDpopProof>[0]> = {}): Promise<string> {
  return createDpopProof({
    key,
    method: 'GET',
    url: URL_SEEN,
    accessToken: boundToken,
    iat: NOW,
    ...overrides,
  });
}

/** The refusal of a DPoP request, and the `token_rejected` event it was reported with. */
async function refusal(headers: Record<string, string>, overrides: Partial<VerifierOptions> = {}) {
  const { verifier, events } = dpopVerifier(overrides);
  const error = await rejectionOf(verifier.authenticate(apiRequest(headers)));
  const rejected = events.find((event) => event.type === 'token_rejected');
  expect(rejected).toEqual({ type: 'token_rejected', code: error.code, detail: error.detail });
  // Evidence is for logs: the response never carries it.
  expect(JSON.stringify(toErrorResponse(error))).not.toContain('"claim"');
  return error;
}

describe('TokenError.detail of DPoP refusals (RFC 9449 §4.3, §7.1, §8)', () => {
  it('names the method the proof was made for and the request method', async () => {
    const error = await refusal({
      authorization: `DPoP ${boundToken}`,
      dpop: await proof({ method: 'POST' }),
    });
    expect(error.code).toBe('dpop_proof_invalid');
    expect(error.detail).toEqual({ claim: 'htm', expected: 'GET', actual: 'POST' });
  });

  it('names both URIs when the host differs, and points at the proxy settings', async () => {
    const error = await refusal({
      authorization: `DPoP ${boundToken}`,
      dpop: await proof({ url: 'https://public.example.test/api/private?page=2' }),
    });
    expect(error.detail).toEqual({
      claim: 'htu',
      expected: URL_SEEN,
      actual: 'https://public.example.test/api/private',
      hint: expect.stringMatching(
        /names https:\/\/public\.example\.test, this API sees http:\/\/api\.example\.test: .*dpop\.trustedProxies/,
      ),
    });
  });

  it('points at a stripped path prefix when only the path differs', async () => {
    const error = await refusal({
      authorization: `DPoP ${boundToken}`,
      dpop: await proof({ url: 'http://api.example.test/v1/api/private' }),
    });
    expect(error.detail).toMatchObject({ claim: 'htu', hint: expect.stringMatching(/another path/) });
  });

  it("gives the proof's iat, the server clock and the window when the proof is too old", async () => {
    const error = await refusal({
      authorization: `DPoP ${boundToken}`,
      dpop: await proof({ iat: NOW - 300 }),
    });
    expect(error.detail).toEqual({
      claim: 'iat',
      actual: NOW - 300,
      now: NOW,
      // The verifier's clock tolerance (60 s by default), added to the iat window (60 s).
      clockTolerance: 60,
      expected: 'within 120 s of the server clock (iatWindow 60 s + clockTolerance 60 s)',
      hint: expect.stringMatching(/new proof for every request/),
    });
  });

  it('counts the clock tolerance into the window of a proof issued in the future', async () => {
    const error = await refusal(
      { authorization: `DPoP ${boundToken}`, dpop: await proof({ iat: NOW + 300 }) },
      { clockTolerance: 30 },
    );
    expect(error.detail).toMatchObject({
      claim: 'iat',
      actual: NOW + 300,
      now: NOW,
      clockTolerance: 30,
      expected: 'within 90 s of the server clock (iatWindow 60 s + clockTolerance 30 s)',
    });
    expect(error.detail?.hint).toMatch(/clock runs ahead/);
  });

  it('gives the hash of the token and the ath of a proof made for another token, never the token', async () => {
    const error = await refusal({
      authorization: `DPoP ${boundToken}`,
      dpop: await proof({ accessToken: plainToken }),
    });
    expect(error.detail).toMatchObject({
      claim: 'ath',
      expected: expect.any(String),
      actual: expect.any(String),
    });
    expect(error.detail?.expected).not.toBe(error.detail?.actual);
    expect(JSON.stringify(error.detail)).not.toContain(boundToken);
    expect(JSON.stringify(error.detail)).not.toContain(plainToken);
  });

  it('says ath is absent from a proof made without the token', async () => {
    const error = await refusal({
      authorization: `DPoP ${boundToken}`,
      dpop: await proof({ accessToken: undefined }),
    });
    expect(error.detail).toMatchObject({ claim: 'ath', actual: 'absent' });
  });

  it("gives the token's cnf.jkt and the proof key's thumbprint when they differ", async () => {
    const error = await refusal({
      authorization: `DPoP ${boundToken}`,
      dpop: await proof({ key: otherKey }),
    });
    expect(error.code).toBe('dpop_binding_mismatch');
    expect(error.detail).toEqual({
      claim: 'cnf.jkt',
      expected: key.thumbprint,
      actual: otherKey.thumbprint,
      hint: expect.stringMatching(/signed by another key/),
    });
  });

  it('says when a token without cnf.jkt comes under the DPoP scheme', async () => {
    const error = await refusal({
      authorization: `DPoP ${plainToken}`,
      dpop: await proof({ accessToken: plainToken }),
    });
    expect(error.detail).toMatchObject({ claim: 'cnf.jkt', actual: 'absent' });
  });

  it('says a DPoP-bound token sent as Bearer needs Authorization: DPoP and a proof', async () => {
    const error = await refusal({ authorization: `Bearer ${boundToken}` });
    expect(error.detail).toMatchObject({
      claim: 'cnf.jkt',
      actual: 'Authorization: Bearer',
      hint: expect.stringMatching(/Authorization: DPoP <token> and a DPoP header/),
    });
  });

  it('says the nonce is absent, or gives the stale one, when nonces are required', async () => {
    const nonces = createDpopNonces({ secret: 'a nonce secret of at least 32 bytes!!', clock: fixedClock });
    const missing = await refusal(
      { authorization: `DPoP ${boundToken}`, dpop: await proof() },
      { dpop: { nonces } },
    );
    expect(missing.code).toBe('dpop_nonce_required');
    expect(missing.detail).toMatchObject({
      claim: 'nonce',
      actual: 'absent',
      hint: expect.stringMatching(/DPoP-Nonce/),
    });
    const stale = await refusal(
      { authorization: `DPoP ${boundToken}`, dpop: await proof({ nonce: 'yesterdays-nonce' }) },
      { dpop: { nonces } },
    );
    expect(stale.detail).toMatchObject({ claim: 'nonce', actual: 'yesterdays-nonce' });
  });

  it('names the typ a proof carries instead of dpop+jwt', async () => {
    const error = await refusal({
      authorization: `DPoP ${boundToken}`,
      dpop: await proof({ header: { typ: 'JWT' } }),
    });
    expect(error.detail).toEqual({ claim: 'typ', expected: 'dpop+jwt', actual: 'JWT' });
  });
});
