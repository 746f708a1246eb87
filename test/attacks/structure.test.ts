import { base64url, CompactEncrypt, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  bearerRequest,
  type CountingServer,
  claimsWith,
  createKeyRing,
  type KeyRing,
  requestWith,
  signToken,
  startCountingServer,
  verifierFor,
} from '../core/fixtures.js';
import { NOW } from '../support/clock.js';
import { assembleJws, encodeSegment, signJws } from '../support/jws.js';
import { expectRejection, rejectionOf } from '../support/rejection.js';

let ring: KeyRing;
let valid: string;
let attackerServer: CountingServer;

beforeAll(async () => {
  ring = await createKeyRing();
  valid = await signToken(ring.keys.RS256);
  attackerServer = await startCountingServer({ keys: [] });
});

afterAll(async () => {
  await attackerServer.close();
});

/** Signs raw header and payload JSON text with the RS256 key: the bytes are exactly as given. */
function signedRaw(headerJson: string, payloadJson: string): string {
  return signJws(ring.keys.RS256, headerJson, payloadJson);
}

const kidMember = () => `"kid":${JSON.stringify(ring.keys.RS256.kid)}`;

/** The fixture claims as JSON members, without the braces, for splicing into hand-written JSON. */
function claimMembers(overrides: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify(claimsWith(overrides)).slice(1, -1);
}

describe('RFC 7515 §7.1 compact serialization: exactly three parts', () => {
  it.each([
    ['one part (no dots)', () => valid.replaceAll('.', '')],
    ['two parts', () => valid.split('.').slice(0, 2).join('.')],
    ['four parts (a trailing dot)', () => `${valid}.`],
    ['four parts (a second signature)', () => `${valid}.${valid.split('.')[2]}`],
    ['five parts built from JWS segments', () => `${valid}.${valid.split('.').slice(0, 2).join('.')}`],
    ['six parts', () => `${valid}.${valid}`.split('.').slice(0, 6).join('.')],
    ['only dots', () => '....'],
  ])('rejects %s as token_malformed', async (_case, build) => {
    await expectRejection(verifierFor(ring).verify(build()), 'token_malformed');
  });

  it.each([
    ['four parts', (token: string) => `${token}.extra`],
    ['an empty header', (token: string) => `.${token.split('.').slice(1).join('.')}`],
  ])('rejects a token with %s as token_malformed', async (_case, mangle) => {
    const token = mangle(await signToken(ring.keys.RS256));
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects an empty token as token_malformed', async () => {
    await expectRejection(verifierFor(ring).verify(''), 'token_malformed');
  });

  it('CVE-2022-39227 (python-jwt): a JSON-serialised JWS polyglot is refused', async () => {
    const [header, payload, signature] = (await signToken(ring.keys.RS256)).split('.') as [
      string,
      string,
      string,
    ];
    const forgedPayload = encodeSegment(claimsWith({ sub: 'admin' }));
    const polyglot = JSON.stringify({
      [`${header}.${forgedPayload}.`]: '',
      protected: header,
      payload,
      signature,
    });
    await expectRejection(verifierFor(ring).verify(polyglot), 'token_malformed');
    await expectRejection(verifierFor(ring).authenticate(bearerRequest(polyglot)), 'request_invalid');
  });
});

describe('RFC 7516 a JWE handed in as an access token', () => {
  async function realJwe(plaintext: string): Promise<string> {
    const { alg: _alg, use: _use, ...rsa } = ring.keys.RS256.publicJwk;
    const encryptionKey = await importJWK(rsa, 'RSA-OAEP-256');
    return new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: ring.keys.RS256.kid, cty: 'JWT' })
      .encrypt(encryptionKey);
  }

  it('rejects a real JWE encrypted to the issuer RSA key (made with jose CompactEncrypt)', async () => {
    const jwe = await realJwe(JSON.stringify(claimsWith()));
    expect(jwe.split('.')).toHaveLength(5);
    const error = await rejectionOf(verifierFor(ring).verify(jwe));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/JWE/);
  });

  it('rejects a real JWE whose plaintext is a valid signed access token (a nested JWT)', async () => {
    const jwe = await realJwe(valid);
    const error = await rejectionOf(verifierFor(ring).verify(jwe));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/JWE/);
  });

  it('rejects a real JWE sent as "Authorization: Bearer" as token_malformed', async () => {
    const jwe = await realJwe(JSON.stringify(claimsWith()));
    await expectRejection(verifierFor(ring).authenticate(bearerRequest(jwe)), 'token_malformed');
  });

  it('rejects a JWE-shaped five-part token', async () => {
    const jwe = `${encodeSegment({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a2V5.aXY.Y2lwaGVy.dGFn`;
    const error = await rejectionOf(verifierFor(ring).verify(jwe));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/JWE/);
  });

  it('CVE-2022-3102 (JWCrypto): a JWE anyone can encrypt to the issuer key is not taken for a signed token', async () => {
    const { alg: _alg, use: _use, ...rsa } = ring.keys.RS256.publicJwk;
    const jwe = await new CompactEncrypt(
      new TextEncoder().encode(JSON.stringify(claimsWith({ sub: 'admin' }))),
    )
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A128GCM' })
      .encrypt(await importJWK(rsa, 'RSA-OAEP-256'));
    await expectRejection(verifierFor(ring).verify(jwe), 'token_malformed');
  });
});

describe('RFC 7515 §2 strict base64url segments', () => {
  /** Applies `change` to one of the three segments of the valid token. */
  function mangleSegment(index: 0 | 1 | 2, change: (segment: string) => string): string {
    const parts = valid.split('.');
    parts[index] = change(parts[index] as string);
    return parts.join('.');
  }

  it.each([
    ['"=" padding on the payload', () => mangleSegment(1, (s) => `${s}==`)],
    ['percent-encoded padding', () => mangleSegment(2, (s) => `${s}%3D`)],
    ['a fullwidth letter in the header', () => mangleSegment(0, (s) => `\uff45${s.slice(1)}`)],
    ['a NUL byte in the payload', () => mangleSegment(1, (s) => `${s.slice(0, 4)}\u0000${s.slice(4)}`)],
    ['a newline in the signature', () => mangleSegment(2, (s) => `${s.slice(0, 10)}\n${s.slice(10)}`)],
    ['a tab before the token', () => `\t${valid}`],
    ['a trailing space', () => `${valid} `],
    ['a "*" in the header', () => mangleSegment(0, (s) => `${s.slice(0, -1)}*`)],
    ['standard-base64 "+" and "/" for "-" and "_"', () => valid.replaceAll('-', '+').replaceAll('_', '/')],
  ])('rejects a token with %s as token_malformed', async (name, build) => {
    const token = build();
    // The "+"/"/" case is only an attack when the token actually contains "-" or "_".
    if (name.startsWith('standard')) expect(token).not.toBe(valid);
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects a signature re-spelt with non-zero spare bits that decodes to the same bytes', async () => {
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    // An RS256 signature is 256 bytes: 342 characters whose last one carries 4 spare bits.
    expect(signature.length % 4).toBe(2);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1) as string);
    const respelt = `${signature.slice(0, -1)}${alphabet[last | 1]}`;
    expect(respelt).not.toBe(signature);
    expect(base64url.decode(respelt)).toEqual(base64url.decode(signature));
    const error = await rejectionOf(verifierFor(ring).verify(`${header}.${payload}.${respelt}`));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/canonical/);
  });

  it.each([
    ['standard-base64 "+" in the payload', (token: string) => token.replace('.', '.+')],
    ['standard-base64 "/" in the signature', (token: string) => `${token.slice(0, -1)}/`],
    ['"=" padding on the header', (token: string) => token.replace('.', '==.')],
    ['"=" padding on the signature', (token: string) => `${token}=`],
    ['a space inside', (token: string) => token.replace('.', ' .')],
  ])('rejects a token with %s as token_malformed', async (_case, mangle) => {
    const token = mangle(await signToken(ring.keys.RS256));
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('CVE-2022-25898 (jsrsasign): a valid signature with non-base64url characters mixed in is refused', async () => {
    const token = await signToken(ring.keys.RS256);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    for (const noisy of [
      `${signature}=`,
      `${signature.slice(0, 8)}%41${signature.slice(8)}`,
      `${signature}\\u0041`,
    ]) {
      await expectRejection(verifierFor(ring).verify(`${header}.${payload}.${noisy}`), 'token_malformed');
    }
  });

  it('builds the signature-stripping and re-spelling cases from a token that verifies (the control)', async () => {
    const token = await signToken(ring.keys.RS256);
    await expect(verifierFor(ring).verify(token)).resolves.toBeDefined();
    expect(base64url.decode(token.split('.')[2] as string)).toHaveLength(256);
  });
});

describe('RFC 7515 §4 and RFC 7519 §7.2 header and claims set: JSON objects, in UTF-8', () => {
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

describe('RFC 7515 §5.2 / RFC 8259 §4 duplicate JSON members: the last one wins, the signature covers the bytes', () => {
  it('uses the last alg of {"alg":"none","alg":"RS256"} and accepts the issuer-signed token', async () => {
    const token = signedRaw(`{"alg":"none","alg":"RS256",${kidMember()}}`, JSON.stringify(claimsWith()));
    const { header } = await verifierFor(ring).verify(token);
    expect(header.alg).toBe('RS256');
  });

  it('uses the last alg of {"alg":"RS256","alg":"none"}: algorithm_not_allowed', async () => {
    const token = signedRaw(`{"alg":"RS256",${kidMember()},"alg":"none"}`, JSON.stringify(claimsWith()));
    await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
  });

  it('uses the last of two aud members in an issuer-signed payload', async () => {
    const payload = `{"aud":"https://other.example.test",${claimMembers({ aud: undefined })},"aud":"${AUDIENCE}"}`;
    const accepted = signedRaw(`{"alg":"RS256",${kidMember()}}`, payload);
    expect((await verifierFor(ring).verify(accepted)).claims.aud).toBe(AUDIENCE);

    const reversed = `{"aud":"${AUDIENCE}",${claimMembers({ aud: undefined })},"aud":"https://other.example.test"}`;
    const rejected = signedRaw(`{"alg":"RS256",${kidMember()}}`, reversed);
    await expectRejection(verifierFor(ring).verify(rejected), 'audience_invalid');
  });

  it('rejects a duplicate member appended to a signed payload: the signature covers the raw bytes', async () => {
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const json = new TextDecoder().decode(base64url.decode(payload));
    const smuggled = `${json.slice(0, -1)},"scope":"admin","aud":"${AUDIENCE}"}`;
    const token = `${header}.${encodeSegment(smuggled)}.${signature}`;
    await expectRejection(verifierFor(ring).verify(token), 'signature_invalid');
  });

  it('rejects a duplicate alg appended to a signed header: the signature covers the raw bytes', async () => {
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const json = new TextDecoder().decode(base64url.decode(header));
    const token = `${encodeSegment(`${json.slice(0, -1)},"alg":"RS256"}`)}.${payload}.${signature}`;
    await expectRejection(verifierFor(ring).verify(token), 'signature_invalid');
  });

  it('rejects a signed payload re-serialised with different whitespace', async () => {
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const pretty = JSON.stringify(JSON.parse(new TextDecoder().decode(base64url.decode(payload))), null, 1);
    const token = `${header}.${encodeSegment(pretty)}.${signature}`;
    await expectRejection(verifierFor(ring).verify(token), 'signature_invalid');
  });
});

describe('prototype pollution: __proto__, constructor and prototype members', () => {
  const pollutingMembers =
    '"__proto__":{"scope":"admin","isAdmin":true,"polluted":"yes"},' +
    '"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}';

  function expectCleanPrototypes(): void {
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(probe.isAdmin).toBeUndefined();
    expect(probe.scope).toBeUndefined();
    for (const name of ['polluted', 'isAdmin', 'scope', 'jku', 'alg']) {
      expect(Object.hasOwn(Object.prototype, name)).toBe(false);
    }
  }

  it('accepts an issuer-signed payload with those members, without polluting Object.prototype', async () => {
    const token = signedRaw(`{"alg":"RS256",${kidMember()}}`, `{${claimMembers()},${pollutingMembers}}`);
    const result = await verifierFor(ring).verify(token);
    expectCleanPrototypes();
    expect(Object.getPrototypeOf(result.claims)).toBe(Object.prototype);
    const claims = result.claims as Record<string, unknown>;
    expect(claims.scope).toBeUndefined();
    expect(claims.isAdmin).toBeUndefined();
    expect(claims.polluted).toBeUndefined();
    expect(result.scopes).toEqual([]);
    expect(result.permissions).toEqual([]);
    // The members are plain data on the claims object, visible for what they are.
    expect(Object.hasOwn(claims, '__proto__')).toBe(true);
  });

  it('accepts an issuer-signed header with those members, without polluting Object.prototype', async () => {
    const jku = `${attackerServer.url}/jwks.json`;
    const header = `{"alg":"RS256",${kidMember()},"__proto__":{"jku":"${jku}","alg":"none"},"constructor":{"prototype":{"polluted":"yes"}}}`;
    const result = await verifierFor(ring).verify(signedRaw(header, JSON.stringify(claimsWith())));
    expectCleanPrototypes();
    expect(result.header.alg).toBe('RS256');
    expect(result.header.jku).toBeUndefined();
    expect(attackerServer.requestCount()).toBe(0);
  });

  it('does not take an alg inherited through a "__proto__" member: token_malformed', async () => {
    const header = `{"__proto__":{"alg":"RS256"},${kidMember()}}`;
    const token = signedRaw(header, JSON.stringify(claimsWith()));
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('does not take an exp hidden in a "__proto__" member: a token without its own exp is claim_invalid', async () => {
    const payload = `{${claimMembers({ exp: undefined })},"__proto__":{"exp":${NOW + 3600}}}`;
    const token = signedRaw(`{"alg":"RS256",${kidMember()}}`, payload);
    await expectRejection(verifierFor(ring).verify(token), 'claim_invalid');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype'])(
    'rejects alg "%s" as algorithm_not_allowed',
    async (alg) => {
      const token = signedRaw(
        JSON.stringify({ alg, kid: ring.keys.RS256.kid }),
        JSON.stringify(claimsWith()),
      );
      await expectRejection(verifierFor(ring).verify(token), 'algorithm_not_allowed');
    },
  );

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'rejects kid "%s" as key_not_found',
    async (kid) => {
      const token = await signToken(ring.keys.RS256, {}, { kid });
      await expectRejection(verifierFor(ring).verify(token), 'key_not_found');
    },
  );

  it('does not count an inherited property as a present required claim', async () => {
    const token = await signToken(ring.keys.RS256);
    const verifier = verifierFor(ring, { requiredClaims: ['toString', 'constructor'] });
    await expectRejection(verifier.verify(token), 'claim_invalid');
  });
});

describe('RFC 7519 §2 NumericDate: numbers only', () => {
  it.each([
    ['exp as a numeric string', `"exp":"${NOW + 3600}"`],
    ['exp in exponent notation inside a string', '"exp":"1e10"'],
    ['exp as true', '"exp":true'],
    ['exp as an array', `"exp":[${NOW + 3600}]`],
    ['exp as an object', `"exp":{"valueOf":${NOW + 3600}}`],
    ['exp overflowing to Infinity (1e309)', '"exp":1e309'],
    ['exp as null', '"exp":null'],
    ['iat as a numeric string', `"exp":${NOW + 3600},"iat":"${NOW}"`],
    ['nbf as a numeric string', `"exp":${NOW + 3600},"nbf":"${NOW}"`],
    ['nbf overflowing to -Infinity (-1e309)', `"exp":${NOW + 3600},"nbf":-1e309`],
  ])('rejects %s with claim_invalid', async (_case, members) => {
    const payload = `{${claimMembers({ exp: undefined, iat: undefined })},${members}}`;
    const token = signedRaw(`{"alg":"RS256",${kidMember()}}`, payload);
    await expectRejection(verifierFor(ring).verify(token), 'claim_invalid');
  });
});

describe('RFC 7519 §4.1.3 aud shapes that are not a string or an array of strings', () => {
  it.each([
    ['an array-like object', { 0: AUDIENCE, length: 1 }],
    ['an object keyed by the audience', { [AUDIENCE]: true }],
    ['a nested array', [[AUDIENCE]]],
    ['an array mixing the audience with a number', [AUDIENCE, 42]],
    ['null', null],
    ['a number', 1],
    ['an empty string', ''],
    ['an array holding an empty string', ['']],
  ])('rejects aud as %s with audience_invalid', async (_case, aud) => {
    const token = await signToken(ring.keys.ES256, { aud });
    await expectRejection(verifierFor(ring).verify(token), 'audience_invalid');
  });
});

describe('token size: oversized tokens and Authorization headers are refused before any parsing', () => {
  const oneMegabyte = 1024 * 1024;

  it('rejects a 1 MB run of dots passed to verify() by its size', async () => {
    const error = await rejectionOf(verifierFor(ring).verify('.'.repeat(oneMegabyte)));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/larger/);
  });

  it('rejects a 1 MB Bearer credential of dots by its size', async () => {
    const error = await rejectionOf(verifierFor(ring).authenticate(bearerRequest('.'.repeat(oneMegabyte))));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/larger/);
  });

  it('rejects a valid token followed by 1 MB of base64url by its size', async () => {
    const error = await rejectionOf(
      verifierFor(ring).authenticate(bearerRequest(`${valid}${'A'.repeat(oneMegabyte)}`)),
    );
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/larger/);
  });

  it('rejects a 1 MB Authorization header with a character outside b64token as request_invalid', async () => {
    const authorization = `Bearer ${'a'.repeat(oneMegabyte)}!`;
    const error = await rejectionOf(verifierFor(ring).authenticate(requestWith({ authorization })));
    expect(error.code).toBe('request_invalid');
  });

  it('treats a 1 MB Authorization header with another scheme as no token (token_missing)', async () => {
    const authorization = `Basic ${'a'.repeat(oneMegabyte)}`;
    const error = await rejectionOf(verifierFor(ring).authenticate(requestWith({ authorization })));
    expect(error.code).toBe('token_missing');
  });

  it('rejects a 1 MB token cookie by its size', async () => {
    const verifier = verifierFor(ring, { cookie: 'access_token' });
    const cookie = `access_token=${'a'.repeat(oneMegabyte)}`;
    const error = await rejectionOf(verifier.authenticate(requestWith({ cookie })));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/larger/);
  });

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
});
