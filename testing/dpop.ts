import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { accessTokenHash } from '../src/dpop/binding.js';
import type { AsymmetricAlgorithm } from '../src/index.js';

/** A client's DPoP key pair. */
export interface DpopKey {
  /** The algorithm proofs are signed with. */
  readonly alg: AsymmetricAlgorithm;
  /** Signs the proofs. */
  readonly privateKey: CryptoKey;
  /** The public key as a proof's `jwk` header carries it. */
  readonly publicJwk: JWK;
  /** Its RFC 7638 SHA-256 thumbprint: put it in an access token's `cnf.jkt` to bind the token. */
  readonly thumbprint: string;
}

/** Generates a DPoP key pair for `alg`. RSA keys are 2048 bits. [ES256] */
export async function generateDpopKey(alg: AsymmetricAlgorithm = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/** Options for {@link createDpopProof}. Defaults in brackets. */
export interface CreateDpopProofOptions {
  /** The key to sign with and to put in the `jwk` header. */
  readonly key: DpopKey;
  /** The request method, sent as `htm`. */
  readonly method: string;
  /** The request URL; its query and fragment are left out of `htu`, as RFC 9449 §4.2 says. */
  readonly url: string | URL;
  /** The access token the request carries; its hash is sent as `ath`. [no `ath`] */
  readonly accessToken?: string | undefined;
  /** The server's nonce, from the last `DPoP-Nonce` response header. [no `nonce`] */
  readonly nonce?: string | undefined;
  /** Creation time in seconds since the epoch. [now] */
  readonly iat?: number | undefined;
  /** Proof identifier. [a random UUID] */
  readonly jti?: string | undefined;
  /**
   * Header parameters that replace the defaults (`typ: 'dpop+jwt'`, `alg`, `jwk`); one set to
   * `undefined` is left out. For proofs that must fail: a wrong `typ`, another key's `jwk`.
   */
  readonly header?: Readonly<Record<string, unknown>> | undefined;
  /** Claims that replace the defaults (`jti`, `htm`, `htu`, `iat`, `ath`, `nonce`); `undefined` removes one. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Creates a DPoP proof (RFC 9449 §4.2) for a test request. Send it in the `DPoP` header, with the
 * access token in `Authorization: DPoP <token>`.
 *
 * @example
 * ```ts
 * const key = await generateDpopKey();
 * const token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
 * const proof = await createDpopProof({ key, method: 'GET', url: 'http://127.0.0.1:3000/api', accessToken: token });
 * await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
 * ```
 */
export async function createDpopProof(options: CreateDpopProofOptions): Promise<string> {
  const url = new URL(options.url);
  const claims: Record<string, unknown> = {
    jti: options.jti ?? crypto.randomUUID(),
    htm: options.method,
    htu: `${url.origin}${url.pathname}`,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ath: options.accessToken === undefined ? undefined : await accessTokenHash(options.accessToken),
    nonce: options.nonce,
    ...options.claims,
  };
  const header: Record<string, unknown> = {
    typ: 'dpop+jwt',
    alg: options.key.alg,
    jwk: options.key.publicJwk,
    ...options.header,
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(withoutUndefined(claims))))
    .setProtectedHeader(withoutUndefined(header) as { alg: string })
    .sign(options.key.privateKey);
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
