import type { Verifier } from 'tokenwarden';
import { generateTestKey, type TestKey } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CountingServer,
  claimsWith,
  createKeyRing,
  type KeyRing,
  signToken,
  startCountingServer,
  verifierFor,
} from '../core/fixtures.js';
import { signJws } from '../support/jws.js';
import { expectRejection, rejectionOf } from '../support/rejection.js';
import { type RecordingFetch, recordingFetch } from './fixtures.js';

let ring: KeyRing;
let attacker: TestKey;
/** The issuer's key set, served over HTTP so that every fetch is visible. */
let jwksServer: CountingServer;
/** An attacker's key set: a jku/x5u target that must never be contacted. */
let attackerServer: CountingServer;

beforeAll(async () => {
  ring = await createKeyRing();
  attacker = await generateTestKey('RS256', 'attacker-key');
  jwksServer = await startCountingServer(ring.keySet);
  attackerServer = await startCountingServer({ keys: [attacker.publicJwk] });
});

afterAll(async () => {
  await Promise.all([jwksServer.close(), attackerServer.close()]);
});

/** A verifier that fetches the issuer's key set over HTTP through a recording fetch. */
function remoteVerifier(): { verifier: Verifier; recorder: RecordingFetch } {
  const recorder = recordingFetch();
  const verifier = verifierFor(ring, {
    keySet: undefined,
    jwksUri: `${jwksServer.url}/jwks.json`,
    fetch: recorder.fetch,
  });
  return { verifier, recorder };
}

/** Signs the given header (raw JSON, so anything goes) over valid claims with the RS256 key. */
function signedWithHeader(header: Readonly<Record<string, unknown>>): string {
  return signJws(ring.keys.RS256, JSON.stringify(header), JSON.stringify(claimsWith()));
}

describe('RFC 7515 §4.1.4 kid injection: the kid is only ever a lookup key', () => {
  const hostileKids = [
    ['path traversal', '../../etc/passwd'],
    ['encoded path traversal', '..%2F..%2F..%2Fetc%2Fpasswd'],
    ['an absolute path', '/dev/random'],
    ['SQL injection', "' OR '1'='1' --"],
    ['a stacked SQL statement', 'x"; DROP TABLE keys; --'],
    ['shell command substitution', '$(curl http://127.0.0.1:9/pwn)'],
    ['backticks and a pipe', '`id` | nc 127.0.0.1 9'],
    ['a NUL byte', 'kid\u0000.pem'],
    ['a URL', 'http://127.0.0.1:9/jwks.json'],
    ['an object-prototype name', '__proto__'],
  ] as const;

  it('verifies a token whose kid names the key, through the recording fetch (the control)', async () => {
    const { verifier, recorder } = remoteVerifier();
    await expect(verifier.verify(await signToken(ring.keys.RS256))).resolves.toBeDefined();
    expect(recorder.urls).toEqual([`${jwksServer.url}/jwks.json`]);
  });

  it.each(hostileKids)(
    'rejects a kid with %s as key_not_found, fetching only the configured key set URL',
    async (_case, kid) => {
      const { verifier, recorder } = remoteVerifier();
      const token = await signToken(ring.keys.RS256, {}, { kid });
      await expectRejection(verifier.verify(token), 'key_not_found');
      expect(recorder.urls.length).toBeGreaterThan(0);
      for (const url of recorder.urls) expect(url).toBe(`${jwksServer.url}/jwks.json`);
    },
  );

  it('rejects a 10 KB kid as token_malformed before any fetch', async () => {
    const { verifier, recorder } = remoteVerifier();
    const token = await signToken(ring.keys.RS256, {}, { kid: 'k'.repeat(10 * 1024) });
    expect(token.length).toBeLessThan(16 * 1024);
    const error = await rejectionOf(verifier.verify(token));
    expect(error.code).toBe('token_malformed');
    expect(error.message).toMatch(/kid/);
    expect(recorder.urls).toEqual([]);
  });

  it('looks up a 256-character kid but refuses a 257-character one unfetched', async () => {
    const atLimit = remoteVerifier();
    const longest = await signToken(ring.keys.RS256, {}, { kid: 'k'.repeat(256) });
    await expectRejection(atLimit.verifier.verify(longest), 'key_not_found');
    expect(atLimit.recorder.urls.length).toBeGreaterThan(0);

    const overLimit = remoteVerifier();
    const tooLong = await signToken(ring.keys.RS256, {}, { kid: 'k'.repeat(257) });
    await expectRejection(overLimit.verifier.verify(tooLong), 'token_malformed');
    expect(overLimit.recorder.urls).toEqual([]);
  });

  it.each([
    ['a number', 42],
    ['an object', { path: '../../etc/passwd' }],
    ['an array', ['kid-RS256']],
    ['an empty string', ''],
    ['null', null],
  ])('rejects a kid that is %s as token_malformed before any fetch', async (_case, kid) => {
    const { verifier, recorder } = remoteVerifier();
    const token = signedWithHeader({ alg: 'RS256', kid });
    await expectRejection(verifier.verify(token), 'token_malformed');
    expect(recorder.urls).toEqual([]);
  });
});

describe('RFC 8725 §3.10 key-carrying header parameters are never followed or trusted', () => {
  describe('jku and x5u are never dereferenced', () => {
    it.each(['jku', 'x5u'])(
      'rejects a %s pointing at a live 127.0.0.1 key set and sends it no request',
      async (name) => {
        const { verifier, recorder } = remoteVerifier();
        const target = `${attackerServer.url}/jwks.json`;
        const token = await signToken(attacker, {}, { [name]: target });
        await expectRejection(verifier.verify(token), 'token_malformed');
        expect(attackerServer.requestCount()).toBe(0);
        expect(recorder.urls).toEqual([]);
      },
    );

    it.each(['jku', 'x5u'])(
      'rejects a %s naming the issuer key set itself on a token the issuer signed',
      async (name) => {
        const { verifier, recorder } = remoteVerifier();
        const token = await signToken(ring.keys.RS256, {}, { [name]: `${jwksServer.url}/jwks.json` });
        await expectRejection(verifier.verify(token), 'token_malformed');
        expect(recorder.urls).toEqual([]);
      },
    );

    it.each(['jku', 'x5u'])('rejects a %s header without fetching it', async (name) => {
      const token = await signToken(attacker, {}, { [name]: `${attackerServer.url}/jwks.json` });
      await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
      expect(attackerServer.requestCount()).toBe(0);
    });

    it('rejects a key-carrying header even when the kid names a trusted key', async () => {
      const token = await signToken(ring.keys.RS256, {}, { jku: `${attackerServer.url}/jwks.json` });
      await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
      expect(attackerServer.requestCount()).toBe(0);
    });

    it('leaves the attacker server untouched after every case above', () => {
      expect(attackerServer.requestCount()).toBe(0);
    });
  });

  describe('an embedded jwk or an x5c header is never trusted', () => {
    it('rejects a token carrying the issuer own public key as jwk, though it verifies under that key', async () => {
      const { kid: _kid, ...issuerJwk } = ring.keys.RS256.publicJwk;
      const token = await signToken(ring.keys.RS256, {}, { jwk: issuerJwk });
      await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
    });

    it('rejects an attacker-signed token with the attacker jwk and a trusted kid', async () => {
      const { kid: _kid, ...attackerJwk } = attacker.publicJwk;
      const token = await signToken(attacker, {}, { kid: ring.keys.RS256.kid, jwk: attackerJwk });
      await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
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

    it('CVE-2018-0114 (node-jose): a token signed by the key in its own jwk header is refused', async () => {
      const { kid: _kid, ...embedded } = attacker.publicJwk;
      const token = await signToken(attacker, {}, { kid: undefined, jwk: embedded });
      await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
    });
  });
});

describe('RFC 7515 §4.1.11 crit, correctly signed by the issuer key', () => {
  const kid = () => ring.keys.RS256.kid;

  it('accepts the same header without crit (the control)', async () => {
    await expect(
      verifierFor(ring).verify(signedWithHeader({ alg: 'RS256', kid: kid() })),
    ).resolves.toBeDefined();
  });

  it.each([
    ['an unknown extension', () => ({ crit: ['urn:example:policy'], 'urn:example:policy': 'strict' })],
    ['a duplicate entry', () => ({ crit: ['urn:x', 'urn:x'], 'urn:x': 1 })],
    ['an empty array', () => ({ crit: [] })],
    ['a name defined by RFC 7515 itself', () => ({ crit: ['alg'] })],
    ['a name absent from the header', () => ({ crit: ['urn:missing'] })],
    ['a string instead of an array', () => ({ crit: 'urn:x', 'urn:x': 1 })],
    ['the b64 extension of RFC 7797', () => ({ crit: ['b64'], b64: true })],
  ])('rejects crit with %s as token_malformed', async (_case, extra) => {
    const token = signedWithHeader({ alg: 'RS256', kid: kid(), ...extra() });
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects a token naming an unknown extension in crit', async () => {
    const header = { alg: 'RS256', kid: kid(), crit: ['urn:example:ext'], 'urn:example:ext': true };
    const token = signJws(ring.keys.RS256, header, claimsWith());
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('rejects the RFC 7797 b64 extension (unencoded payloads are not access tokens)', async () => {
    const header = { alg: 'RS256', kid: kid(), crit: ['b64'], b64: false };
    const token = signJws(ring.keys.RS256, header, claimsWith());
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });

  it('CVE-2025-59420 (Authlib): a token naming an unknown critical header is refused', async () => {
    const header = JSON.stringify({
      alg: 'RS256',
      kid: ring.keys.RS256.kid,
      crit: ['cnf'],
      cnf: { jkt: 'x' },
    });
    const token = signJws(ring.keys.RS256, header, JSON.stringify(claimsWith()));
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });
});

describe('RFC 7797 b64 without crit', () => {
  it.each([false, true])('rejects b64: %s outside crit as token_malformed', async (b64) => {
    const token = signedWithHeader({ alg: 'RS256', kid: ring.keys.RS256.kid, b64 });
    await expectRejection(verifierFor(ring).verify(token), 'token_malformed');
  });
});

describe('RFC 9068 §2.1 typ variants in default and strict (typ: at+jwt) modes', () => {
  const variants: ReadonlyArray<readonly [string, string | undefined, boolean]> = [
    ['JWT', 'JWT', false],
    ['at+jwt', 'at+jwt', true],
    ['at+JWT', 'at+JWT', true],
    ['application/at+jwt', 'application/at+jwt', true],
    ['APPLICATION/AT+JWT', 'APPLICATION/AT+JWT', true],
    ['application/jwt', 'application/jwt', false],
    ['dpop+jwt', 'dpop+jwt', false],
    ['at+jwt with a parameter', 'at+jwt; charset=utf-8', false],
    ['at+jwt with a leading space', ' at+jwt', false],
    ['an empty string', '', false],
    ['missing', undefined, false],
  ];

  it.each(variants)('default mode accepts typ %s (typ is not checked unless asked)', async (_name, typ) => {
    const token = await signToken(ring.keys.ES256, {}, { typ });
    await expect(verifierFor(ring).verify(token)).resolves.toBeDefined();
  });

  it.each(variants.filter(([, , accepted]) => accepted))('strict mode accepts typ %s', async (_name, typ) => {
    const token = await signToken(ring.keys.ES256, {}, { typ });
    await expect(verifierFor(ring, { typ: 'at+jwt' }).verify(token)).resolves.toBeDefined();
  });

  it.each(variants.filter(([, , accepted]) => !accepted))(
    'strict mode rejects typ %s with type_invalid',
    async (_name, typ) => {
      const token = await signToken(ring.keys.ES256, {}, { typ });
      await expectRejection(verifierFor(ring, { typ: 'at+jwt' }).verify(token), 'type_invalid');
    },
  );

  it.each([
    ['a number', 1],
    ['an array', ['at+jwt']],
  ])('strict mode rejects typ as %s with type_invalid', async (_case, typ) => {
    const token = signedWithHeader({ alg: 'RS256', kid: ring.keys.RS256.kid, typ });
    await expectRejection(verifierFor(ring, { typ: 'at+jwt' }).verify(token), 'type_invalid');
  });
});
