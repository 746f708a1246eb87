import type { Algorithm } from './algorithms.js';
import { TokenError } from './errors.js';

/**
 * What both signature backends (`signature-node.ts`, `signature-web.ts`, picked by the `#signature`
 * import condition) share: the check that a key fits the token's algorithm, made before any
 * verification, and the shape of the verification itself.
 */

/**
 * Verifies a compact JWS signature: `signingInput` is the token's `header.payload` text (ASCII, as
 * it was checked to be base64url) and `signature` the bytes of its third segment. Resolves to
 * whether the signature is valid; a key that does not fit `alg` is refused with `algorithm_not_allowed`.
 */
export type VerifySignature = (
  alg: Algorithm,
  key: CryptoKey,
  signingInput: string,
  signature: Uint8Array,
) => boolean | Promise<boolean>;

/** The Web Crypto algorithm name and, where the algorithm fixes it, the hash or curve of each JWS alg. */
const KEY_ALGORITHMS: Readonly<Record<Algorithm, { name: string; hash?: string; curve?: string }>> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  RS384: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  RS512: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  PS256: { name: 'RSA-PSS', hash: 'SHA-256' },
  PS384: { name: 'RSA-PSS', hash: 'SHA-384' },
  PS512: { name: 'RSA-PSS', hash: 'SHA-512' },
  ES256: { name: 'ECDSA', curve: 'P-256' },
  ES384: { name: 'ECDSA', curve: 'P-384' },
  ES512: { name: 'ECDSA', curve: 'P-521' },
  EdDSA: { name: 'Ed25519' },
  Ed25519: { name: 'Ed25519' },
  HS256: { name: 'HMAC', hash: 'SHA-256' },
  HS384: { name: 'HMAC', hash: 'SHA-384' },
  HS512: { name: 'HMAC', hash: 'SHA-512' },
};

/** Smallest RSA modulus a signature is verified with, in bits (RFC 7518 §3.3, §3.5). */
const MIN_RSA_MODULUS_BITS = 2048;

/**
 * RFC 8725 §3.1: the key must be of the algorithm the token names, down to the hash and the curve,
 * a public (or, for HMAC, secret) key usable for verifying. A key provider may hand back any
 * `CryptoKey`, and an RSA key imported for RS256 would otherwise verify an RS384 token.
 *
 * @throws {TokenError} `algorithm_not_allowed` when the key does not fit.
 */
export function checkKeyFitsAlgorithm(key: CryptoKey, alg: Algorithm): void {
  const expected = KEY_ALGORITHMS[alg];
  const actual = key.algorithm as Partial<RsaHashedKeyAlgorithm & EcKeyAlgorithm>;
  const fits =
    actual.name === expected.name &&
    (expected.hash === undefined || actual.hash?.name === expected.hash) &&
    (expected.curve === undefined || actual.namedCurve === expected.curve) &&
    (expected.name === 'HMAC' ? key.type === 'secret' : key.type === 'public') &&
    key.usages.includes('verify') &&
    (actual.modulusLength === undefined || actual.modulusLength >= MIN_RSA_MODULUS_BITS);
  if (!fits) {
    throw new TokenError('algorithm_not_allowed', 'The token algorithm does not fit the signing key');
  }
}
