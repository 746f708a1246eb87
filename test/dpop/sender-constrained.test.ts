import { createVerifier, fromNodeRequest, type VerifierOptions } from 'tokenwarden';
import {
  createDpopProof,
  createTestIssuer,
  type DpopKey,
  generateDpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { expectRejection, rejectionOf } from '../support/rejection.js';

const URL_SEEN = 'http://api.example.test/api/private';
/** RFC 8705 §3.1: an mTLS-bound token names its client certificate's SHA-256 thumbprint. */
const CERTIFICATE_BINDING = { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' };

let issuer: TestIssuer;
let key: DpopKey;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
  key = await generateDpopKey('ES256');
});
afterAll(() => issuer.close());

function verifier(overrides: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keySet: issuer.jwks(),
    clock: fixedClock,
    ...overrides,
  });
}

function request(authorization: string, proof?: string) {
  const headers: Record<string, string> = { host: 'api.example.test', authorization };
  if (proof !== undefined) headers.dpop = proof;
  return fromNodeRequest({ method: 'GET', url: '/api/private', headers });
}

/** Verifies `token` twice, so the second attempt is answered from the verified-token cache. */
async function verifiedTwice(verify: (token: string) => Promise<unknown>, token: string) {
  return [await rejectionOf(verify(token)), await rejectionOf(verify(token))];
}

describe('RFC 9449 §7.2 verify() never turns a sender-constrained token into a bearer token', () => {
  it.each([
    ['allowed', { mode: 'allowed' }],
    ['disabled', { mode: 'disabled' }],
  ] as const)('refuses a DPoP-bound token (cnf.jkt) in %s mode, also from the cache', async (_mode, dpop) => {
    const token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
    const tokenVerifier = verifier({ dpop });
    for (const error of await verifiedTwice(tokenVerifier.verify, token)) {
      expect(error.code).toBe('dpop_binding_mismatch');
      expect(error.message).toMatch(/authenticate\(request\)/);
    }
  });

  it('refuses a certificate-bound token (RFC 8705 cnf x5t#S256), also from the cache', async () => {
    const token = await issuer.signToken({ cnf: CERTIFICATE_BINDING });
    for (const error of await verifiedTwice(verifier().verify, token)) {
      expect(error.code).toBe('dpop_binding_mismatch');
    }
  });

  it('refuses a token with any cnf member, even one it cannot read', async () => {
    const token = await issuer.signToken({ cnf: 'bound' });
    await expectRejection(verifier().verify(token), 'dpop_binding_mismatch');
  });

  it('refuses a bound token that authenticate() accepted with its proof and cached', async () => {
    const token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
    const tokenVerifier = verifier();
    const proof = await createDpopProof({ key, method: 'GET', url: URL_SEEN, accessToken: token, iat: NOW });
    expect((await tokenVerifier.authenticate(request(`DPoP ${token}`, proof)))?.scheme).toBe('DPoP');
    await expectRejection(tokenVerifier.verify(token), 'dpop_binding_mismatch');
  });

  it("refuses every token in 'required' mode, pointing to authenticate(request), also from the cache", async () => {
    const token = await issuer.signToken({});
    for (const error of await verifiedTwice(verifier({ dpop: { mode: 'required' } }).verify, token)) {
      expect(error.code).toBe('dpop_binding_mismatch');
      expect(error.message).toMatch(/authenticate\(request\)/);
    }
  });

  it('still accepts an unbound token as Bearer in allowed mode, also from the cache', async () => {
    const token = await issuer.signToken({});
    const tokenVerifier = verifier();
    expect((await tokenVerifier.verify(token)).scheme).toBe('Bearer');
    expect((await tokenVerifier.verify(token)).scheme).toBe('Bearer');
  });
});

describe('RFC 8705 a certificate-bound token is never accepted without its certificate', () => {
  it('authenticate() refuses a token with cnf x5t#S256 sent as Bearer, also from the cache', async () => {
    const token = await issuer.signToken({ cnf: CERTIFICATE_BINDING });
    const tokenVerifier = verifier();
    for (const error of await verifiedTwice(
      (t) => tokenVerifier.authenticate(request(`Bearer ${t}`)),
      token,
    )) {
      expect(error.code).toBe('dpop_binding_mismatch');
    }
  });

  it('authenticate() refuses a token with cnf x5t#S256 sent as Bearer in disabled mode', async () => {
    const token = await issuer.signToken({ cnf: CERTIFICATE_BINDING });
    const tokenVerifier = verifier({ dpop: { mode: 'disabled' } });
    await expectRejection(tokenVerifier.authenticate(request(`Bearer ${token}`)), 'dpop_binding_mismatch');
  });

  it('authenticate() refuses a token bound both to a DPoP key and a certificate, even with a valid proof', async () => {
    const token = await issuer.signToken({ cnf: { jkt: key.thumbprint, ...CERTIFICATE_BINDING } });
    const proof = await createDpopProof({ key, method: 'GET', url: URL_SEEN, accessToken: token, iat: NOW });
    const error = await rejectionOf(verifier().authenticate(request(`DPoP ${token}`, proof)));
    expect(error.code).toBe('dpop_binding_mismatch');
  });
});
