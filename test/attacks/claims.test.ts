import { createVerifier, type Verifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyRing, type KeyRing, signToken, verifierFor } from '../core/fixtures.js';
import { fixedClock, NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';

let ring: KeyRing;
let issuer: TestIssuer;

beforeAll(async () => {
  ring = await createKeyRing();
  issuer = await createTestIssuer({ clock: fixedClock });
});

afterAll(async () => {
  await issuer.close();
});

/** A verifier that discovers the test issuer's key set, so every fetch shows in `issuer.requests`. */
function discoveringVerifier(): Verifier {
  return createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    clock: fixedClock,
    cache: false,
  });
}

describe('RFC 9068 §4 iss is matched exactly, before any key is fetched', () => {
  it('verifies a token from the discovered issuer (the control)', async () => {
    await expect(discoveringVerifier().verify(await issuer.signToken())).resolves.toBeDefined();
  });

  it.each([
    ['without its trailing slash', () => issuer.issuer.slice(0, -1)],
    ['with a second trailing slash', () => `${issuer.issuer}/`],
    ['in upper case', () => issuer.issuer.toUpperCase()],
    ['with the scheme in upper case', () => issuer.issuer.replace('http:', 'HTTP:')],
    ['with a trailing space', () => `${issuer.issuer} `],
    ['with a path appended', () => `${issuer.issuer}tenant`],
  ])('rejects iss %s as issuer_invalid, signed by the real key, with no fetch', async (_case, iss) => {
    const before = { ...issuer.requests };
    const token = await issuer.signToken({ iss: iss() });
    await expectRejection(discoveringVerifier().verify(token), 'issuer_invalid');
    expect(issuer.requests).toEqual(before);
  });

  it('rejects iss as an array holding the issuer, with no fetch', async () => {
    const before = { ...issuer.requests };
    const token = await issuer.signToken({ iss: [issuer.issuer] });
    await expectRejection(discoveringVerifier().verify(token), 'issuer_invalid');
    expect(issuer.requests).toEqual(before);
  });
});

describe('RFC 7519 §4.1.3 aud', () => {
  it('rejects aud as an empty array with audience_invalid', async () => {
    const token = await issuer.signToken({ aud: [] });
    await expectRejection(discoveringVerifier().verify(token), 'audience_invalid');
  });

  it('rejects aud listing only other APIs with audience_invalid', async () => {
    const token = await issuer.signToken({ aud: ['https://a.example.test', `${issuer.audience}/`] });
    await expectRejection(discoveringVerifier().verify(token), 'audience_invalid');
  });
});

describe('RFC 7519 §4.1.4-6 time claims that try to live for ever', () => {
  it('rejects exp far in the future with iat in the future as token_not_yet_valid', async () => {
    const token = await signToken(ring.keys.ES256, { exp: NOW + 100 * 365 * 86_400, iat: NOW + 86_400 });
    await expectRejection(verifierFor(ring).verify(token), 'token_not_yet_valid');
  });

  it('rejects exp = 1e300 with iat in the future as token_not_yet_valid', async () => {
    const token = await signToken(ring.keys.ES256, { exp: 1e300, iat: NOW + 3600 });
    await expectRejection(verifierFor(ring).verify(token), 'token_not_yet_valid');
  });

  it('rejects a far-future exp with an old iat when maxTokenAge is set, as token_expired', async () => {
    const token = await signToken(ring.keys.ES256, { exp: NOW + 100 * 365 * 86_400, iat: NOW - 7200 });
    await expectRejection(verifierFor(ring, { maxTokenAge: 3600 }).verify(token), 'token_expired');
  });

  it('rejects a far-future exp without iat when maxTokenAge is set, as claim_invalid', async () => {
    const token = await signToken(ring.keys.ES256, { exp: NOW + 100 * 365 * 86_400, iat: undefined });
    await expectRejection(verifierFor(ring, { maxTokenAge: 3600 }).verify(token), 'claim_invalid');
  });

  it('rejects a fractional nbf 60.5 s ahead (over the 60 s tolerance) as token_not_yet_valid', async () => {
    const token = await signToken(ring.keys.ES256, { nbf: NOW + 60.5 });
    await expectRejection(verifierFor(ring).verify(token), 'token_not_yet_valid');
  });

  it('accepts a fractional nbf 59.5 s ahead (within the tolerance; the control)', async () => {
    const token = await signToken(ring.keys.ES256, { nbf: NOW + 59.5 });
    await expect(verifierFor(ring).verify(token)).resolves.toBeDefined();
  });

  it('rejects a fractional exp 0.5 s past the tolerance as token_expired', async () => {
    const token = await signToken(ring.keys.ES256, { exp: NOW - 60.5 });
    await expectRejection(verifierFor(ring).verify(token), 'token_expired');
  });

  it('rejects a token without exp as claim_invalid, even with a fresh iat and maxTokenAge set', async () => {
    const token = await signToken(ring.keys.ES256, { exp: undefined, iat: NOW });
    await expectRejection(verifierFor(ring, { maxTokenAge: 3600 }).verify(token), 'claim_invalid');
  });

  it('rejects a token from the discovered issuer without exp as claim_invalid', async () => {
    const token = await issuer.signToken({ exp: undefined });
    await expectRejection(discoveringVerifier().verify(token), 'claim_invalid');
  });
});

describe('ID tokens presented as access tokens (token_use, as AWS Cognito sends it)', () => {
  /** Cognito puts the app client id in an ID token's aud; an API configured with it would match. */
  const CLIENT_ID = 'cognito-app-client';

  it('accepts token_use "access" (the control)', async () => {
    const token = await signToken(ring.keys.ES256, { token_use: 'access', aud: CLIENT_ID });
    await expect(verifierFor(ring, { audience: CLIENT_ID }).verify(token)).resolves.toBeDefined();
  });

  it('rejects token_use "id" as type_invalid, though aud matches the configured audience', async () => {
    const token = await signToken(ring.keys.ES256, { token_use: 'id', aud: CLIENT_ID });
    await expectRejection(verifierFor(ring, { audience: CLIENT_ID }).verify(token), 'type_invalid');
  });

  it.each([
    ['"refresh"', 'refresh'],
    ['"ID" (case differs)', 'ID'],
    ['a number', 1],
    ['null', null],
  ])('rejects token_use %s as type_invalid: only "access" names an access token', async (_case, use) => {
    const token = await signToken(ring.keys.ES256, { token_use: use });
    await expectRejection(verifierFor(ring).verify(token), 'type_invalid');
  });
});
