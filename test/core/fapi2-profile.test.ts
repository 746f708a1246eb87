import { createVerifier, fromNodeRequest, type VerifierOptions } from 'tokenwarden';
import {
  createDpopProof,
  createTestIssuer,
  type DpopKey,
  generateDpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';

const URL_SEEN = 'http://api.example.test/api/private';

let issuer: TestIssuer;
let key: DpopKey;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['PS256', 'ES256', 'EdDSA', 'RS256'], clock: () => NOW });
  key = await generateDpopKey('ES256');
});
afterAll(() => issuer.close());

function fapi2(overrides: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keySet: issuer.jwks(),
    clock: () => NOW,
    profile: 'fapi2',
    ...overrides,
  });
}

/** A DPoP request for a token bound to {@link key}. */
async function dpopRequest(token: string, proofKey: DpopKey = key) {
  const proof = await createDpopProof({
    key: proofKey,
    method: 'GET',
    url: URL_SEEN,
    accessToken: token,
    iat: NOW,
  });
  return fromNodeRequest({
    method: 'GET',
    url: '/api/private',
    headers: { host: 'api.example.test', authorization: `DPoP ${token}`, dpop: proof },
  });
}

function boundToken(
  claims: Record<string, unknown> = {},
  alg: 'PS256' | 'ES256' | 'EdDSA' | 'RS256' = 'ES256',
) {
  return issuer.signToken({ cnf: { jkt: key.thumbprint }, ...claims }, { alg });
}

describe("FAPI 2.0 §5.4.1: profile 'fapi2' accepts only PS256, ES256 and EdDSA (Ed25519)", () => {
  it.each(['PS256', 'ES256', 'EdDSA'] as const)('accepts a token signed with %s', async (alg) => {
    const auth = await fapi2().authenticate(await dpopRequest(await boundToken({}, alg)));
    expect(auth?.scheme).toBe('DPoP');
  });

  it('refuses a token signed with RS256', async () => {
    await expectRejection(
      fapi2().authenticate(await dpopRequest(await boundToken({}, 'RS256'))),
      'algorithm_not_allowed',
    );
  });

  it('refuses an algorithms option naming another algorithm, saying which requirement it breaks', () => {
    expect(() => fapi2({ algorithms: ['PS256', 'RS256'] })).toThrow(
      /profile 'fapi2' refuses the algorithms option: .*FAPI 2\.0 §5\.4\.1/,
    );
  });

  it('refuses a shared secret', () => {
    expect(() => fapi2({ secret: 'a'.repeat(64) })).toThrow(/refuses the secret option/);
  });

  it('refuses DPoP proof algorithms outside the three', () => {
    expect(() => fapi2({ dpop: { algorithms: ['RS256'] } })).toThrow(/refuses the dpop\.algorithms option/);
  });
});

describe("FAPI 2.0 §5.3.4: profile 'fapi2' accepts only sender-constrained tokens", () => {
  it('refuses a Bearer token, DPoP mode being required', async () => {
    const request = fromNodeRequest({
      method: 'GET',
      url: '/api/private',
      headers: {
        host: 'api.example.test',
        authorization: `Bearer ${await issuer.signToken({}, { alg: 'ES256' })}`,
      },
    });
    await expectRejection(fapi2().authenticate(request), 'dpop_binding_mismatch');
  });

  it.each(['allowed', 'disabled'] as const)('refuses dpop.mode %s', (mode) => {
    expect(() => fapi2({ dpop: { mode } })).toThrow(/refuses the dpop\.mode option: .*sender-constrained/);
  });

  it('keeps the other dpop settings it is given', async () => {
    const verifier = fapi2({ dpop: { mode: 'required', publicBaseUrl: 'https://public.example.test' } });
    await expectRejection(verifier.authenticate(await dpopRequest(await boundToken())), 'dpop_proof_invalid');
  });
});

describe("FAPI 2.0 §5.3.4: profile 'fapi2' takes the token only from the Authorization header", () => {
  it.each([
    ['cookie', { cookie: 'access_token' }],
    ['allowQueryToken', { allowQueryToken: true }],
    ['getToken', { getToken: () => undefined }],
  ] as const)('refuses the %s option', (name, option) => {
    expect(() => fapi2(option)).toThrow(new RegExp(`refuses the ${name} option: .*Authorization header`));
  });

  it('allows allowQueryToken: false', () => {
    expect(() => fapi2({ allowQueryToken: false })).not.toThrow();
  });
});

describe("FAPI 2.0 clock skew: profile 'fapi2' accepts iat up to 10 s ahead, never more than 60 s", () => {
  it('accepts a token issued 10 s in the future by default, refuses one 11 s ahead', async () => {
    const verifier = fapi2();
    await expect(
      verifier.authenticate(await dpopRequest(await boundToken({ iat: NOW + 10 }))),
    ).resolves.toBeDefined();
    await expectRejection(
      verifier.authenticate(await dpopRequest(await boundToken({ iat: NOW + 11 }))),
      'token_not_yet_valid',
    );
  });

  it('accepts a clockTolerance up to 60 s and refuses more', async () => {
    const verifier = fapi2({ clockTolerance: 60 });
    await expect(
      verifier.authenticate(await dpopRequest(await boundToken({ iat: NOW + 60 }))),
    ).resolves.toBeDefined();
    expect(() => fapi2({ clockTolerance: 61 })).toThrow(/refuses the clockTolerance option: .*60 seconds/);
  });

  it('refuses a profile it does not know', () => {
    expect(() => fapi2({ profile: 'fapi1' as never })).toThrow(/profile must be 'fapi2'/);
  });
});
