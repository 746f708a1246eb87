import { generateKeyPairSync } from 'node:crypto';
import { base64url, type JWK } from 'jose';
import {
  createVerifier,
  type TokenwardenEvent,
  type VerifyDpopProofOptions,
  verifyDpopProof,
} from 'tokenwarden';
import { createDpopProof, createTestIssuer, type DpopKey, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestOptions } from '../dpop/fixtures.js';
import { fixedClock, NOW } from '../support/clock.js';
import { assembleJws, encodeSegment } from '../support/jws.js';
import { expectRejection, rejectionOf } from '../support/rejection.js';

/**
 * RSA public keys from others are bounded before they are imported: modulus 2048 to 8192 bits,
 * public exponent odd, from 3 to 2^32 − 1. The same bounds hold for DPoP proof keys and for the
 * keys of a fetched key set.
 */

const URL_SEEN = 'https://api.example.test/api/private';

/** Big-endian bytes of `value`, as a JWK member, padded to `bytes` with leading zeros. */
function integerMember(value: bigint, bytes = 0): string {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const raw = Uint8Array.from(Buffer.from(hex, 'hex'));
  const padded = new Uint8Array(Math.max(bytes, raw.length));
  padded.set(raw, padded.length - raw.length);
  return base64url.encode(padded);
}

/** A random odd unsigned integer of exactly `bits` bits. */
function randomInteger(bits: number): bigint {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
  let value = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  value &= (1n << BigInt(bits)) - 1n;
  return value | (1n << BigInt(bits - 1)) | 1n;
}

/** An RSA public JWK with a random modulus of `modulusBits` and the given exponent. */
function rsaJwk(modulusBits: number, e: bigint | string): JWK {
  return {
    kty: 'RSA',
    n: integerMember(randomInteger(modulusBits)),
    e: typeof e === 'string' ? e : integerMember(e),
  };
}

/** A proof of `jwk` for a GET of {@link URL_SEEN} whose signature is random bytes. */
function forgedProof(jwk: JWK): string {
  return assembleJws(
    { typ: 'dpop+jwt', alg: 'RS256', jwk },
    { jti: crypto.randomUUID(), htm: 'GET', htu: URL_SEEN, iat: NOW },
    crypto.getRandomValues(new Uint8Array(256)),
  );
}

function proofOptions(proof: string): VerifyDpopProofOptions {
  return requestOptions(proof, { url: URL_SEEN });
}

/** The message a proof of `jwk` with a random signature is refused with. */
async function refusalOf(jwk: JWK): Promise<string> {
  return (await rejectionOf(verifyDpopProof(proofOptions(forgedProof(jwk))))).message;
}

/** Within the bounds, a random signature gets as far as the signature check and fails there. */
const PASSED_THE_BOUNDS = /signature is invalid/;

describe('RSA proof key bounds: modulus 2048 to 8192 bits', () => {
  it.each([
    ['refuses a 2047-bit modulus', 2047, /modulus under 2048 bits/],
    ['checks the signature of a 2048-bit modulus', 2048, PASSED_THE_BOUNDS],
    ['checks the signature of an 8192-bit modulus', 8192, PASSED_THE_BOUNDS],
    ['refuses an 8193-bit modulus', 8193, /modulus over 8192 bits/],
  ])('%s', async (_name, bits, outcome) => {
    expect(await refusalOf(rsaJwk(bits, 65537n))).toMatch(outcome);
  });

  it('does not count leading zero bytes of the modulus', async () => {
    const jwk: JWK = { kty: 'RSA', n: integerMember(randomInteger(2048), 257), e: 'AQAB' };
    expect(await refusalOf(jwk)).toMatch(PASSED_THE_BOUNDS);
  });

  it('refuses a modulus that is not base64url', async () => {
    expect(await refusalOf({ kty: 'RSA', n: '+/==', e: 'AQAB' })).toMatch(/modulus under 2048 bits/);
  });
});

describe('RSA proof key bounds: the public exponent is odd, from 3 to 2^32 − 1', () => {
  it.each([
    ['refuses e = 1', 1n, false],
    ['refuses e = 2', 2n, false],
    ['checks the signature for e = 3', 3n, true],
    ['refuses the even e = 65536', 65536n, false],
    ['checks the signature for e = 65537', 65537n, true],
    ['checks the signature for e = 2^32 − 1', 2n ** 32n - 1n, true],
    ['refuses e = 2^32', 2n ** 32n, false],
    ['refuses e = 2^32 + 1', 2n ** 32n + 1n, false],
    ['refuses a 3071-bit e', randomInteger(3071), false],
  ])('%s', async (_name, e, passes) => {
    expect(await refusalOf(rsaJwk(3072, e))).toMatch(passes ? PASSED_THE_BOUNDS : /public exponent/);
  });

  it('does not count leading zero bytes of the exponent', async () => {
    expect(await refusalOf(rsaJwk(2048, integerMember(65537n, 8)))).toMatch(PASSED_THE_BOUNDS);
  });

  it('refuses an empty or unreadable exponent', async () => {
    expect(await refusalOf(rsaJwk(2048, ''))).toMatch(/public exponent/);
    expect(await refusalOf(rsaJwk(2048, 'AQ=B'))).toMatch(/public exponent/);
  });

  it('accepts a proof signed with an RSA key whose public exponent is 3', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const key: DpopKey = {
      alg: 'RS256',
      privateKey: await crypto.subtle.importKey(
        'jwk',
        privateKey.export({ format: 'jwk' }),
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        false,
        ['sign'],
      ),
      publicJwk: publicKey.export({ format: 'jwk' }) as JWK,
      thumbprint: '',
    };
    expect(key.publicJwk.e).toBe('Aw');
    const proof = await createDpopProof({ key, method: 'GET', url: URL_SEEN, iat: NOW });
    await expect(verifyDpopProof(proofOptions(proof))).resolves.toBeDefined();
  });
});

describe('RSA key bounds in a fetched key set (RFC 7517 §5)', () => {
  const jwksUri = 'https://keys.example.test/jwks.json';
  const hostile = {
    'hostile-exponent': rsaJwk(3072, randomInteger(3071)),
    'huge-modulus': rsaJwk(8200, 65537n),
    'even-exponent': rsaJwk(2048, 65536n),
  };
  let issuer: TestIssuer;
  let events: TokenwardenEvent[];

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['RS256'], clock: fixedClock });
  });
  afterAll(() => issuer.close());
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function verifier() {
    events = [];
    const keys = [
      ...issuer.jwks().keys,
      ...Object.entries(hostile).map(([kid, jwk]) => ({ ...jwk, kid, alg: 'RS256', use: 'sig' })),
    ];
    return createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      fetch: () => Promise.resolve(Response.json({ keys })),
      onEvent: (event) => events.push(event),
      clock: fixedClock,
    });
  }

  /** An RS256 token naming `kid`, with a random signature: only the key lookup matters. */
  async function tokenNaming(kid: string): Promise<string> {
    const signed = await issuer.signToken({}, { alg: 'RS256' });
    const [, payload] = signed.split('.');
    const header = encodeSegment({ alg: 'RS256', typ: 'at+jwt', kid });
    return `${header}.${payload}.${base64url.encode(crypto.getRandomValues(new Uint8Array(384)))}`;
  }

  it('ignores keys out of bounds with a jwks_key_ignored event each, and keeps the others', async () => {
    const checked = verifier();
    await expect(checked.verify(await issuer.signToken({}, { alg: 'RS256' }))).resolves.toBeDefined();
    expect(events.filter((event) => event.type === 'jwks_key_ignored')).toEqual([
      {
        type: 'jwks_key_ignored',
        uri: jwksUri,
        kid: 'hostile-exponent',
        reason: 'RSA public exponent is not an odd number from 3 to 2^32 - 1',
      },
      { type: 'jwks_key_ignored', uri: jwksUri, kid: 'huge-modulus', reason: 'RSA modulus over 8192 bits' },
      {
        type: 'jwks_key_ignored',
        uri: jwksUri,
        kid: 'even-exponent',
        reason: 'RSA public exponent is not an odd number from 3 to 2^32 - 1',
      },
    ]);
  });

  it('refuses a token naming the 3071-bit-exponent key with key_not_found, importing no key', async () => {
    const checked = verifier();
    const token = await tokenNaming('hostile-exponent');
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    const verify = vi.spyOn(crypto.subtle, 'verify');
    await expectRejection(checked.verify(token), 'key_not_found');
    expect(importKey).not.toHaveBeenCalled();
    expect(verify).not.toHaveBeenCalled();
  });
});
