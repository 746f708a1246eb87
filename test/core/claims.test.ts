import { TokenError } from 'tokenwarden';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOW } from '../support/clock.js';
import { expectRejection, rejectionOf } from '../support/rejection.js';
import { AUDIENCE, createKeyRing, ISSUER, type KeyRing, signToken, verifierFor } from './fixtures.js';

let ring: KeyRing;
beforeAll(async () => {
  ring = await createKeyRing();
});

/** Signs with the default RS256 key, overriding claims (and optionally header members). */
function tokenWith(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return signToken(ring.keys.RS256, claims, header);
}

describe('RFC 9068 §4 issuer', () => {
  it('accepts an iss that exactly matches the configured issuer', async () => {
    const { claims } = await verifierFor(ring).verify(await tokenWith({}));
    expect(claims.iss).toBe(ISSUER);
  });

  it('rejects an iss that differs only by the trailing slash', async () => {
    const token = await tokenWith({ iss: ISSUER.slice(0, -1) });
    await expectRejection(verifierFor(ring).verify(token), 'issuer_invalid');
  });

  it('rejects an iss that differs only by case', async () => {
    const token = await tokenWith({ iss: ISSUER.toUpperCase() });
    await expectRejection(verifierFor(ring).verify(token), 'issuer_invalid');
  });

  it('rejects a token without iss', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ iss: undefined })), 'issuer_invalid');
  });

  it('accepts any one of several configured issuers', async () => {
    const verifier = verifierFor(ring, { issuer: ['https://other.example.test/', ISSUER] });
    await expect(verifier.verify(await tokenWith({}))).resolves.toBeDefined();
  });
});

describe('RFC 7519 §4.1.3 audience', () => {
  it('accepts aud as a string equal to the configured audience', async () => {
    await expect(verifierFor(ring).verify(await tokenWith({ aud: AUDIENCE }))).resolves.toBeDefined();
  });

  it('accepts aud as an array that contains the configured audience', async () => {
    const token = await tokenWith({ aud: ['https://other.example.test', AUDIENCE] });
    await expect(verifierFor(ring).verify(token)).resolves.toBeDefined();
  });

  it('accepts a token carrying any one of several configured audiences', async () => {
    const verifier = verifierFor(ring, {
      audience: ['https://api-a.example.test', 'https://api-b.example.test'],
    });
    await expect(
      verifier.verify(await tokenWith({ aud: 'https://api-b.example.test' })),
    ).resolves.toBeDefined();
    await expect(
      verifier.verify(
        await tokenWith({ aud: ['https://userinfo.example.test', 'https://api-a.example.test'] }),
      ),
    ).resolves.toBeDefined();
  });

  it('rejects an aud meant for another API', async () => {
    const token = await tokenWith({ aud: 'https://other.example.test' });
    await expectRejection(verifierFor(ring).verify(token), 'audience_invalid');
  });

  it('rejects aud as an empty array', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ aud: [] })), 'audience_invalid');
  });

  it('rejects aud as an object', async () => {
    const token = await tokenWith({ aud: { [AUDIENCE]: true } });
    await expectRejection(verifierFor(ring).verify(token), 'audience_invalid');
  });

  it('rejects a token without aud', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ aud: undefined })), 'audience_invalid');
  });
});

describe('RFC 7519 §4.1.4 expiry', () => {
  it('requires exp: a token without one is claim_invalid', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ exp: undefined })), 'claim_invalid');
  });

  it('rejects an expired token with token_expired', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ exp: NOW - 61 })), 'token_expired');
  });

  it('accepts a token expired by less than the default 60 s clock tolerance', async () => {
    await expect(verifierFor(ring).verify(await tokenWith({ exp: NOW - 59 }))).resolves.toBeDefined();
  });

  it('rejects a token expired by exactly the clock tolerance', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ exp: NOW - 60 })), 'token_expired');
  });

  it('applies a configured clockTolerance', async () => {
    const token = await tokenWith({ exp: NOW - 30 });
    await expectRejection(verifierFor(ring, { clockTolerance: 0 }).verify(token), 'token_expired');
    await expect(verifierFor(ring, { clockTolerance: 31 }).verify(token)).resolves.toBeDefined();
  });

  it('rejects exp given as a string with claim_invalid', async () => {
    const token = await tokenWith({ exp: String(NOW + 3600) });
    await expectRejection(verifierFor(ring).verify(token), 'claim_invalid');
  });

  it('follows the injected clock rather than the system time', async () => {
    const token = await tokenWith({ iat: NOW, exp: NOW + 100 });
    await expect(verifierFor(ring).verify(token)).resolves.toBeDefined();
    const later = verifierFor(ring, { clock: () => NOW + 1000 });
    await expectRejection(later.verify(token), 'token_expired');
  });
});

describe('RFC 7519 §4.1.5 not before', () => {
  it('rejects an nbf in the future beyond the tolerance with token_not_yet_valid', async () => {
    await expectRejection(
      verifierFor(ring).verify(await tokenWith({ nbf: NOW + 61 })),
      'token_not_yet_valid',
    );
  });

  it('accepts an nbf in the future within the tolerance', async () => {
    await expect(verifierFor(ring).verify(await tokenWith({ nbf: NOW + 60 }))).resolves.toBeDefined();
  });

  it('accepts a fractional nbf (NumericDate may be non-integer)', async () => {
    await expect(verifierFor(ring).verify(await tokenWith({ nbf: NOW - 0.5 }))).resolves.toBeDefined();
  });

  it('rejects nbf given as a string with claim_invalid', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ nbf: String(NOW) })), 'claim_invalid');
  });
});

describe('RFC 7519 §4.1.6 issued at', () => {
  it('rejects an iat in the future beyond the tolerance', async () => {
    await expectRejection(
      verifierFor(ring).verify(await tokenWith({ iat: NOW + 61 })),
      'token_not_yet_valid',
    );
  });

  it('accepts an iat in the future within the tolerance', async () => {
    await expect(verifierFor(ring).verify(await tokenWith({ iat: NOW + 60 }))).resolves.toBeDefined();
  });

  it('accepts a token without iat when no maxTokenAge is set', async () => {
    await expect(verifierFor(ring).verify(await tokenWith({ iat: undefined }))).resolves.toBeDefined();
  });
});

describe('maxTokenAge', () => {
  it('accepts a token younger than maxTokenAge', async () => {
    const token = await tokenWith({ iat: NOW - 300 });
    await expect(verifierFor(ring, { maxTokenAge: 600 }).verify(token)).resolves.toBeDefined();
  });

  it('rejects a token older than maxTokenAge plus the tolerance with token_expired', async () => {
    const token = await tokenWith({ iat: NOW - 700 });
    await expectRejection(verifierFor(ring, { maxTokenAge: 600 }).verify(token), 'token_expired');
  });

  it('rejects a token without iat when maxTokenAge is set, with claim_invalid', async () => {
    const token = await tokenWith({ iat: undefined });
    await expectRejection(verifierFor(ring, { maxTokenAge: 600 }).verify(token), 'claim_invalid');
  });
});

describe('RFC 7519 §4.1 / RFC 9068 §2.2 claim types: a present claim has the type its RFC gives it', () => {
  it('accepts sub, jti, client_id, scope, acr and amr as strings and auth_time as a number (the control)', async () => {
    const token = await tokenWith({
      sub: 'user-1',
      jti: 'id-1',
      client_id: 'client-1',
      scope: 'read:messages',
      auth_time: NOW - 60,
      acr: 'urn:mace:incommon:iap:silver',
      amr: ['pwd', 'otp'],
    });
    await expect(verifierFor(ring).verify(token)).resolves.toBeDefined();
  });

  it('rejects sub as a number with claim_invalid (RFC 7519 §4.1.2 StringOrURI)', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ sub: 1 })), 'claim_invalid');
  });

  it('rejects sub as a number with claim_invalid in strict typ (at+jwt) mode too', async () => {
    const token = await tokenWith({ sub: 1 }, { typ: 'at+jwt' });
    await expectRejection(verifierFor(ring, { typ: 'at+jwt' }).verify(token), 'claim_invalid');
  });

  it('rejects jti as a boolean with claim_invalid (RFC 7519 §4.1.7)', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ jti: true })), 'claim_invalid');
  });

  it('rejects client_id as an array with claim_invalid (RFC 9068 §2.2, RFC 8693 §4.3)', async () => {
    const token = await tokenWith({ client_id: ['client-1'] });
    await expectRejection(verifierFor(ring).verify(token), 'claim_invalid');
  });

  it('rejects scope as an array with claim_invalid (RFC 9068 §2.2.3, RFC 8693 §4.2)', async () => {
    const token = await tokenWith({ scope: ['read:messages'] });
    await expectRejection(verifierFor(ring).verify(token), 'claim_invalid');
  });

  it('accepts scp as an array, as Azure AD and Okta send it', async () => {
    const { scopes } = await verifierFor(ring).verify(await tokenWith({ scp: ['read:messages'] }));
    expect(scopes).toEqual(['read:messages']);
  });

  it('rejects auth_time as a string with claim_invalid (RFC 9068 §2.2.1 NumericDate)', async () => {
    const token = await tokenWith({ auth_time: String(NOW) });
    await expectRejection(verifierFor(ring).verify(token), 'claim_invalid');
  });

  it('rejects acr as a number with claim_invalid (RFC 9068 §2.2.1)', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ acr: 1 })), 'claim_invalid');
  });

  it('rejects amr as a string with claim_invalid (RFC 9068 §2.2.1: an array of strings)', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ amr: 'pwd' })), 'claim_invalid');
  });

  it('rejects amr holding a number with claim_invalid', async () => {
    const token = await tokenWith({ amr: ['pwd', 1] });
    await expectRejection(verifierFor(ring).verify(token), 'claim_invalid');
  });

  it('rejects sub set to null with claim_invalid: null is not a string', async () => {
    await expectRejection(verifierFor(ring).verify(await tokenWith({ sub: null })), 'claim_invalid');
  });
});

describe('requiredClaims', () => {
  it('accepts a token carrying every required claim', async () => {
    const verifier = verifierFor(ring, { requiredClaims: ['sub', 'client_id'] });
    await expect(verifier.verify(await tokenWith({}))).resolves.toBeDefined();
  });

  it('rejects a token missing a required claim with claim_invalid', async () => {
    const verifier = verifierFor(ring, { requiredClaims: ['sub', 'client_id'] });
    await expectRejection(verifier.verify(await tokenWith({ client_id: undefined })), 'claim_invalid');
  });

  it('rejects a required claim set to null', async () => {
    const verifier = verifierFor(ring, { requiredClaims: ['sub'] });
    await expectRejection(verifier.verify(await tokenWith({ sub: null })), 'claim_invalid');
  });
});

describe('RFC 9068 §4 strict typ (at+jwt)', () => {
  it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])(
    'accepts typ "%s"',
    async (typ) => {
      const token = await tokenWith({}, { typ });
      await expect(verifierFor(ring, { typ: 'at+jwt' }).verify(token)).resolves.toBeDefined();
    },
  );

  it('rejects typ "JWT" (an ID token, say) with type_invalid', async () => {
    const token = await tokenWith({}, { typ: 'JWT' });
    await expectRejection(verifierFor(ring, { typ: 'at+jwt' }).verify(token), 'type_invalid');
  });

  it('rejects a token without typ with type_invalid', async () => {
    const token = await tokenWith({}, { typ: undefined });
    await expectRejection(verifierFor(ring, { typ: 'at+jwt' }).verify(token), 'type_invalid');
  });

  it('accepts typ "at+jwt" when the option is spelled "application/at+jwt" (RFC 7515 §4.1.9)', async () => {
    const token = await tokenWith({}, { typ: 'at+jwt' });
    await expect(verifierFor(ring, { typ: 'application/at+jwt' }).verify(token)).resolves.toBeDefined();
  });

  it('rejects typ "text/plain" against the option "application/text/plain": the prefix is implied only without a /', async () => {
    const token = await tokenWith({}, { typ: 'text/plain' });
    const verifier = verifierFor(ring, { typ: 'application/text/plain' });
    await expectRejection(verifier.verify(token), 'type_invalid');
  });

  it('rejects typ "application/text/plain" against the option "text/plain"', async () => {
    const token = await tokenWith({}, { typ: 'application/text/plain' });
    await expectRejection(verifierFor(ring, { typ: 'text/plain' }).verify(token), 'type_invalid');
  });

  it('accepts typ "TEXT/PLAIN" against the option "text/plain": media types compare case-insensitively', async () => {
    const token = await tokenWith({}, { typ: 'TEXT/PLAIN' });
    await expect(verifierFor(ring, { typ: 'text/plain' }).verify(token)).resolves.toBeDefined();
  });

  it('does not check typ unless asked to', async () => {
    await expect(verifierFor(ring).verify(await tokenWith({}, { typ: 'JWT' }))).resolves.toBeDefined();
  });
});

describe('custom claims validator (validateClaims)', () => {
  it('accepts the token when the hook returns true', async () => {
    const verifier = verifierFor(ring, { validateClaims: (claims) => claims.sub === 'user-1' });
    await expect(verifier.verify(await tokenWith({}))).resolves.toBeDefined();
  });

  it('rejects with claim_invalid when the hook returns false', async () => {
    const verifier = verifierFor(ring, { validateClaims: () => false });
    await expectRejection(verifier.verify(await tokenWith({})), 'claim_invalid');
  });

  it('rejects with claim_invalid when an async hook resolves false', async () => {
    const verifier = verifierFor(ring, { validateClaims: async () => false });
    await expectRejection(verifier.verify(await tokenWith({})), 'claim_invalid');
  });

  it('passes a TokenError thrown by the hook through with its own code', async () => {
    const verifier = verifierFor(ring, {
      validateClaims: () => {
        throw new TokenError('audience_invalid', 'The tenant is not served here');
      },
    });
    const error = await rejectionOf(verifier.verify(await tokenWith({})));
    expect(error.code).toBe('audience_invalid');
    expect(error.message).toBe('The tenant is not served here');
  });

  it('receives the verified claims and header', async () => {
    let seen: { sub: unknown; kid: unknown } | undefined;
    const verifier = verifierFor(ring, {
      validateClaims: (claims, header) => {
        seen = { sub: claims.sub, kid: header.kid };
        return true;
      },
    });
    await verifier.verify(await tokenWith({}));
    expect(seen).toEqual({ sub: 'user-1', kid: ring.keys.RS256.kid });
  });

  it('is not called for a token that already failed a built-in check', async () => {
    let calls = 0;
    const verifier = verifierFor(ring, {
      validateClaims: () => {
        calls += 1;
        return true;
      },
    });
    await rejectionOf(verifier.verify(await tokenWith({ exp: NOW - 3600 })));
    expect(calls).toBe(0);
  });
});
