import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  createVerifier,
  DEFAULT_DPOP_ALGORITHMS,
  fromNodeRequest,
  TokenError,
  type VerifyDpopProofOptions,
  verifyDpopProof,
} from 'tokenwarden';
import { createDpopProof, createTestIssuer, type DpopKey, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameworks, type RunningServer } from '../conformance/frameworks.js';
import { fixedClock, NOW } from '../support/clock.js';
import { expectRejection, rejectionOf } from '../support/rejection.js';
import { requestOptions } from './fixtures.js';

/**
 * RFC 9864 names `Ed25519` the fully specified algorithm for EdDSA over Ed25519; oauth4webapi and
 * openid-client put it in the proof header `alg` of an Ed25519 DPoP key. It is accepted wherever
 * `EdDSA` with an Ed25519 key is, and by default.
 */

const URL_SEEN = 'https://api.example.test/api/private';

async function ed25519Key(alg: 'Ed25519' | 'EdDSA'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('Ed25519');
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk) };
}

function proofOptions(proof: string): VerifyDpopProofOptions {
  return requestOptions(proof, { url: URL_SEEN });
}

describe('RFC 9864 Ed25519 in DPoP proofs', () => {
  it('lists Ed25519 among the default proof algorithms, after EdDSA', () => {
    expect(DEFAULT_DPOP_ALGORITHMS).toEqual(['ES256', 'RS256', 'PS256', 'EdDSA', 'Ed25519']);
  });

  it('accepts a proof whose alg is Ed25519 under the default algorithms', async () => {
    const key = await ed25519Key('Ed25519');
    const proof = await createDpopProof({ key, method: 'GET', url: URL_SEEN, iat: NOW });
    expect(decodeProtectedHeader(proof).alg).toBe('Ed25519');
    const verified = await verifyDpopProof(proofOptions(proof));
    expect(verified.thumbprint).toBe(key.thumbprint);
  });

  it('accepts EdDSA and Ed25519 proofs by the same key, each under its own name', async () => {
    const key = await ed25519Key('Ed25519');
    for (const alg of ['EdDSA', 'Ed25519'] as const) {
      const proof = await createDpopProof({ key: { ...key, alg }, method: 'GET', url: URL_SEEN, iat: NOW });
      await expect(verifyDpopProof(proofOptions(proof))).resolves.toMatchObject({
        thumbprint: key.thumbprint,
      });
    }
  });

  it('refuses an Ed25519 proof when only EdDSA is configured', async () => {
    const key = await ed25519Key('Ed25519');
    const proof = await createDpopProof({ key, method: 'GET', url: URL_SEEN, iat: NOW });
    await expectRejection(
      verifyDpopProof({ ...proofOptions(proof), algorithms: ['EdDSA'] }),
      'dpop_proof_invalid',
      /algorithm/,
    );
  });

  it('refuses alg Ed25519 over a jwk of another curve', async () => {
    const key = await ed25519Key('Ed25519');
    const proof = await createDpopProof({
      key,
      method: 'GET',
      url: URL_SEEN,
      iat: NOW,
      header: { jwk: { ...key.publicJwk, crv: 'Ed448' } },
    });
    await expectRejection(verifyDpopProof(proofOptions(proof)), 'dpop_proof_invalid', /does not fit/);
  });

  it('announces Ed25519 in the algs of the DPoP challenge by default', async () => {
    const issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
    try {
      const verifier = createVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keySet: issuer.jwks(),
        clock: fixedClock,
      });
      const error = await rejectionOf(
        verifier.authenticate(
          fromNodeRequest({ method: 'GET', url: '/api/private', headers: { host: 'api.example.test' } }),
        ),
      );
      expect(error).toBeInstanceOf(TokenError);
      expect(error.wwwAuthenticate).toBe('Bearer, DPoP algs="ES256 RS256 PS256 EdDSA Ed25519"');
    } finally {
      await issuer.close();
    }
  });
});

describe.each(frameworks.map((framework) => [framework.name, framework] as const))(
  'an oauth4webapi client with an Ed25519 DPoP key, under the defaults: %s',
  (_name, framework) => {
    let issuer: TestIssuer;
    let server: RunningServer;

    beforeAll(async () => {
      // oauth4webapi signs its proofs with the real clock, so nothing here is pinned to NOW.
      issuer = await createTestIssuer({ algorithms: ['ES256'] });
      server = await framework.listen({ issuer: issuer.issuer, audience: issuer.audience }, 0, '127.0.0.1');
    });
    afterAll(async () => {
      await server?.close();
      await issuer?.close();
    });

    it('is served with the proof oauth4webapi makes (header alg Ed25519)', async () => {
      const client: oauth.Client = { client_id: 'ed25519-client' };
      const keyPair = await oauth.generateKeyPair('Ed25519');
      const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
      const accessToken = await issuer.signToken({ cnf: { jkt } });
      const sentAlgs: unknown[] = [];
      const response = await oauth.protectedResourceRequest(
        accessToken,
        'GET',
        new URL(`${server.url}/api/private`),
        new Headers(),
        null,
        {
          DPoP: oauth.DPoP(client, keyPair),
          [oauth.allowInsecureRequests]: true,
          [oauth.customFetch]: (url, init) => {
            const proof = new Headers(init.headers).get('dpop');
            sentAlgs.push(proof === null ? undefined : decodeProtectedHeader(proof).alg);
            return fetch(url, init as RequestInit);
          },
        },
      );
      expect(sentAlgs).toEqual(['Ed25519']);
      expect(response.status).toBe(200);
    });
  },
);
