import {
  createDpopNonces,
  createVerifier,
  fromNodeRequest,
  type ReplayStore,
  scopeGuard,
  type TokenError,
  toErrorResponse,
  type VerifierOptions,
} from 'tokenwarden';
import { createDpopProof, type DpopKey, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { apiRequest, createDpopFixture, DPOP_URL_SEEN } from '../support/dpop-fixture.js';
import { rejectionOf } from '../support/rejection.js';

const URL_SEEN = DPOP_URL_SEEN;
const ALGS = 'algs="ES256 RS256 PS256 EdDSA Ed25519"';

let issuer: TestIssuer;
let key: DpopKey;
let otherKey: DpopKey;
let boundToken: string;
let plainToken: string;

beforeAll(async () => {
  ({ issuer, key, otherKey, boundToken, plainToken } = await createDpopFixture({ scope: 'read:messages' }));
});
afterAll(() => issuer.close());

function verifier(overrides: Partial<VerifierOptions> = {}) {
  return createVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keySet: issuer.jwks(),
    clock: fixedClock,
    ...overrides,
  });
}

const request = apiRequest;

function proofFor(
  token: string,
  options: { key?: DpopKey; url?: string; nonce?: string; jti?: string } = {},
) {
  return createDpopProof({
    key: options.key ?? key,
    method: 'GET',
    url: options.url ?? URL_SEEN,
    accessToken: token,
    iat: NOW,
    nonce: options.nonce,
    jti: options.jti,
  });
}

describe('RFC 9449 §7.1 DPoP-bound tokens presented with a proof', () => {
  it('accepts a bound token under the DPoP scheme with a valid proof, and reports the key thumbprint', async () => {
    const auth = await verifier().authenticate(
      request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken) }),
    );
    expect(auth?.scheme).toBe('DPoP');
    expect(auth?.dpop?.thumbprint).toBe(key.thumbprint);
    expect(auth?.scopes).toEqual(['read:messages']);
  });

  it('accepts the DPoP scheme name in any case', async () => {
    const auth = await verifier().authenticate(
      request({ authorization: `dpop ${boundToken}`, dpop: await proofFor(boundToken) }),
    );
    expect(auth?.scheme).toBe('DPoP');
  });

  it('refuses the DPoP scheme without a DPoP header, with invalid_dpop_proof on the DPoP challenge', async () => {
    const error = await rejectionOf(
      verifier().authenticate(request({ authorization: `DPoP ${boundToken}` })),
    );
    expect(error.code).toBe('dpop_proof_invalid');
    expect(error.wwwAuthenticate).toBe(
      `Bearer, DPoP error="invalid_dpop_proof", error_description="${error.message}", ${ALGS}`,
    );
  });

  it('refuses two DPoP headers', async () => {
    const proof = await proofFor(boundToken);
    const error = await rejectionOf(
      verifier().authenticate(request({ authorization: `DPoP ${boundToken}`, dpop: [proof, proof] })),
    );
    expect(error.code).toBe('dpop_proof_invalid');
  });

  it('refuses a proof signed by a key other than the one the token is bound to', async () => {
    const error = await rejectionOf(
      verifier().authenticate(
        request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken, { key: otherKey }) }),
      ),
    );
    expect(error.code).toBe('dpop_binding_mismatch');
    expect(error.oauthError).toBe('invalid_token');
  });

  it('refuses a token without cnf.jkt under the DPoP scheme', async () => {
    const error = await rejectionOf(
      verifier().authenticate(
        request({ authorization: `DPoP ${plainToken}`, dpop: await proofFor(plainToken) }),
      ),
    );
    expect(error.code).toBe('dpop_binding_mismatch');
  });

  it('refuses a proof made for another access token (ath)', async () => {
    const error = await rejectionOf(
      verifier().authenticate(
        request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(plainToken) }),
      ),
    );
    expect(error.code).toBe('dpop_proof_invalid');
  });

  it('refuses a proof made for another URL', async () => {
    const proof = await proofFor(boundToken, { url: 'http://api.example.test/api/other' });
    const error = await rejectionOf(
      verifier().authenticate(request({ authorization: `DPoP ${boundToken}`, dpop: proof })),
    );
    expect(error.code).toBe('dpop_proof_invalid');
  });

  it('refuses a replayed proof even though the token itself is answered from the cache', async () => {
    const shared = verifier();
    const proof = await proofFor(boundToken);
    await shared.authenticate(request({ authorization: `DPoP ${boundToken}`, dpop: proof }));
    const error = await rejectionOf(
      shared.authenticate(request({ authorization: `DPoP ${boundToken}`, dpop: proof })),
    );
    expect(error.code).toBe('dpop_proof_invalid');
    const fresh = await proofFor(boundToken);
    const auth = await shared.authenticate(request({ authorization: `DPoP ${boundToken}`, dpop: fresh }));
    expect(auth?.scheme).toBe('DPoP');
  });

  it('challenges a scope failure of a DPoP request under the DPoP scheme', async () => {
    const auth = await verifier().authenticate(
      request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken) }),
    );
    const error = rejectionOf(() => scopeGuard(['write:messages'])(auth));
    expect(error.wwwAuthenticate).toBe(
      `DPoP error="insufficient_scope", error_description="${error.message}", scope="write:messages"`,
    );
  });
});

describe('RFC 9449 §7.2 modes', () => {
  it('allowed (default): refuses a DPoP-bound token sent as a Bearer token', async () => {
    const error = await rejectionOf(
      verifier().authenticate(request({ authorization: `Bearer ${boundToken}` })),
    );
    expect(error.code).toBe('dpop_binding_mismatch');
    expect(error.wwwAuthenticate).toBe(
      `Bearer error="invalid_token", error_description="${error.message}", DPoP ${ALGS}`,
    );
  });

  it('allowed (default): accepts an unbound Bearer token', async () => {
    const auth = await verifier().authenticate(request({ authorization: `Bearer ${plainToken}` }));
    expect(auth?.scheme).toBe('Bearer');
    expect(auth?.dpop).toBeUndefined();
  });

  it('allowed (default): offers both schemes to a request without a token', async () => {
    const error = await rejectionOf(verifier().authenticate(request({})));
    expect(error.code).toBe('token_missing');
    expect(error.wwwAuthenticate).toBe(`Bearer, DPoP ${ALGS}`);
  });

  it('required: refuses a Bearer token, challenging with DPoP only', async () => {
    const error = await rejectionOf(
      verifier({ dpop: { mode: 'required' } }).authenticate(
        request({ authorization: `Bearer ${plainToken}` }),
      ),
    );
    expect(error.code).toBe('dpop_binding_mismatch');
    expect(error.wwwAuthenticate).toBe(
      `DPoP error="invalid_token", error_description="${error.message}", ${ALGS}`,
    );
  });

  it('required: offers only DPoP to a request without a token', async () => {
    const error = await rejectionOf(verifier({ dpop: { mode: 'required' } }).authenticate(request({})));
    expect(error.wwwAuthenticate).toBe(`DPoP ${ALGS}`);
  });

  it('required: accepts a bound token with its proof', async () => {
    const auth = await verifier({ dpop: { mode: 'required' } }).authenticate(
      request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken) }),
    );
    expect(auth?.dpop?.thumbprint).toBe(key.thumbprint);
  });

  it('disabled: counts the DPoP scheme as no credentials and challenges with Bearer only', async () => {
    const error = await rejectionOf(
      verifier({ dpop: { mode: 'disabled' } }).authenticate(
        request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken) }),
      ),
    );
    expect(error.code).toBe('token_missing');
    expect(error.wwwAuthenticate).toBe('Bearer');
  });

  it('announces configured proof algorithms in algs', async () => {
    const error = await rejectionOf(
      verifier({ dpop: { algorithms: ['ES256', 'EdDSA'] } }).authenticate(request({})),
    );
    expect(error.wwwAuthenticate).toBe('Bearer, DPoP algs="ES256 EdDSA"');
  });
});

describe('RFC 9449 §8 server nonces through the verifier', () => {
  const nonces = createDpopNonces({ secret: 'a nonce secret that is long enough!!', clock: fixedClock });

  it('answers a proof without a nonce with use_dpop_nonce and a DPoP-Nonce header', async () => {
    const error = await rejectionOf(
      verifier({ dpop: { nonces } }).authenticate(
        request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken) }),
      ),
    );
    expect(error.code).toBe('dpop_nonce_required');
    expect(error.nonce).toBe(await nonces.current());
    const response = toErrorResponse(error);
    expect(response.headers['dpop-nonce']).toBe(await nonces.current());
    expect(response.headers['www-authenticate']).toBe(
      `Bearer, DPoP error="use_dpop_nonce", error_description="${error.message}", ${ALGS}`,
    );
  });

  it('accepts the proof again made with the nonce', async () => {
    const nonce = await nonces.current();
    const auth = await verifier({ dpop: { nonces } }).authenticate(
      request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken, { nonce }) }),
    );
    expect(auth?.scheme).toBe('DPoP');
  });
});

describe('replay store failures fail closed', () => {
  it('answers 503 replay_store_unavailable, without a challenge, when the store throws', async () => {
    const broken: ReplayStore = { checkAndStore: () => Promise.reject(new Error('connection refused')) };
    const error = await rejectionOf(
      verifier({ dpop: { replayStore: broken } }).authenticate(
        request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken) }),
      ),
    );
    expect(error.code).toBe('replay_store_unavailable');
    expect(error.status).toBe(503);
    expect(error.wwwAuthenticate).toBeUndefined();
  });
});

describe('the public URL a proof signs, behind a reverse proxy', () => {
  const publicUrl = 'https://public.example.com/api/private';

  it('uses publicBaseUrl instead of the Host header', async () => {
    const auth = await verifier({ dpop: { publicBaseUrl: 'https://public.example.com' } }).authenticate(
      request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken, { url: publicUrl }) }),
    );
    expect(auth?.scheme).toBe('DPoP');
  });

  it('believes X-Forwarded-Proto and X-Forwarded-Host from a trusted proxy', async () => {
    const auth = await verifier({ dpop: { trustedProxies: ['10.0.0.7'] } }).authenticate(
      request(
        {
          authorization: `DPoP ${boundToken}`,
          dpop: await proofFor(boundToken, { url: publicUrl }),
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'public.example.com',
        },
        { remoteAddress: '::ffff:10.0.0.7' },
      ),
    );
    expect(auth?.scheme).toBe('DPoP');
  });

  it('believes the Forwarded header (RFC 7239) from a trusted proxy', async () => {
    const auth = await verifier({ dpop: { trustedProxies: ['10.0.0.7'] } }).authenticate(
      request(
        {
          authorization: `DPoP ${boundToken}`,
          dpop: await proofFor(boundToken, { url: publicUrl }),
          forwarded: 'for=192.0.2.60;proto=https;host=public.example.com',
        },
        { remoteAddress: '10.0.0.7' },
      ),
    );
    expect(auth?.scheme).toBe('DPoP');
  });

  /** Outcome of a request through the trusted proxy 10.0.0.7 whose proof was made for `url`. */
  async function throughProxy(url: string, headers: Record<string, string | string[]>) {
    return verifier({ dpop: { trustedProxies: ['10.0.0.7'] } })
      .authenticate(
        request(
          { authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken, { url }), ...headers },
          { remoteAddress: '10.0.0.7' },
        ),
      )
      .then(
        (auth) => auth?.scheme,
        (error: TokenError) => error.code,
      );
  }

  const attackerUrl = 'https://attacker.example/api/private';

  it('believes the last Forwarded element, the one the nearest trusted proxy appended', async () => {
    // The client sent the first element itself; the proxy appended the second.
    const forwarded =
      'for=1.2.3.4;proto=https;host=attacker.example, for=192.0.2.60;proto=https;host=public.example.com';
    expect(await throughProxy(publicUrl, { forwarded })).toBe('DPoP');
    expect(await throughProxy(attackerUrl, { forwarded })).toBe('dpop_proof_invalid');
  });

  it('takes the last X-Forwarded-Host and X-Forwarded-Proto values, the ones the nearest trusted proxy appended', async () => {
    const headers = {
      'x-forwarded-proto': 'http, https',
      'x-forwarded-host': 'attacker.example, public.example.com',
    };
    expect(await throughProxy(publicUrl, headers)).toBe('DPoP');
    expect(await throughProxy(attackerUrl, headers)).toBe('dpop_proof_invalid');
    expect(await throughProxy('http://public.example.com/api/private', headers)).toBe('dpop_proof_invalid');
  });

  it('joins Forwarded header lines in order before taking the last element', async () => {
    const forwarded = [
      'for=1.2.3.4;proto=https;host=attacker.example',
      'for=192.0.2.60;proto=https;host=public.example.com',
    ];
    expect(await throughProxy(publicUrl, { forwarded })).toBe('DPoP');
    expect(await throughProxy(attackerUrl, { forwarded })).toBe('dpop_proof_invalid');
  });

  it('joins X-Forwarded-Host header lines in order before taking the last value', async () => {
    const headers = {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': ['attacker.example', 'public.example.com'],
    };
    expect(await throughProxy(publicUrl, headers)).toBe('DPoP');
    expect(await throughProxy(attackerUrl, headers)).toBe('dpop_proof_invalid');
  });

  it('does not fall back to an earlier Forwarded element when the last one names no host', async () => {
    const forwarded = 'for=1.2.3.4;proto=https;host=attacker.example, for=192.0.2.60';
    expect(await throughProxy(attackerUrl, { forwarded })).toBe('dpop_proof_invalid');
    expect(await throughProxy(URL_SEEN, { forwarded })).toBe('DPoP');
  });

  it('refuses a path with dot segments under publicBaseUrl too', async () => {
    const error = await rejectionOf(
      verifier({ dpop: { publicBaseUrl: 'https://public.example.com' } }).authenticate(
        fromNodeRequest({
          method: 'GET',
          url: '/api/admin/../private',
          headers: {
            host: 'api.example.test',
            authorization: `DPoP ${boundToken}`,
            dpop: await proofFor(boundToken, { url: publicUrl }),
          },
        }),
      ),
    );
    expect(error.code).toBe('request_invalid');
  });

  it('ignores forwarded headers from any other peer', async () => {
    const error = await rejectionOf(
      verifier({ dpop: { trustedProxies: ['10.0.0.7'] } }).authenticate(
        request(
          {
            authorization: `DPoP ${boundToken}`,
            dpop: await proofFor(boundToken, { url: publicUrl }),
            'x-forwarded-proto': 'https',
            'x-forwarded-host': 'public.example.com',
          },
          { remoteAddress: '203.0.113.9' },
        ),
      ),
    );
    expect(error.code).toBe('dpop_proof_invalid');
  });

  it.each(['bad host/x', '[', 'a:b:c', 'h:99999'])(
    'refuses a request whose Host header (%s) makes no URL with request_invalid, not a 503',
    async (host) => {
      const error = await rejectionOf(
        verifier().authenticate(
          request({ authorization: `DPoP ${boundToken}`, dpop: await proofFor(boundToken), host }),
        ),
      );
      expect(error.code).toBe('request_invalid');
      expect(error.status).toBe(400);
    },
  );
});
