import { CompactSign, exportJWK, exportSPKI, importJWK, type JWK } from 'jose';
import { generateTestKey, type TestKey } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleJws, encodeSegment, signJws } from '../support/jws.js';
import { expectRejection, rejectionOf } from '../support/rejection.js';
import {
  bearerRequest,
  type CountingServer,
  claimsWith,
  createKeyRing,
  type KeyRing,
  signToken,
  startCountingServer,
  verifierFor,
} from './fixtures.js';

/** 32 random bytes: the smallest secret HS256 accepts (RFC 7518 §3.2). */
const SECRET = crypto.getRandomValues(new Uint8Array(32));

let ring: KeyRing;
let attacker: TestKey;
let attackerServer: CountingServer;

beforeAll(async () => {
  ring = await createKeyRing();
  attacker = await generateTestKey('RS256', 'attacker-key');
  attackerServer = await startCountingServer({ keys: [attacker.publicJwk] });
});

afterAll(async () => {
  await attackerServer.close();
});

function hs256(headerKid: string, secret: Uint8Array): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claimsWith())))
    .setProtectedHeader({ alg: 'HS256', kid: headerKid, typ: 'at+jwt' })
    .sign(secret);
}

describe('RFC 8725 §3.1 the unsecured "none" algorithm', () => {
  it.each(['none', 'None', 'NONE'])(
    'rejects alg "%s" with an empty signature as algorithm_not_allowed',
    async (alg) => {
      const token = assembleJws({ alg, typ: 'at+jwt' }, claimsWith());
      await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
    },
  );

  it('rejects alg "none" carrying a made-up signature and a known kid', async () => {
    const token = assembleJws({ alg: 'none', kid: ring.keys.RS256.kid }, claimsWith(), 'c2lnbmF0dXJl');
    await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
  });

  it('rejects alg "none" in the Authorization header too', async () => {
    const token = assembleJws({ alg: 'none' }, claimsWith());
    await expectRejection(verifierFor(ring).authenticate(bearerRequest(`${token}`)), 'algorithm_not_allowed');
  });

  it('rejects an RS256 header with an empty signature as signature_invalid', async () => {
    const token = assembleJws({ alg: 'RS256', kid: ring.keys.RS256.kid }, claimsWith());
    await expectRejection(verifierFor(ring).verify(token), 'signature_invalid');
  });
});

describe('RFC 8725 §2.1 algorithm confusion: HS256 signed with the RSA public key', () => {
  const publicKeyForms = {
    PEM: async (jwk: JWK) =>
      new TextEncoder().encode(
        await exportSPKI((await importJWK({ ...jwk, ext: true }, 'RS256')) as CryptoKey),
      ),
    'JWK JSON': async (jwk: JWK) => new TextEncoder().encode(JSON.stringify(jwk)),
  };

  it.each(Object.keys(publicKeyForms) as (keyof typeof publicKeyForms)[])(
    'rejects HS256 over the %s public key as algorithm_not_allowed when no secret is set',
    async (form) => {
      const publicKeyBytes = await publicKeyForms[form](ring.keys.RS256.publicJwk);
      const token = await hs256(ring.keys.RS256.kid, publicKeyBytes);
      await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
    },
  );

  it.each(Object.keys(publicKeyForms) as (keyof typeof publicKeyForms)[])(
    'rejects HS256 over the %s public key as signature_invalid when a secret is set',
    async (form) => {
      const publicKeyBytes = await publicKeyForms[form](ring.keys.RS256.publicJwk);
      const token = await hs256(ring.keys.RS256.kid, publicKeyBytes);
      const verifier = verifierFor(ring, { secret: SECRET });
      await expectRejection(verifier.verify(token), 'signature_invalid');
    },
  );

  it('still accepts HS256 signed with the configured secret (the control for the two rules above)', async () => {
    const verifier = verifierFor(ring, { secret: SECRET });
    await expect(verifier.verify(await hs256(ring.keys.RS256.kid, SECRET))).resolves.toBeDefined();
  });
});

describe('RFC 8725 §3.1 the header alg must fit the key (kty, crv, alg)', () => {
  function withoutAlg(jwk: JWK): JWK {
    const { alg: _alg, ...rest } = jwk;
    return rest;
  }

  it('rejects an RS256 header naming the kid of an EC key', async () => {
    const ecJwk = withoutAlg(ring.keys.ES256.publicJwk);
    const verifier = verifierFor(ring, { keySet: { keys: [ecJwk] } });
    const token = await signToken(attacker, {}, { kid: ecJwk.kid });
    await expectRejection(verifier.verify(token), 'key_not_found');
  });

  it('rejects a PS256 header over a JWK whose alg is RS256, even with a valid PS256 signature', async () => {
    const rsa = ring.keys.RS256;
    const psKey = await importJWK(await exportJWK(rsa.privateKey), 'PS256');
    const payload = new TextEncoder().encode(JSON.stringify(claimsWith()));
    const token = await new CompactSign(payload)
      .setProtectedHeader({ alg: 'PS256', kid: rsa.kid })
      .sign(psKey);
    await expectRejection(verifierFor(ring).verify(token), 'key_not_found');
    const noAlgVerifier = verifierFor(ring, { keySet: { keys: [withoutAlg(rsa.publicJwk)] } });
    await expect(noAlgVerifier.verify(token)).resolves.toBeDefined();
  });

  it('rejects an ES256 header naming the kid of a P-384 key', async () => {
    const p384 = withoutAlg(ring.keys.ES384.publicJwk);
    const verifier = verifierFor(ring, { keySet: { keys: [p384] } });
    const token = await signToken(ring.keys.ES256, {}, { kid: p384.kid });
    await expectRejection(verifier.verify(token), 'key_not_found');
  });

  it('rejects an ES384 token under a verifier that lists only the defaults', async () => {
    const token = await signToken(ring.keys.ES384);
    await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
  });
});

describe('RFC 8725 §3.10 key-carrying header parameters are never followed or trusted', () => {
  it.each(['jku', 'x5u'])('rejects a %s header without fetching it', async (name) => {
    const token = await signToken(attacker, {}, { [name]: `${attackerServer.url}/jwks.json` });
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
    expect(attackerServer.requestCount()).toBe(0);
  });

  it('rejects an embedded jwk header, even when the token verifies under that key', async () => {
    const { kid: _kid, use: _use, ...embedded } = attacker.publicJwk;
    const token = await signToken(attacker, {}, { jwk: embedded });
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects an x5c header', async () => {
    const token = await signToken(attacker, {}, { x5c: ['MIIBfake'] });
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects a key-carrying header even when the kid names a trusted key', async () => {
    const token = await signToken(ring.keys.RS256, {}, { jku: `${attackerServer.url}/jwks.json` });
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
    expect(attackerServer.requestCount()).toBe(0);
  });
});

describe('RFC 7515 §4.1.11 critical header extensions', () => {
  const rsa = () => ring.keys.RS256;

  it('accepts a correctly signed token assembled by hand (the control for the crit rule)', async () => {
    const token = signJws(rsa(), { alg: 'RS256', kid: rsa().kid }, claimsWith());
    await expect(verifierFor(ring).verify(token)).resolves.toBeDefined();
  });

  it('rejects a token naming an unknown extension in crit', async () => {
    const header = { alg: 'RS256', kid: rsa().kid, crit: ['urn:example:ext'], 'urn:example:ext': true };
    const token = signJws(rsa(), header, claimsWith());
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects the RFC 7797 b64 extension (unencoded payloads are not access tokens)', async () => {
    const header = { alg: 'RS256', kid: rsa().kid, crit: ['b64'], b64: false };
    const token = signJws(rsa(), header, claimsWith());
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });
});

describe('RFC 7518 §3.3 / RFC 8725 §3.5 key strength and key hygiene', () => {
  it('rejects a token signed by an RSA key under 2048 bits', async () => {
    const weak = (await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const publicJwk = {
      ...(await crypto.subtle.exportKey('jwk', weak.publicKey)),
      kid: 'weak',
      alg: 'RS256',
    };
    const verifier = verifierFor(ring, { keySet: { keys: [publicJwk as JWK] } });
    const token = signJws(
      { alg: 'RS256', privateKey: weak.privateKey },
      { alg: 'RS256', kid: 'weak' },
      claimsWith(),
    );
    await expectRejection(verifier.verify(token), 'key_not_found');
  });

  it('never uses a published JWK that carries private members (d)', async () => {
    const privateJwk = { ...(await exportJWK(ring.keys.ES256.privateKey)), kid: 'leaked', alg: 'ES256' };
    expect(privateJwk.d).toBeTypeOf('string');
    const verifier = verifierFor(ring, { keySet: { keys: [privateJwk] } });
    const token = await signToken(ring.keys.ES256, {}, { kid: 'leaked' });
    await expectRejection(verifier.verify(token), 'key_not_found');
  });

  it('never uses a symmetric (oct) JWK from the key set', async () => {
    const oct: JWK = {
      kty: 'oct',
      k: encodeSegment('0123456789abcdef0123456789abcdef'),
      kid: 'oct',
      alg: 'HS256',
    };
    const verifier = verifierFor(ring, { keySet: { keys: [oct] } });
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claimsWith())))
      .setProtectedHeader({ alg: 'RS256', kid: 'oct' })
      .sign(ring.keys.RS256.privateKey);
    await expectRejection(verifier.verify(token), 'key_not_found');
  });
});

describe('token size and shape, checked before any parsing', () => {
  it('rejects a 1 MB string as token_malformed because of its size', async () => {
    const error = await rejectionOf(verifierFor(ring).verify('a'.repeat(1024 * 1024)));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/larger/);
  });

  it('rejects a 1 MB Bearer token in a request as token_malformed', async () => {
    const huge = `${'a'.repeat(512 * 1024)}.${'b'.repeat(512 * 1024)}.c`;
    await expectRejection(verifierFor(ring).authenticate(bearerRequest(huge)), 'token_malformed');
  });

  it('rejects a correctly signed token just over the default 16 KiB, and accepts it with a larger maxTokenSize', async () => {
    const token = await signToken(ring.keys.ES256, { padding: 'x'.repeat(12 * 1024) });
    expect(token.length).toBeGreaterThan(16 * 1024);
    const error = await rejectionOf(verifierFor(ring).verify(token));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/larger/);
    await expect(verifierFor(ring, { maxTokenSize: 32 * 1024 }).verify(token)).resolves.toBeDefined();
  });

  it('rejects a JWE-shaped five-part token', async () => {
    const jwe = `${encodeSegment({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a2V5.aXY.Y2lwaGVy.dGFn`;
    const error = await rejectionOf(verifierFor(ring).verify(jwe));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/JWE/);
  });

  it.each([
    ['two parts', (token: string) => token.split('.').slice(0, 2).join('.')],
    ['four parts', (token: string) => `${token}.extra`],
    ['standard-base64 "+" in the payload', (token: string) => token.replace('.', '.+')],
    ['standard-base64 "/" in the signature', (token: string) => `${token.slice(0, -1)}/`],
    ['"=" padding on the header', (token: string) => token.replace('.', '==.')],
    ['"=" padding on the signature', (token: string) => `${token}=`],
    ['a space inside', (token: string) => token.replace('.', ' .')],
    ['an empty header', (token: string) => `.${token.split('.').slice(1).join('.')}`],
  ])('rejects a token with %s as token_malformed', async (_case, mangle) => {
    const token = mangle(await signToken(ring.keys.RS256));
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects an empty token as token_malformed', async () => {
    await expectRejection(verifierFor(ring).verify(''), 'token_malformed');
  });

  it('rejects a correctly signed payload that is a JSON array', async () => {
    const token = signJws(ring.keys.RS256, { alg: 'RS256', kid: ring.keys.RS256.kid }, [claimsWith()]);
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects a correctly signed payload that is not JSON', async () => {
    const token = signJws(
      ring.keys.RS256,
      { alg: 'RS256', kid: ring.keys.RS256.kid },
      'iss=https://issuer.example.test/',
    );
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects a header that is not a JSON object', async () => {
    const token = assembleJws(['RS256'], claimsWith(), 'c2ln');
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects a payload that is not valid UTF-8', async () => {
    const [header, , signature] = (await signToken(ring.keys.RS256)).split('.');
    // `_w` decodes to the single byte 0xFF, which is never valid UTF-8.
    const token = `${header}._w.${signature}`;
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });
});
