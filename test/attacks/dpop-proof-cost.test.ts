import { base64url, calculateJwkThumbprint, type JWK } from 'jose';
import {
  createVerifier,
  fromNodeRequest,
  type Verifier,
  type VerifyDpopProofOptions,
  verifyDpopProof,
} from 'tokenwarden';
import {
  createDpopProof,
  createTestIssuer,
  type DpopKey,
  generateDpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestOptions } from '../dpop/fixtures.js';
import { fixedClock, NOW } from '../support/clock.js';
import { assembleJws } from '../support/jws.js';
import { expectRejection } from '../support/rejection.js';

/**
 * A DPoP proof carries its own key, so a client chooses what the server imports and verifies with.
 * An RSA key with a 3071-bit public exponent makes one verification cost tens of normal ones. These
 * tests count the Web Crypto imports and verifications a refused proof causes (never the time it
 * takes): a hostile proof must be refused before any of them.
 */

const URL_SEEN = 'http://api.example.test/api/private';

/** A random odd unsigned integer of exactly `bits` bits, as a JWK member (base64url, big-endian). */
function randomInteger(bits: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
  const spare = bytes.length * 8 - bits;
  bytes[0] = ((bytes[0] as number) & (0xff >> spare)) | (0x80 >> spare);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) | 1;
  return base64url.encode(bytes);
}

/** A 3072-bit RSA public key whose public exponent has 3071 bits: ~50 normal verifications each. */
const HOSTILE_RSA_JWK: JWK = { kty: 'RSA', n: randomInteger(3072), e: randomInteger(3071) };

/** Counts the Web Crypto work jose does: key imports and signature verifications. */
function countCryptoWork() {
  const importKey = vi.spyOn(crypto.subtle, 'importKey');
  const verify = vi.spyOn(crypto.subtle, 'verify');
  return {
    get imports() {
      return importKey.mock.calls.length;
    },
    get verifications() {
      return verify.mock.calls.length;
    },
  };
}

/** A proof of `jwk` for a GET of {@link URL_SEEN}, whose signature is random bytes. */
function forgedProof(
  jwk: JWK,
  alg: string,
  claims: Record<string, unknown> = {},
  signatureBytes = 384,
): string {
  return assembleJws(
    { typ: 'dpop+jwt', alg, jwk },
    { jti: crypto.randomUUID(), htm: 'GET', htu: URL_SEEN, iat: NOW, ...claims },
    crypto.getRandomValues(new Uint8Array(signatureBytes)),
  );
}

/** Options for a GET of {@link URL_SEEN} at the fixed time, with a fresh replay store. */
function proofOptions(
  proof: string,
  overrides: Partial<VerifyDpopProofOptions> = {},
): VerifyDpopProofOptions {
  return requestOptions(proof, { url: URL_SEEN, ...overrides });
}

let key: DpopKey;
let otherKey: DpopKey;
beforeAll(async () => {
  [key, otherKey] = await Promise.all([generateDpopKey('ES256'), generateDpopKey('ES256')]);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('DPoP proof keys are checked before any signature work (RFC 9449 §4.3, §11)', () => {
  it('sees the import and the verification of a normal proof (the counters work)', async () => {
    const work = countCryptoWork();
    const proof = await createDpopProof({ key, method: 'GET', url: URL_SEEN, iat: NOW });
    await verifyDpopProof(proofOptions(proof, { boundThumbprint: key.thumbprint }));
    expect(work.imports).toBeGreaterThanOrEqual(1);
    expect(work.verifications).toBe(1);
  });

  it('refuses a proof by a key other than cnf.jkt as dpop_binding_mismatch, even with a garbage signature', async () => {
    const work = countCryptoWork();
    await expectRejection(
      verifyDpopProof(
        proofOptions(forgedProof(otherKey.publicJwk, 'ES256', {}, 64), {
          boundThumbprint: key.thumbprint,
        }),
      ),
      'dpop_binding_mismatch',
      /different DPoP key/,
    );
    expect(work.imports).toBe(0);
    expect(work.verifications).toBe(0);
  });

  it('refuses an RSA key with a 3071-bit public exponent before importing it, even when cnf.jkt names it', async () => {
    const boundThumbprint = await calculateJwkThumbprint(HOSTILE_RSA_JWK);
    const work = countCryptoWork();
    await expectRejection(
      verifyDpopProof(proofOptions(forgedProof(HOSTILE_RSA_JWK, 'RS256'), { boundThumbprint })),
      'dpop_proof_invalid',
      /public exponent/,
    );
    expect(work.imports).toBe(0);
    expect(work.verifications).toBe(0);
  });

  it('refuses an RSA key with a 3071-bit public exponent before importing it, without a bound token', async () => {
    const work = countCryptoWork();
    await expectRejection(
      verifyDpopProof(proofOptions(forgedProof(HOSTILE_RSA_JWK, 'PS256'))),
      'dpop_proof_invalid',
      /public exponent/,
    );
    expect(work.imports).toBe(0);
    expect(work.verifications).toBe(0);
  });

  it.each([
    [
      'an RSA modulus over 8192 bits',
      { kty: 'RSA', n: randomInteger(8200), e: 'AQAB' },
      'RS256',
      /over 8192/,
    ],
    [
      'an RSA modulus under 2048 bits',
      { kty: 'RSA', n: randomInteger(1024), e: 'AQAB' },
      'RS256',
      /under 2048/,
    ],
    [
      'an EC x of 3000 bytes',
      { kty: 'EC', crv: 'P-256', x: randomInteger(24_000), y: randomInteger(256) },
      'ES256',
      /32 bytes/,
    ],
    [
      'an EC y of 31 bytes',
      { kty: 'EC', crv: 'P-256', x: randomInteger(256), y: randomInteger(248) },
      'ES256',
      /32 bytes/,
    ],
    [
      'an Ed25519 x of 3000 bytes',
      { kty: 'OKP', crv: 'Ed25519', x: randomInteger(24_000) },
      'EdDSA',
      /32 bytes/,
    ],
  ] as const)('refuses a jwk with %s before importing it', async (_name, jwk, alg, reason) => {
    const work = countCryptoWork();
    await expectRejection(verifyDpopProof(proofOptions(forgedProof(jwk, alg))), 'dpop_proof_invalid', reason);
    expect(work.imports).toBe(0);
    expect(work.verifications).toBe(0);
  });
});

describe('a hostile proof resent with a cached access token costs no signature work', () => {
  let issuer: TestIssuer;
  let verifier: Verifier;
  let token: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
    verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keySet: issuer.jwks(),
      clock: fixedClock,
    });
    token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
    // A first, valid request puts the token in the verified-token cache.
    const proof = await createDpopProof({ key, method: 'GET', url: URL_SEEN, iat: NOW, accessToken: token });
    await verifier.authenticate(request(proof));
  });
  afterAll(() => issuer.close());

  function request(proof: string) {
    return fromNodeRequest({
      method: 'GET',
      url: '/api/private',
      headers: { host: 'api.example.test', authorization: `DPoP ${token}`, dpop: proof },
    });
  }

  it('refuses the 3071-bit-exponent proof 20 times without importing a key or verifying a signature', async () => {
    const ath = base64url.encode(
      new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))),
    );
    const proof = forgedProof(HOSTILE_RSA_JWK, 'RS256', { ath });
    const work = countCryptoWork();
    for (let attempt = 0; attempt < 20; attempt += 1) {
      await expectRejection(verifier.authenticate(request(proof)), 'dpop_proof_invalid');
    }
    expect(work.imports).toBe(0);
    expect(work.verifications).toBe(0);
  });

  it('refuses a well-formed RSA-2048 proof key that is not the bound one without verifying its signature', async () => {
    const rsaKey = await generateDpopKey('RS256');
    const proof = await createDpopProof({
      key: rsaKey,
      method: 'GET',
      url: URL_SEEN,
      iat: NOW,
      accessToken: token,
    });
    const work = countCryptoWork();
    await expectRejection(verifier.authenticate(request(proof)), 'dpop_binding_mismatch');
    expect(work.imports).toBe(0);
    expect(work.verifications).toBe(0);
  });
});
