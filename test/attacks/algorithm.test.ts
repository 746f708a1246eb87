import { generateKeyPairSync } from 'node:crypto';
import { CompactSign, exportJWK, exportSPKI, importJWK, type JWK } from 'jose';
import { type Algorithm, createVerifier, type KeyProvider, type TokenwardenEvent } from 'tokenwarden';
import { generateTestKey, type TestKey } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  bearerRequest,
  type CountingServer,
  claimsWith,
  createKeyRing,
  ISSUER,
  type KeyRing,
  signToken,
  startCountingServer,
  verifierFor,
} from '../core/fixtures.js';
import { assembleJws, encodeSegment, signJws, withSignature } from '../support/jws.js';
import { expectRejection } from '../support/rejection.js';
import {
  bigintBytes,
  HMAC_ALGORITHMS,
  type HmacAlgorithm,
  hmacToken,
  P256_ORDER,
  publicKeyEncodings,
} from './fixtures.js';

/** 32 random bytes: enough for HS256 only (RFC 7518 §3.2). */
const SECRET_32 = crypto.getRandomValues(new Uint8Array(32));
/** 64 random bytes: enough for every HS algorithm. */
const SECRET_64 = crypto.getRandomValues(new Uint8Array(64));

const RSA_ENCODINGS = ['SPKI PEM', 'SPKI DER', 'PKCS#1 PEM', 'PKCS#1 DER', 'JWK JSON'] as const;
const EC_ENCODINGS = ['SPKI PEM', 'SPKI DER', 'raw point', 'JWK JSON'] as const;

let ring: KeyRing;
let attacker: TestKey;
/** An Ed25519 key whose JWK names the fully specified alg `Ed25519` (RFC 9864). */
let ed25519: TestKey;

beforeAll(async () => {
  ring = await createKeyRing();
  attacker = await generateTestKey('RS256', 'attacker-rsa');
  ed25519 = await generateTestKey('Ed25519', 'kid-Ed25519');
});

/** Every (HMAC algorithm, issuer key, encoding) combination an attacker can try. */
const confusionCases = HMAC_ALGORITHMS.flatMap((alg) => [
  ...RSA_ENCODINGS.map((encoding) => [alg, 'RSA', encoding] as const),
  ...EC_ENCODINGS.map((encoding) => [alg, 'EC', encoding] as const),
]);

function confusedToken(alg: HmacAlgorithm, keyKind: 'RSA' | 'EC', encoding: string): Promise<string> {
  const issuerKey = keyKind === 'RSA' ? ring.keys.RS256 : ring.keys.ES256;
  const secret = publicKeyEncodings(issuerKey.publicJwk)[encoding] as Uint8Array;
  return hmacToken(alg, secret, { kid: issuerKey.kid });
}

function pemOf(jwk: JWK, form: 'SPKI PEM' | 'PKCS#1 PEM'): Uint8Array {
  return publicKeyEncodings(jwk)[form] as Uint8Array;
}

/** Builds a verifier with `options`, reporting the TypeError message it throws, if any. */
function configurationError(options: Partial<Parameters<typeof createVerifier>[0]>): string | undefined {
  try {
    createVerifier({ issuer: ISSUER, audience: AUDIENCE, keySet: ring.keySet, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as TypeError).message;
  }
  return undefined;
}

/** An Ed448 key pair (RFC 8037 §3.1) made by Node, which can sign with it, with its public JWK. */
function ed448Key(kid: string): { publicJwk: JWK; sign: (header: object) => string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed448');
  const publicJwk: JWK = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' };
  return {
    publicJwk,
    sign: (header) => signJws({ alg: 'EdDSA', privateKey }, header, claimsWith()),
  };
}

describe('RFC 8725 §2.1 algorithm confusion: HMAC keyed with the issuer public key', () => {
  it('encodes each public key in every form the corpus claims to try (the control for this block)', () => {
    const rsa = publicKeyEncodings(ring.keys.RS256.publicJwk);
    const ec = publicKeyEncodings(ring.keys.ES256.publicJwk);
    expect(Object.keys(rsa).sort()).toEqual([...RSA_ENCODINGS].sort());
    expect(Object.keys(ec).sort()).toEqual([...EC_ENCODINGS].sort());
    expect(new TextDecoder().decode(rsa['PKCS#1 PEM'])).toMatch(/^-----BEGIN RSA PUBLIC KEY-----/);
    expect(new TextDecoder().decode(ec['SPKI PEM'])).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(ec['raw point']).toHaveLength(65);
  });

  it.each(confusionCases)(
    'without a secret: rejects %s keyed with the %s public key as %s, as algorithm_not_allowed',
    async (alg, keyKind, encoding) => {
      const token = await confusedToken(alg, keyKind, encoding);
      await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
    },
  );

  it.each(confusionCases)(
    'with a secret (HS256 added to the defaults): rejects %s keyed with the %s public key as %s',
    async (alg, keyKind, encoding) => {
      const token = await confusedToken(alg, keyKind, encoding);
      await expectRejection(
        verifierFor(ring, { secret: SECRET_32 }).verify(token),
        alg === 'HS256' ? 'signature_invalid' : 'algorithm_not_allowed',
      );
    },
  );

  it.each(confusionCases)(
    'with every HS algorithm allowed: rejects %s keyed with the %s public key as %s, as signature_invalid',
    async (alg, keyKind, encoding) => {
      const token = await confusedToken(alg, keyKind, encoding);
      const verifier = verifierFor(ring, {
        secret: SECRET_64,
        algorithms: ['RS256', 'ES256', 'HS256', 'HS384', 'HS512'],
      });
      await expectRejection(verifier.verify(token), 'signature_invalid');
    },
  );

  it.each(HMAC_ALGORITHMS)(
    'accepts %s keyed with the configured secret (the control for the rules above)',
    async (alg) => {
      const verifier = verifierFor(ring, {
        secret: SECRET_64,
        algorithms: ['RS256', 'ES256', 'HS256', 'HS384', 'HS512'],
      });
      await expect(verifier.verify(await hmacToken(alg, SECRET_64))).resolves.toBeDefined();
    },
  );

  describe('HS256 over the RSA public key as jose exports it (PEM) or as the key set publishes it (JWK JSON)', () => {
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
        const token = await hmacToken('HS256', publicKeyBytes, { kid: ring.keys.RS256.kid });
        await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
      },
    );

    it.each(Object.keys(publicKeyForms) as (keyof typeof publicKeyForms)[])(
      'rejects HS256 over the %s public key as signature_invalid when a secret is set',
      async (form) => {
        const publicKeyBytes = await publicKeyForms[form](ring.keys.RS256.publicJwk);
        const token = await hmacToken('HS256', publicKeyBytes, { kid: ring.keys.RS256.kid });
        const verifier = verifierFor(ring, { secret: SECRET_32 });
        await expectRejection(verifier.verify(token), 'signature_invalid');
      },
    );

    it('still accepts HS256 signed with the configured secret (the control for the two rules above)', async () => {
      const verifier = verifierFor(ring, { secret: SECRET_32 });
      await expect(
        verifier.verify(await hmacToken('HS256', SECRET_32, { kid: ring.keys.RS256.kid })),
      ).resolves.toBeDefined();
    });
  });

  describe('regressions of published CVEs', () => {
    it('CVE-2015-9235 (jsonwebtoken): HS256 keyed with the issuer RSA public key PEM is refused', async () => {
      const token = await hmacToken('HS256', pemOf(ring.keys.RS256.publicJwk, 'SPKI PEM'), {
        kid: ring.keys.RS256.kid,
      });
      await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
      await expectRejection(verifierFor(ring, { secret: SECRET_32 }).verify(token), 'signature_invalid');
    });

    it('CVE-2016-10555 (jwt-simple): a kid-less HS256 token keyed with the RSA PEM is refused with HS256 allowed', async () => {
      const token = await hmacToken('HS256', pemOf(ring.keys.RS256.publicJwk, 'SPKI PEM'));
      const verifier = verifierFor(ring, { secret: SECRET_32, algorithms: ['RS256', 'HS256'] });
      await expectRejection(verifier.verify(token), 'signature_invalid');
    });

    it('CVE-2024-54150 (cjwt): HS256 keyed with the RSA or the EC public key is refused', async () => {
      for (const key of [ring.keys.RS256, ring.keys.ES256]) {
        const token = await hmacToken('HS256', pemOf(key.publicJwk, 'SPKI PEM'), { kid: key.kid });
        await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
        await expectRejection(verifierFor(ring, { secret: SECRET_32 }).verify(token), 'signature_invalid');
      }
    });

    it('CVE-2023-48223 (fast-jwt): HS256 keyed with the PKCS#1 "BEGIN RSA PUBLIC KEY" PEM is refused', async () => {
      const pkcs1 = pemOf(ring.keys.RS256.publicJwk, 'PKCS#1 PEM');
      expect(new TextDecoder().decode(pkcs1)).toMatch(/^-----BEGIN RSA PUBLIC KEY-----/);
      const token = await hmacToken('HS256', pkcs1, { kid: ring.keys.RS256.kid });
      await expectRejection(verifierFor(ring, { secret: SECRET_32 }).verify(token), 'signature_invalid');
    });

    it('CVE-2026-44699 (libjwt): HS256 naming an RSA JWK published without alg never uses that JWK', async () => {
      const { alg: _alg, ...noAlg } = ring.keys.RS256.publicJwk;
      const keySet = { keys: [noAlg] };
      const emptyKeyToken = signJws(
        { alg: 'HS256', secret: new Uint8Array(0) },
        { alg: 'HS256', kid: noAlg.kid },
        claimsWith(),
      );
      const pemToken = await hmacToken('HS256', pemOf(noAlg, 'SPKI PEM'), { kid: noAlg.kid });
      for (const token of [emptyKeyToken, pemToken]) {
        await expectRejection(verifierFor(ring, { keySet }).verify(token), 'algorithm_not_allowed');
        const withSecret = verifierFor(ring, { keySet, secret: SECRET_32 });
        await expectRejection(withSecret.verify(token), 'signature_invalid');
      }
    });

    it('CVE-2022-23541 (jsonwebtoken): a custom key provider is never asked for a key for an HS256 token', async () => {
      const requested: Array<[string | undefined, Algorithm]> = [];
      const rsaKey = (await importJWK({ ...ring.keys.RS256.publicJwk, ext: true }, 'RS256')) as CryptoKey;
      const keyProvider: KeyProvider = {
        getKey: async (kid, alg) => {
          requested.push([kid, alg]);
          return rsaKey;
        },
      };
      const token = await hmacToken('HS256', pemOf(ring.keys.RS256.publicJwk, 'SPKI PEM'), {
        kid: ring.keys.RS256.kid,
      });
      await expectRejection(
        verifierFor(ring, { keySet: undefined, keyProvider }).verify(token),
        'algorithm_not_allowed',
      );
      const withSecret = verifierFor(ring, { keySet: undefined, keyProvider, secret: SECRET_32 });
      await expectRejection(withSecret.verify(token), 'signature_invalid');
      expect(requested).toEqual([]);
    });
  });
});

describe('RFC 8725 §2.1 and RFC 7518 §3.2 the HMAC secret is checked at start-up: no public key, no empty key', () => {
  it('CVE-2017-11424 (PyJWT): a PEM public key configured as the HMAC secret is refused at start-up', () => {
    const pem = new TextDecoder().decode(pemOf(ring.keys.RS256.publicJwk, 'SPKI PEM'));
    expect(configurationError({ secret: pem })).toMatch(/looks like a public or private key/);
    expect(configurationError({ secret: pem, algorithms: ['RS256', 'HS256'] })).toMatch(/key/);
  });

  it('CVE-2023-48223 (fast-jwt): a PKCS#1 RSA public key configured as the HMAC secret is refused', () => {
    const pkcs1 = pemOf(ring.keys.RS256.publicJwk, 'PKCS#1 PEM');
    expect(configurationError({ secret: pkcs1 })).toMatch(/looks like a public or private key/);
  });

  it('CVE-2026-34950 (fast-jwt): a PEM key behind leading whitespace is still refused as the secret', () => {
    const pem = new TextDecoder().decode(pemOf(ring.keys.ES256.publicJwk, 'SPKI PEM'));
    for (const prefix of [' ', '\t', '\n\n', '\r\n  ']) {
      expect(configurationError({ secret: `${prefix}${pem}` })).toMatch(/looks like a public or private key/);
    }
  });

  it('CVE-2017-11424 (PyJWT): OpenSSH and JWK forms of a public key are refused as the secret too', () => {
    const jwkText = JSON.stringify(ring.keys.RS256.publicJwk);
    expect(configurationError({ secret: jwkText })).toMatch(/looks like a public or private key/);
    const openSsh = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${'A'.repeat(43)} user@host`;
    expect(configurationError({ secret: openSsh })).toMatch(/looks like a public or private key/);
  });

  it('accepts a random 32-byte secret and a long passphrase (the control for the start-up checks)', () => {
    expect(configurationError({ secret: SECRET_32 })).toBeUndefined();
    expect(configurationError({ secret: 'correct horse battery staple, twice over!' })).toBeUndefined();
  });

  it('CVE-2026-44351 (fast-jwt): an empty secret is refused at start-up, so no empty-key HMAC exists', () => {
    expect(configurationError({ secret: '' })).toMatch(/too short/);
    expect(configurationError({ secret: new Uint8Array(0), algorithms: ['HS256'] })).toMatch(/too short/);
  });
});

describe('RFC 8725 §3.1 algorithm verification', () => {
  describe('the unsecured "none" algorithm', () => {
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
      await expectRejection(
        verifierFor(ring).authenticate(bearerRequest(`${token}`)),
        'algorithm_not_allowed',
      );
    });

    it('rejects an RS256 header with an empty signature as signature_invalid', async () => {
      const token = assembleJws({ alg: 'RS256', kid: ring.keys.RS256.kid }, claimsWith());
      await expectRejection(verifierFor(ring).verify(token), 'signature_invalid');
    });

    it('CVE-2022-23540 (jsonwebtoken): with no algorithms option, alg none is refused', async () => {
      const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keySet: ring.keySet });
      for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
        const token = assembleJws({ alg }, claimsWith());
        await expectRejection(verifier.verify(token), 'algorithm_not_allowed');
      }
    });

    it('CVE-2022-23540 (jsonwebtoken): "none" cannot even be configured', () => {
      expect(configurationError({ algorithms: ['none' as Algorithm] })).toMatch(/unsupported algorithm/);
      expect(configurationError({ algorithms: [] })).toMatch(/must not be empty/);
    });

    it('CVE-2018-1000531 (inversoft prime-jwt): alg none with a kid and a made-up signature is refused', async () => {
      const token = assembleJws({ alg: 'none', kid: ring.keys.RS256.kid }, claimsWith(), 'AAAA');
      await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
    });
  });

  describe('the published key decides the algorithm: the header alg must fit its kty, crv and alg', () => {
    it('rejects an RS256 token whose kid names the EC key as published (alg ES256 on the JWK)', async () => {
      const token = await signToken(attacker, {}, { kid: ring.keys.ES256.kid });
      await expectRejection(verifierFor(ring).verify(token), 'key_not_found');
    });

    it('rejects a kid-less RS256 token when the key set holds only EC keys', async () => {
      const verifier = verifierFor(ring, { keySet: { keys: [ring.keys.ES256.publicJwk] } });
      const token = await signToken(attacker, {}, { kid: undefined });
      await expectRejection(verifier.verify(token), 'key_not_found');
    });

    it('rejects a kid-less PS256 token signed with the private key of a JWK whose alg is RS256', async () => {
      const rsa = ring.keys.RS256;
      const verifier = verifierFor(ring, { keySet: { keys: [rsa.publicJwk] } });
      const token = signJws(
        { ...rsa, alg: 'PS256' },
        JSON.stringify({ alg: 'PS256' }),
        JSON.stringify(claimsWith()),
      );
      await expectRejection(verifier.verify(token), 'key_not_found');
    });

    it('rejects an RS256 token signed with the private key of a JWK whose alg is PS256', async () => {
      const ps = ring.keys.PS256;
      const token = signJws(
        { ...ps, alg: 'RS256' },
        JSON.stringify({ alg: 'RS256', kid: ps.kid }),
        JSON.stringify(claimsWith()),
      );
      await expectRejection(verifierFor(ring).verify(token), 'key_not_found');
    });

    it('rejects an EdDSA header naming the kid of a P-256 key', async () => {
      const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claimsWith())))
        .setProtectedHeader({ alg: 'EdDSA', kid: ring.keys.ES256.kid })
        .sign(ring.keys.EdDSA.privateKey);
      await expectRejection(verifierFor(ring).verify(token), 'key_not_found');
    });

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

    it('CVE-2022-23539 (jsonwebtoken): an RS256 header is never verified with a key of another type', async () => {
      const token = await signToken(attacker, {}, { kid: ring.keys.ES256.kid });
      await expectRejection(verifierFor(ring).verify(token), 'key_not_found');
      const edToken = await signToken(attacker, {}, { kid: ring.keys.EdDSA.kid });
      await expectRejection(verifierFor(ring).verify(edToken), 'key_not_found');
    });
  });
});

describe('RFC 7518 §3 wrong-length signatures', () => {
  const lengthAttacks: ReadonlyArray<readonly [string, (signature: Uint8Array) => Uint8Array]> = [
    ['truncated by one byte', (signature) => signature.slice(0, -1)],
    ['cut to half its length', (signature) => signature.slice(0, signature.length / 2)],
    ['extended by a zero byte', (signature) => new Uint8Array([...signature, 0])],
    ['prefixed with a zero byte', (signature) => new Uint8Array([0, ...signature])],
    ['repeated twice', (signature) => new Uint8Array([...signature, ...signature])],
    ['empty', () => new Uint8Array(0)],
  ];

  const cases = (['RS256', 'ES256', 'EdDSA'] as const).flatMap((alg) =>
    lengthAttacks.map(([name, change]) => [alg, name, change] as const),
  );

  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'accepts the unmodified %s token (the control)',
    async (alg) => {
      await expect(verifierFor(ring).verify(await signToken(ring.keys[alg]))).resolves.toBeDefined();
    },
  );

  it.each(cases)('rejects an %s signature %s as signature_invalid', async (alg, _name, change) => {
    const token = withSignature(await signToken(ring.keys[alg]), change);
    await expectRejection(verifierFor(ring).verify(token), 'signature_invalid');
  });

  it('CVE-2020-28042 (ServiceStack): a token with its signature stripped is refused', async () => {
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      const [header, payload] = (await signToken(ring.keys[alg])).split('.');
      await expectRejection(verifierFor(ring).verify(`${header}.${payload}.`), 'signature_invalid');
    }
  });
});

describe('RFC 7518 §3.3 and RFC 8725 §3.5 key strength and key hygiene', () => {
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

describe('RFC 7518 §3.4 ECDSA signatures: "psychic signatures" (CVE-2022-21449) and encodings', () => {
  it('accepts an ES256 token signed through the same raw path in JOSE r || s form (the control)', async () => {
    const es = ring.keys.ES256;
    const token = signJws(es, JSON.stringify({ alg: 'ES256', kid: es.kid }), JSON.stringify(claimsWith()));
    await expect(verifierFor(ring).verify(token)).resolves.toBeDefined();
  });

  it('rejects ES256 with r = s = 0 (a 64-byte all-zero signature) as signature_invalid', async () => {
    const token = withSignature(await signToken(ring.keys.ES256), () => new Uint8Array(64));
    await expectRejection(verifierFor(ring).verify(token), 'signature_invalid');
  });

  it('rejects ES256 with r = s = n, the P-256 group order, as signature_invalid', async () => {
    const n = bigintBytes(P256_ORDER, 32);
    const token = withSignature(await signToken(ring.keys.ES256), () => new Uint8Array([...n, ...n]));
    await expectRejection(verifierFor(ring).verify(token), 'signature_invalid');
  });

  it('rejects ES384 with r = s = 0 (a 96-byte all-zero signature) when ES384 is allowed', async () => {
    const token = withSignature(await signToken(ring.keys.ES384), () => new Uint8Array(96));
    const verifier = verifierFor(ring, { algorithms: ['ES256', 'ES384'] });
    await expectRejection(verifier.verify(token), 'signature_invalid');
  });

  it('rejects a genuine ES256 signature in ASN.1 DER form instead of JOSE r || s', async () => {
    const es = ring.keys.ES256;
    const token = signJws(es, JSON.stringify({ alg: 'ES256', kid: es.kid }), JSON.stringify(claimsWith()), {
      dsaEncoding: 'der',
    });
    const signatureBytes = Buffer.from(token.split('.')[2] as string, 'base64url');
    expect(signatureBytes[0]).toBe(0x30);
    await expectRejection(verifierFor(ring).verify(token), 'signature_invalid');
  });
});

describe('RFC 8037 Ed448 is refused explicitly: EdDSA here means Ed25519', () => {
  let jwksServer: CountingServer;

  const ed448 = ed448Key('kid-Ed448');

  beforeAll(async () => {
    jwksServer = await startCountingServer({ keys: [...ring.keySet.keys, ed448.publicJwk] });
  });

  afterAll(() => jwksServer.close());

  it('rejects an EdDSA token signed by an Ed448 key its kid names as key_not_found', async () => {
    const verifier = verifierFor(ring, { keySet: { keys: [...ring.keySet.keys, ed448.publicJwk] } });
    const token = ed448.sign({ alg: 'EdDSA', kid: ed448.publicJwk.kid });
    await expectRejection(verifier.verify(token), 'key_not_found');
  });

  it('rejects a kid-less EdDSA token when the only OKP key is Ed448, as key_not_found', async () => {
    const verifier = verifierFor(ring, { keySet: { keys: [ed448.publicJwk] } });
    await expectRejection(verifier.verify(ed448.sign({ alg: 'EdDSA' })), 'key_not_found');
  });

  it('picks the Ed25519 key for a kid-less EdDSA token, though the set also holds an Ed448 key', async () => {
    const verifier = verifierFor(ring, { keySet: { keys: [ring.keys.EdDSA.publicJwk, ed448.publicJwk] } });
    const token = await signToken(ring.keys.EdDSA, {}, { kid: undefined });
    await expect(verifier.verify(token)).resolves.toBeDefined();
  });

  it('ignores the Ed448 key of a fetched key set, reporting jwks_key_ignored with the reason', async () => {
    const events: TokenwardenEvent[] = [];
    const verifier = verifierFor(ring, {
      keySet: undefined,
      jwksUri: `${jwksServer.url}/jwks.json`,
      onEvent: (event) => events.push(event),
    });
    await expect(verifier.verify(await signToken(ring.keys.EdDSA))).resolves.toBeDefined();
    const ignored = events.filter((event) => event.type === 'jwks_key_ignored');
    expect(ignored).toEqual([
      expect.objectContaining({ kid: 'kid-Ed448', reason: expect.stringMatching(/Ed448/) }),
    ]);
  });

  it('keeps verifying EdDSA tokens of the Ed25519 key in the same set (the control)', async () => {
    const verifier = verifierFor(ring, { keySet: { keys: [...ring.keySet.keys, ed448.publicJwk] } });
    await expect(verifier.verify(await signToken(ring.keys.EdDSA))).resolves.toBeDefined();
  });
});

describe('RFC 9864 Ed25519, the fully specified name of EdDSA over Ed25519', () => {
  /** EdDSA over Ed25519 under either name, as the algorithms option may list it. */
  const bothNames = ['EdDSA', 'Ed25519'] as const;

  it('accepts an Ed25519 token whose JWK says alg Ed25519, once Ed25519 is listed', async () => {
    const verifier = verifierFor(ring, { keySet: { keys: [ed25519.publicJwk] }, algorithms: ['Ed25519'] });
    const { header } = await verifier.verify(await signToken(ed25519));
    expect(header.alg).toBe('Ed25519');
  });

  it('accepts an Ed25519 token whose JWK says alg EdDSA', async () => {
    const verifier = verifierFor(ring, { algorithms: [...bothNames] });
    const token = await signToken(ring.keys.EdDSA, {}, { alg: 'Ed25519' });
    expect((await verifier.verify(token)).header.alg).toBe('Ed25519');
  });

  it('accepts an EdDSA token whose JWK says alg Ed25519, with the default algorithms', async () => {
    const verifier = verifierFor(ring, { keySet: { keys: [ed25519.publicJwk] } });
    const token = await signToken(ed25519, {}, { alg: 'EdDSA' });
    expect((await verifier.verify(token)).header.alg).toBe('EdDSA');
  });

  it('picks the single Ed25519 key for a kid-less Ed25519 token', async () => {
    const verifier = verifierFor(ring, { algorithms: [...bothNames] });
    const token = await signToken(ring.keys.EdDSA, {}, { alg: 'Ed25519', kid: undefined });
    await expect(verifier.verify(token)).resolves.toBeDefined();
  });

  it('rejects an Ed25519 token when only EdDSA is listed, as algorithm_not_allowed', async () => {
    const token = await signToken(ed25519);
    await expectRejection(
      verifierFor(ring, { algorithms: ['EdDSA'] }).verify(token),
      'algorithm_not_allowed',
    );
  });

  it('rejects an Ed25519 token with an altered signature as signature_invalid', async () => {
    const verifier = verifierFor(ring, { algorithms: [...bothNames] });
    const token = withSignature(await signToken(ring.keys.EdDSA, {}, { alg: 'Ed25519' }), (signature) =>
      signature.map((byte, index) => (index === 0 ? byte ^ 1 : byte)),
    );
    await expectRejection(verifier.verify(token), 'signature_invalid');
  });

  it('rejects an Ed25519 token signed by an Ed448 key its kid names, as key_not_found', async () => {
    const ed448 = ed448Key('kid-Ed448-b');
    const verifier = verifierFor(ring, { keySet: { keys: [ed448.publicJwk] }, algorithms: [...bothNames] });
    const token = ed448.sign({ alg: 'Ed25519', kid: 'kid-Ed448-b' });
    await expectRejection(verifier.verify(token), 'key_not_found');
  });
});
