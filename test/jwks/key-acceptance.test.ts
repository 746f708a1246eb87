import { verify as verifySignature } from 'node:crypto';
import { base64url, CompactSign, exportJWK, type JWK } from 'jose';
import { HttpResponse, http } from 'msw';
import { createVerifier, type Verifier } from 'tokenwarden';
import { createTestIssuer, generateTestKey, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { createFaultServer, createShortRsaKey, type EventRecorder, recordEvents } from './jwks-fixtures.js';

const faults = createFaultServer();
let issuer: TestIssuer;
let events: EventRecorder;
let verifier: Verifier;

beforeAll(() => faults.msw.listen({ onUnhandledRequest: 'bypass' }));
beforeEach(async () => {
  issuer = await createTestIssuer({ algorithms: ['RS256', 'ES256'], clock: fixedClock });
  events = recordEvents();
  verifier = createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    clock: fixedClock,
    onEvent: events.listener,
  });
});
afterEach(async () => {
  faults.reset();
  await issuer.close();
});
afterAll(() => faults.msw.close());

/** Publishes the issuer's own keys plus `extraKeys`. */
function publishAlongside(...extraKeys: JWK[]): void {
  faults.msw.use(
    http.get(issuer.jwksUri, () => HttpResponse.json({ keys: [...issuer.jwks().keys, ...extraKeys] })),
  );
}

/** The standard claims of a token the verifier would otherwise accept. */
function acceptableClaims(): Record<string, unknown> {
  return { iss: issuer.issuer, aud: issuer.audience, sub: 'someone', iat: NOW, exp: NOW + 600 };
}

describe('RFC 7517 §5 key set contents: only public signature keys are trusted', () => {
  it('ignores a published key that carries private members (d) and reports it', async () => {
    const leaked = await generateTestKey('RS256', 'leaked-key');
    publishAlongside({ ...(await exportJWK(leaked.privateKey)), kid: 'leaked-key', alg: 'RS256' });
    const signedWithLeakedKey = await new CompactSign(
      new TextEncoder().encode(JSON.stringify(acceptableClaims())),
    )
      .setProtectedHeader({ alg: 'RS256', kid: 'leaked-key', typ: 'at+jwt' })
      .sign(leaked.privateKey);

    await expectRejection(verifier.verify(signedWithLeakedKey), 'key_not_found');

    expect(events.ofType('jwks_key_ignored')).toEqual([
      { type: 'jwks_key_ignored', uri: issuer.jwksUri, kid: 'leaked-key', reason: 'has private key members' },
    ]);
  });

  it('keeps trusting the other keys of a set that also holds a private key', async () => {
    const leaked = await generateTestKey('ES256', 'leaked-key');
    publishAlongside({ ...(await exportJWK(leaked.privateKey)), kid: 'leaked-key' });

    await expect(verifier.verify(await issuer.signToken({}, { alg: 'ES256' }))).resolves.toBeDefined();
  });

  it.each([
    {
      name: 'a symmetric key',
      jwk: { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ', kid: 'ignored' },
      reason: 'not an asymmetric key',
    },
    {
      name: 'an encryption key',
      jwk: { kty: 'EC', crv: 'P-256', use: 'enc', kid: 'ignored' },
      reason: 'not a signature key',
    },
    {
      name: 'a key whose key_ops exclude verify',
      jwk: { kty: 'OKP', crv: 'Ed25519', key_ops: ['encrypt'], kid: 'ignored' },
      reason: 'key_ops does not allow verify',
    },
    {
      name: 'a key of an unknown type',
      jwk: { kty: 'XYZ', kid: 'ignored' },
      reason: 'not an asymmetric key',
    },
  ])('ignores $name and reports it', async ({ jwk, reason }) => {
    publishAlongside(jwk as JWK);

    await verifier.verify(await issuer.signToken());

    expect(events.ofType('jwks_key_ignored')).toEqual([
      { type: 'jwks_key_ignored', uri: issuer.jwksUri, kid: 'ignored', reason },
    ]);
  });
});

describe('RFC 7518 §3.3 and RFC 8725 §3.5: RSA keys shorter than 2048 bits', () => {
  it('starts from a token whose RS256 signature really verifies under the 1024-bit key', () => {
    const shortKey = createShortRsaKey('short-rsa-key');
    const [header, payload, signature] = shortKey.signToken(acceptableClaims()).split('.');

    const valid = verifySignature(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      shortKey.publicKey,
      base64url.decode(signature ?? ''),
    );
    expect(valid).toBe(true);
  });

  it('rejects a correctly signed token whose 1024-bit RSA key is published, with key_not_found', async () => {
    const shortKey = createShortRsaKey('short-rsa-key');
    publishAlongside(shortKey.publicJwk);

    await expectRejection(verifier.verify(shortKey.signToken(acceptableClaims())), 'key_not_found');
  });

  it('leaves the short key out of the set when it is fetched, with a jwks_key_ignored event', async () => {
    const shortKey = createShortRsaKey('short-rsa-key');
    publishAlongside(shortKey.publicJwk);
    await expectRejection(verifier.verify(shortKey.signToken(acceptableClaims())), 'key_not_found');

    expect(events.ofType('jwks_key_ignored')).toEqual([
      {
        type: 'jwks_key_ignored',
        uri: issuer.jwksUri,
        kid: 'short-rsa-key',
        reason: 'RSA modulus under 2048 bits',
      },
    ]);
  });

  it('keeps trusting the 2048-bit keys of the same set', async () => {
    const shortKey = createShortRsaKey('short-rsa-key');
    publishAlongside(shortKey.publicJwk);
    await expectRejection(verifier.verify(shortKey.signToken(acceptableClaims())), 'key_not_found');

    await expect(verifier.verify(await issuer.signToken({}, { alg: 'RS256' }))).resolves.toBeDefined();
  });
});

describe('RFC 7515 §4.1.4: choosing a key for a token without kid', () => {
  it('uses the only key that fits the token algorithm', async () => {
    await expect(
      verifier.verify(await issuer.signToken({}, { alg: 'ES256', kid: null })),
    ).resolves.toBeDefined();
  });

  it('refuses to guess when several keys fit the token algorithm', async () => {
    await issuer.rotateKeys({ keepPrevious: true });

    await expectRejection(
      verifier.verify(await issuer.signToken({}, { alg: 'ES256', kid: null })),
      'key_not_found',
    );
  });
});
