import type { Algorithm } from './algorithms.js';
import { checkKeyFitsAlgorithm, type VerifySignature } from './signature-key.js';

/**
 * The Web Crypto signature backend: `crypto.subtle.verify`, for every runtime but Node (Bun, Deno,
 * Workers, browsers). Picked by the `#signature` import's `default` condition.
 */

/** The backend's name, for diagnostics and tests. */
export const signatureBackend = 'web';

/** The `crypto.subtle.verify` parameters of each JWS algorithm (RFC 7518 §3). */
const VERIFY_PARAMETERS: Readonly<Record<Algorithm, AlgorithmIdentifier | RsaPssParams | EcdsaParams>> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  RS384: { name: 'RSASSA-PKCS1-v1_5' },
  RS512: { name: 'RSASSA-PKCS1-v1_5' },
  // RFC 7518 §3.5: the salt is as long as the hash.
  PS256: { name: 'RSA-PSS', saltLength: 32 },
  PS384: { name: 'RSA-PSS', saltLength: 48 },
  PS512: { name: 'RSA-PSS', saltLength: 64 },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  ES384: { name: 'ECDSA', hash: 'SHA-384' },
  ES512: { name: 'ECDSA', hash: 'SHA-512' },
  EdDSA: { name: 'Ed25519' },
  Ed25519: { name: 'Ed25519' },
  HS256: { name: 'HMAC' },
  HS384: { name: 'HMAC' },
  HS512: { name: 'HMAC' },
};

const encoder = new TextEncoder();

/** Verifies with Web Crypto; the key's own hash (checked to fit `alg`) is the one used. */
export const verifySignature: VerifySignature = async (alg, key, signingInput, signature) => {
  checkKeyFitsAlgorithm(key, alg);
  try {
    return await crypto.subtle.verify(
      VERIFY_PARAMETERS[alg],
      key,
      signature as Uint8Array<ArrayBuffer>,
      encoder.encode(signingInput),
    );
  } catch {
    return false;
  }
};
