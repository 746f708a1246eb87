import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import {
  accessTokenHash,
  boundThumbprintOf,
  checkDpopBinding,
  createMemoryReplayStore,
  DEFAULT_DPOP_ALGORITHMS,
  ReplayStoreFullError,
  TokenError,
  verifyDpopProof,
} from 'tokenwarden';
import { createDpopProof, type DpopKey, generateDpopKey } from 'tokenwarden/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, fixedClock, NOW } from '../support/clock.js';
import { assembleJws, withPart } from '../support/jws.js';
import { expectRejection, rejectionOf } from '../support/rejection.js';
import {
  API_URL,
  RFC_ACCESS_TOKEN,
  RFC_JKT,
  RFC_RESOURCE_PROOF,
  RFC_RESOURCE_PROOF_IAT,
  RFC_TOKEN_PROOF,
  RFC_TOKEN_PROOF_IAT,
  requestOptions,
} from './fixtures.js';

let key: DpopKey;
let otherKey: DpopKey;
beforeAll(async () => {
  [key, otherKey] = await Promise.all([generateDpopKey(), generateDpopKey()]);
});

/** A valid proof for a GET to API_URL at NOW, with changes. */
function proofWith(overrides: Partial<Parameters<typeof createDpopProof>[0]> = {}): Promise<string> {
  return createDpopProof({ key, method: 'GET', url: API_URL, iat: NOW, ...overrides });
}

describe('RFC 9449 examples', () => {
  const tokenRequest = {
    method: 'POST',
    url: 'https://server.example.com/token',
    clock: () => RFC_TOKEN_PROOF_IAT,
  };
  const resourceRequest = {
    method: 'GET',
    url: 'https://resource.example.org/protectedresource',
    accessToken: RFC_ACCESS_TOKEN,
    clock: () => RFC_RESOURCE_PROOF_IAT,
  };

  it('verifies the §4.1 token request proof and returns the §6.1 thumbprint', async () => {
    const verified = await verifyDpopProof(requestOptions(RFC_TOKEN_PROOF, tokenRequest));
    expect(verified.thumbprint).toBe(RFC_JKT);
    expect(verified.claims).toEqual({
      jti: '-BwC3ESc6acc2lTc',
      htm: 'POST',
      htu: 'https://server.example.com/token',
      iat: RFC_TOKEN_PROOF_IAT,
    });
    expect(verified.jwk).toEqual({
      kty: 'EC',
      x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
      y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
      crv: 'P-256',
    });
  });

  it('verifies the §7.1 resource request proof with its ath and the token bound by cnf.jkt', async () => {
    const verified = await verifyDpopProof(
      requestOptions(RFC_RESOURCE_PROOF, { ...resourceRequest, boundThumbprint: RFC_JKT }),
    );
    expect(verified.claims.ath).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
    expect(() => checkDpopBinding({ cnf: { jkt: RFC_JKT } }, verified.thumbprint)).not.toThrow();
  });

  it('computes the §7.1 ath of the example access token', async () => {
    expect(await accessTokenHash(RFC_ACCESS_TOKEN)).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
  });

  it('refuses the §4.1 proof with one payload claim changed, for its signature', async () => {
    const altered = withPart(RFC_TOKEN_PROOF, 1, (claims) => {
      claims.htm = 'GET';
    });
    await expectRejection(
      verifyDpopProof(requestOptions(altered, { ...tokenRequest, method: 'GET' })),
      'dpop_proof_invalid',
      /signature/,
    );
  });

  it('refuses the §4.1 proof with its typ changed, for its typ', async () => {
    const altered = withPart(RFC_TOKEN_PROOF, 0, (header) => {
      header.typ = 'JWT';
    });
    await expectRejection(
      verifyDpopProof(requestOptions(altered, tokenRequest)),
      'dpop_proof_invalid',
      /typ/,
    );
  });

  it('refuses the §4.1 proof at another URI and with another method', async () => {
    await expectRejection(
      verifyDpopProof(
        requestOptions(RFC_TOKEN_PROOF, { ...tokenRequest, url: 'https://server.example.com/par' }),
      ),
      'dpop_proof_invalid',
      /another URI/,
    );
    await expectRejection(
      verifyDpopProof(requestOptions(RFC_TOKEN_PROOF, { ...tokenRequest, method: 'PUT' })),
      'dpop_proof_invalid',
      /another HTTP method/,
    );
  });

  it('refuses the §4.1 proof an hour after it was made', async () => {
    await expectRejection(
      verifyDpopProof(
        requestOptions(RFC_TOKEN_PROOF, { ...tokenRequest, clock: () => RFC_TOKEN_PROOF_IAT + 3600 }),
      ),
      'dpop_proof_invalid',
      /too old/,
    );
  });

  it('refuses the §7.1 proof replayed, with another access token, and for a token bound elsewhere', async () => {
    const replayStore = createMemoryReplayStore({ clock: resourceRequest.clock });
    await verifyDpopProof(requestOptions(RFC_RESOURCE_PROOF, { ...resourceRequest, replayStore }));
    await expectRejection(
      verifyDpopProof(requestOptions(RFC_RESOURCE_PROOF, { ...resourceRequest, replayStore })),
      'dpop_proof_invalid',
      /already used/,
    );
    await expectRejection(
      verifyDpopProof(
        requestOptions(RFC_RESOURCE_PROOF, { ...resourceRequest, accessToken: 'another-token' }),
      ),
      'dpop_proof_invalid',
      /another access token/,
    );
    await expectRejection(
      verifyDpopProof(
        requestOptions(RFC_RESOURCE_PROOF, { ...resourceRequest, boundThumbprint: 'x'.repeat(43) }),
      ),
      'dpop_binding_mismatch',
      /different DPoP key/,
    );
  });
});

describe('RFC 9449 §4.3 proof checks', () => {
  it('accepts a valid proof for each default algorithm', async () => {
    for (const alg of DEFAULT_DPOP_ALGORITHMS) {
      const algKey = await generateDpopKey(alg);
      const verified = await verifyDpopProof(
        requestOptions(await createDpopProof({ key: algKey, method: 'GET', url: API_URL, iat: NOW })),
      );
      expect(verified.thumbprint).toBe(algKey.thumbprint);
    }
  });

  describe('check 1: exactly one DPoP header', () => {
    it('refuses a request without a DPoP header', async () => {
      await expectRejection(
        verifyDpopProof(requestOptions(undefined)),
        'dpop_proof_invalid',
        /No DPoP proof/,
      );
    });

    it('refuses a DPoP header sent twice', async () => {
      const proof = await proofWith();
      await expectRejection(
        verifyDpopProof(requestOptions([proof, await proofWith()])),
        'dpop_proof_invalid',
        /More than one DPoP header/,
      );
    });

    it('accepts a header given as a one-element array', async () => {
      await expect(verifyDpopProof(requestOptions([await proofWith()]))).resolves.toBeDefined();
    });

    it('refuses two proofs joined by a comma into one header value', async () => {
      const joined = `${await proofWith()}, ${await proofWith()}`;
      await expectRejection(
        verifyDpopProof(requestOptions(joined)),
        'dpop_proof_invalid',
        /More than one DPoP proof/,
      );
    });

    it('refuses a proof larger than the size limit before parsing it', async () => {
      await expectRejection(
        verifyDpopProof(requestOptions('a'.repeat(8193))),
        'dpop_proof_invalid',
        /larger/,
      );
      await expectRejection(
        verifyDpopProof(requestOptions(await proofWith(), { maxProofSize: 100 })),
        'dpop_proof_invalid',
        /larger/,
      );
    });
  });

  describe('check 2: a well-formed JWT', () => {
    it('refuses a value that is not a compact JWS', async () => {
      await expectRejection(
        verifyDpopProof(requestOptions('not.a-jws')),
        'dpop_proof_invalid',
        /compact JWS/,
      );
    });

    it('refuses a header that is not JSON', async () => {
      const proof = await proofWith();
      const broken = `e30x${proof.slice(proof.indexOf('.'))}`;
      await expectRejection(verifyDpopProof(requestOptions(broken)), 'dpop_proof_invalid', /header/);
    });
  });

  describe('check 3: the required claims', () => {
    it('refuses a proof without jti', async () => {
      const proof = await proofWith({ claims: { jti: undefined } });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /jti/);
    });

    it('refuses an empty or overlong jti', async () => {
      for (const jti of ['', 'j'.repeat(257)]) {
        await expectRejection(
          verifyDpopProof(requestOptions(await proofWith({ jti }))),
          'dpop_proof_invalid',
          /jti/,
        );
      }
    });

    it('refuses a proof without htm or htu', async () => {
      for (const claims of [{ htm: undefined }, { htu: undefined }]) {
        await expectRejection(
          verifyDpopProof(requestOptions(await proofWith({ claims }))),
          'dpop_proof_invalid',
          /htm or htu/,
        );
      }
    });

    it('refuses a proof whose iat is missing or not a number', async () => {
      for (const iat of [undefined, String(NOW)]) {
        await expectRejection(
          verifyDpopProof(requestOptions(await proofWith({ claims: { iat } }))),
          'dpop_proof_invalid',
          /iat/,
        );
      }
    });

    it('refuses an ath or nonce that is not a string', async () => {
      for (const claims of [{ ath: 42 }, { nonce: ['n'] }]) {
        await expectRejection(
          verifyDpopProof(requestOptions(await proofWith({ claims }))),
          'dpop_proof_invalid',
          /not a string/,
        );
      }
    });
  });

  describe('check 4: typ is dpop+jwt', () => {
    it('refuses another typ', async () => {
      const proof = await proofWith({ header: { typ: 'JWT' } });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /typ/);
    });

    it('refuses a missing typ', async () => {
      const proof = await proofWith({ header: { typ: undefined } });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /typ/);
    });

    it('refuses the application/ prefixed spelling, comparing exactly', async () => {
      const proof = await proofWith({ header: { typ: 'application/dpop+jwt' } });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /typ/);
    });
  });

  describe('check 5: an allowed asymmetric alg', () => {
    it('refuses alg none', async () => {
      const proof = assembleJws(
        { typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk },
        { jti: 'none-1', htm: 'GET', htu: API_URL, iat: NOW },
      );
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /algorithm/);
    });

    it('refuses an HS256 proof keyed with the public key (algorithm confusion)', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
      const proof = await new CompactSign(
        new TextEncoder().encode(JSON.stringify({ jti: 'hs-1', htm: 'GET', htu: API_URL, iat: NOW })),
      )
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.publicJwk })
        .sign(secret);
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /algorithm/);
    });

    it('refuses to be configured with a symmetric algorithm', async () => {
      const options = requestOptions(await proofWith(), { algorithms: ['HS256' as never] });
      await expect(verifyDpopProof(options)).rejects.toThrow(TypeError);
    });

    it('refuses an asymmetric alg left out of the allow-list', async () => {
      const proof = await proofWith();
      await expectRejection(
        verifyDpopProof(requestOptions(proof, { algorithms: ['RS256'] })),
        'dpop_proof_invalid',
        /algorithm/,
      );
    });
  });

  describe('check 6: the signature verifies with the jwk header', () => {
    it('refuses a proof signed by a key other than the one in jwk', async () => {
      const proof = await proofWith({ header: { jwk: otherKey.publicJwk } });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /signature/);
    });

    it('refuses a proof whose claims were changed after signing', async () => {
      const proof = withPart(await proofWith(), 1, (claims) => {
        claims.jti = 'changed';
      });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /signature/);
    });

    it('refuses a jwk whose key type does not fit the alg', async () => {
      const rsaKey = await generateDpopKey('RS256');
      const proof = await proofWith({ header: { jwk: rsaKey.publicJwk } });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /does not fit/);
    });
  });

  describe('check 7: the jwk is a public key', () => {
    it('refuses a jwk holding the private key', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const privateJwk = await exportJWK(privateKey);
      const signer: DpopKey = { ...key, privateKey, publicJwk: privateJwk };
      const proof = await createDpopProof({ key: signer, method: 'GET', url: API_URL, iat: NOW });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /private/);
    });

    it('refuses a jwk with any private member, such as an RSA prime', async () => {
      const proof = await proofWith({ header: { jwk: { ...key.publicJwk, p: 'AQAB' } } });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /private/);
    });

    it('refuses a proof without a jwk header', async () => {
      const proof = await proofWith({ header: { jwk: undefined } });
      await expectRejection(verifyDpopProof(requestOptions(proof)), 'dpop_proof_invalid', /no jwk/);
    });
  });

  describe('check 8: htm is the request method', () => {
    it('refuses a proof made for another method', async () => {
      const proof = await proofWith({ method: 'POST' });
      await expectRejection(
        verifyDpopProof(requestOptions(proof)),
        'dpop_proof_invalid',
        /another HTTP method/,
      );
    });

    it('compares the method case-sensitively', async () => {
      const proof = await proofWith({ method: 'get' });
      await expectRejection(
        verifyDpopProof(requestOptions(proof)),
        'dpop_proof_invalid',
        /another HTTP method/,
      );
    });
  });

  describe('check 9: htu is the request URI without query and fragment', () => {
    async function verifyAt(htu: string, url: string) {
      return verifyDpopProof(requestOptions(await proofWith({ claims: { htu } }), { url }));
    }

    it('refuses a proof made for another URI', async () => {
      await expectRejection(
        verifyAt('https://api.example.test/admin', API_URL),
        'dpop_proof_invalid',
        /another URI/,
      );
    });

    it('ignores the query and fragment of the request', async () => {
      await expect(verifyAt(API_URL, `${API_URL}?page=2#top`)).resolves.toBeDefined();
    });

    it('ignores a query in htu', async () => {
      await expect(verifyAt(`${API_URL}?page=2`, API_URL)).resolves.toBeDefined();
    });

    it('compares scheme and host case-insensitively and drops the default port', async () => {
      await expect(verifyAt('HTTPS://API.Example.TEST:443/messages', API_URL)).resolves.toBeDefined();
      await expect(
        verifyAt('http://api.example.test/messages', 'http://api.example.test:80/messages'),
      ).resolves.toBeDefined();
    });

    it('normalises percent-encoding and dot segments', async () => {
      await expect(
        verifyAt('https://api.example.test/%7euser/a%2fb', 'https://api.example.test/~user/a%2Fb'),
      ).resolves.toBeDefined();
      await expect(verifyAt('https://api.example.test/x/../messages', API_URL)).resolves.toBeDefined();
    });

    it('keeps the path case-sensitive', async () => {
      await expectRejection(
        verifyAt('https://api.example.test/Messages', API_URL),
        'dpop_proof_invalid',
        /another URI/,
      );
    });

    it('tells apart schemes, ports and a trailing slash', async () => {
      for (const htu of [
        'http://api.example.test/messages',
        'https://api.example.test:8443/messages',
        'https://api.example.test/messages/',
      ]) {
        await expectRejection(verifyAt(htu, API_URL), 'dpop_proof_invalid', /another URI/);
      }
    });

    it('refuses an htu with user information or one that is not an http(s) URI', async () => {
      for (const htu of ['https://user@api.example.test/messages', 'urn:example:messages', '/messages']) {
        await expectRejection(verifyAt(htu, API_URL), 'dpop_proof_invalid', /another URI/);
      }
    });

    it('needs an absolute request URL', async () => {
      await expect(verifyDpopProof(requestOptions(await proofWith(), { url: '/messages' }))).rejects.toThrow(
        TypeError,
      );
    });
  });

  describe('check 11: iat within the window', () => {
    it('accepts a proof at either edge of the window', async () => {
      await expect(
        verifyDpopProof(requestOptions(await proofWith({ iat: NOW - 60 }))),
      ).resolves.toBeDefined();
      await expect(
        verifyDpopProof(requestOptions(await proofWith({ iat: NOW + 60 }))),
      ).resolves.toBeDefined();
    });

    it('refuses a proof older than the window', async () => {
      await expectRejection(
        verifyDpopProof(requestOptions(await proofWith({ iat: NOW - 61 }))),
        'dpop_proof_invalid',
        /too old/,
      );
    });

    it('refuses a proof too far in the future', async () => {
      await expectRejection(
        verifyDpopProof(requestOptions(await proofWith({ iat: NOW + 61 }))),
        'dpop_proof_invalid',
        /future/,
      );
    });

    it('widens the window by the clock tolerance', async () => {
      const proof = await proofWith({ iat: NOW - 70 });
      await expect(verifyDpopProof(requestOptions(proof, { clockTolerance: 10 }))).resolves.toBeDefined();
    });

    it('takes a configured window', async () => {
      await expectRejection(
        verifyDpopProof(requestOptions(await proofWith({ iat: NOW - 11 }), { iatWindow: 10 })),
        'dpop_proof_invalid',
        /too old/,
      );
    });
  });

  describe('check 12: jti not seen before within the window', () => {
    it('refuses the same proof sent twice', async () => {
      const proof = await proofWith();
      const replayStore = createMemoryReplayStore({ clock: fixedClock });
      await verifyDpopProof(requestOptions(proof, { replayStore }));
      await expectRejection(
        verifyDpopProof(requestOptions(proof, { replayStore })),
        'dpop_proof_invalid',
        /already used/,
      );
    });

    it('refuses a new proof by the same key reusing a jti', async () => {
      const replayStore = createMemoryReplayStore({ clock: fixedClock });
      await verifyDpopProof(requestOptions(await proofWith({ jti: 'reused' }), { replayStore }));
      await expectRejection(
        verifyDpopProof(requestOptions(await proofWith({ jti: 'reused', iat: NOW + 1 }), { replayStore })),
        'dpop_proof_invalid',
        /already used/,
      );
    });

    it('keeps the jti of one key apart from the same jti of another', async () => {
      const replayStore = createMemoryReplayStore({ clock: fixedClock });
      await verifyDpopProof(requestOptions(await proofWith({ jti: 'shared' }), { replayStore }));
      const fromOtherKey = await createDpopProof({
        key: otherKey,
        method: 'GET',
        url: API_URL,
        iat: NOW,
        jti: 'shared',
      });
      await expect(verifyDpopProof(requestOptions(fromOtherKey, { replayStore }))).resolves.toBeDefined();
    });

    it('remembers a proof until its iat leaves the window, then forgets it', async () => {
      const clock = createManualClock();
      const replayStore = createMemoryReplayStore({ max: 1, clock: clock.now });
      await verifyDpopProof(requestOptions(await proofWith(), { replayStore, clock: clock.now }));
      clock.set(NOW + 60);
      const full = await expectRejection(
        verifyDpopProof(
          requestOptions(await proofWith({ iat: clock.now() }), { replayStore, clock: clock.now }),
        ),
        'replay_store_unavailable',
        /cannot be checked/,
      );
      expect(full.cause).toBeInstanceOf(ReplayStoreFullError);
      clock.set(NOW + 61);
      await expect(
        verifyDpopProof(
          requestOptions(await proofWith({ iat: clock.now() }), { replayStore, clock: clock.now }),
        ),
      ).resolves.toBeDefined();
    });

    it('records nothing for a refused proof', async () => {
      const replayStore = createMemoryReplayStore({ clock: fixedClock });
      await expectRejection(
        verifyDpopProof(requestOptions(await proofWith({ method: 'POST' }), { replayStore })),
        'dpop_proof_invalid',
        /method/,
      );
      expect(replayStore.size).toBe(0);
    });

    it('refuses the proof with replay_store_unavailable when the replay store cannot answer', async () => {
      const replayStore = { checkAndStore: () => Promise.reject(new Error('store down')) };
      const error = await expectRejection(
        verifyDpopProof(requestOptions(await proofWith(), { replayStore })),
        'replay_store_unavailable',
        /cannot be checked/,
      );
      expect(error.status).toBe(503);
      expect(error.cause).toEqual(new Error('store down'));
    });

    it('refuses the proof with replay_store_unavailable when the replay store throws synchronously', async () => {
      const replayStore = {
        checkAndStore: (): Promise<boolean> => {
          throw new Error('not connected');
        },
      };
      await expectRejection(
        verifyDpopProof(requestOptions(await proofWith(), { replayStore })),
        'replay_store_unavailable',
        /cannot be checked/,
      );
    });
  });

  describe('check 10 and §7.1: ath binds the proof to the access token', () => {
    it('accepts a proof whose ath is the hash of the access token', async () => {
      const proof = await proofWith({ accessToken: 'the-token' });
      await expect(
        verifyDpopProof(requestOptions(proof, { accessToken: 'the-token' })),
      ).resolves.toBeDefined();
    });

    it('refuses a proof made for another access token', async () => {
      const proof = await proofWith({ accessToken: 'another-token' });
      await expectRejection(
        verifyDpopProof(requestOptions(proof, { accessToken: 'the-token' })),
        'dpop_proof_invalid',
        /another access token/,
      );
    });

    it('refuses a proof without ath when an access token is presented', async () => {
      await expectRejection(
        verifyDpopProof(requestOptions(await proofWith(), { accessToken: 'the-token' })),
        'dpop_proof_invalid',
        /no ath/,
      );
    });
  });
});

describe('RFC 9449 §6.1 and §7.1 cnf.jkt binding', () => {
  it('accepts a token bound to the proof key', async () => {
    const { thumbprint } = await verifyDpopProof(requestOptions(await proofWith()));
    expect(thumbprint).toBe(key.thumbprint);
    expect(() => checkDpopBinding({ cnf: { jkt: key.thumbprint } }, thumbprint)).not.toThrow();
  });

  it('refuses a token bound to another key', async () => {
    const { thumbprint } = await verifyDpopProof(requestOptions(await proofWith()));
    const error = rejectionOf(() => checkDpopBinding({ cnf: { jkt: otherKey.thumbprint } }, thumbprint));
    expect(error).toBeInstanceOf(TokenError);
    expect(error).toMatchObject({ code: 'dpop_binding_mismatch', status: 401, oauthError: 'invalid_token' });
  });

  it('refuses a token that is not bound to any key', () => {
    expect(() => checkDpopBinding({ sub: 'x' }, key.thumbprint)).toThrow(/not bound/);
    expect(() => checkDpopBinding({ cnf: { 'x5t#S256': 'abc' } }, key.thumbprint)).toThrow(/not bound/);
  });

  it('refuses a proof for a bound token before its jti is recorded', async () => {
    const replayStore = createMemoryReplayStore({ clock: fixedClock });
    await expectRejection(
      verifyDpopProof(
        requestOptions(await proofWith(), { replayStore, boundThumbprint: otherKey.thumbprint }),
      ),
      'dpop_binding_mismatch',
      /different DPoP key/,
    );
    expect(replayStore.size).toBe(0);
  });

  it('tells bound tokens from plain ones, counting an unusable jkt as bound', () => {
    expect(boundThumbprintOf({ cnf: { jkt: key.thumbprint } })).toBe(key.thumbprint);
    expect(boundThumbprintOf({ cnf: { jkt: 42 } })).toBe('');
    expect(boundThumbprintOf({ sub: 'x' })).toBeUndefined();
    expect(() => checkDpopBinding({ cnf: { jkt: 42 } }, key.thumbprint)).toThrow(/different DPoP key/);
  });
});

describe('TokenError', () => {
  it('maps each code to 401 and its RFC 9449 error', () => {
    expect(new TokenError('dpop_proof_invalid', 'x')).toMatchObject({
      status: 401,
      oauthError: 'invalid_dpop_proof',
    });
    expect(new TokenError('dpop_nonce_required', 'x', { nonce: 'n' })).toMatchObject({
      status: 401,
      oauthError: 'use_dpop_nonce',
      nonce: 'n',
    });
    expect(new TokenError('dpop_binding_mismatch', 'x')).toMatchObject({
      status: 401,
      oauthError: 'invalid_token',
    });
  });

  it('never puts the proof or the token into its message', async () => {
    const proof = await proofWith({ accessToken: 'secret-token-value' });
    const error = await expectRejection(
      verifyDpopProof(requestOptions(proof, { accessToken: 'another-token', method: 'GET' })),
      'dpop_proof_invalid',
      /another access token/,
    );
    expect(error.message).not.toContain('secret-token-value');
    expect(error.message).not.toContain(proof.slice(0, 20));
  });
});
