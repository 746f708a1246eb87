import type { SymmetricAlgorithm } from './algorithms.js';

/**
 * The `secret` option: the rules a shared HMAC secret must meet, and its import as Web Crypto keys.
 */

/** Minimum HMAC key size per algorithm, in bytes (RFC 7518 §3.2). */
const MIN_SECRET_BYTES: Readonly<Record<SymmetricAlgorithm, number>> = { HS256: 32, HS384: 48, HS512: 64 };

/**
 * Marks of asymmetric key material: PEM armour, OpenSSH public keys, JWK JSON. A public key used as
 * the HMAC secret lets anyone who can read it forge tokens (RFC 8725 §2.1; CVE-2017-11424,
 * CVE-2023-48223). Unanchored, so leading whitespace cannot hide a key (CVE-2026-34950).
 */
const KEY_MATERIAL =
  /-----BEGIN [A-Z0-9 ]*-----|\b(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+) AAAA|"kty"\s*:/;

/**
 * The secret's bytes (a string is taken as UTF-8), or `undefined` without one.
 *
 * @throws {TypeError} when it looks like a public or private key rather than a shared secret.
 */
export function secretBytes(secret: string | Uint8Array | undefined): Uint8Array | undefined {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (bytes !== undefined && KEY_MATERIAL.test(new TextDecoder().decode(bytes))) {
    throw new TypeError('tokenwarden: the secret looks like a public or private key, not a shared secret');
  }
  return bytes;
}

/**
 * Refuses an accepted HMAC algorithm without a secret, or with one shorter than its hash.
 *
 * @throws {TypeError} naming the algorithm.
 */
export function checkSecretFor(alg: SymmetricAlgorithm, secret: Uint8Array | undefined): void {
  if (secret === undefined) throw new TypeError(`tokenwarden: ${alg} needs the secret option`);
  if (secret.byteLength < MIN_SECRET_BYTES[alg]) {
    throw new TypeError(`tokenwarden: the secret is too short for ${alg} (RFC 7518 §3.2)`);
  }
}

/**
 * The secret as Web Crypto keys, imported once per algorithm: handing jose the raw bytes would make
 * it import them again on every verification.
 */
export class HmacKeys {
  readonly #secret: Uint8Array;
  readonly #imported = new Map<SymmetricAlgorithm, CryptoKey>();

  constructor(secret: Uint8Array) {
    this.#secret = secret;
  }

  /** The key for `alg` once imported, so that a verification need not wait for it. */
  currentKey(alg: SymmetricAlgorithm): CryptoKey | undefined {
    return this.#imported.get(alg);
  }

  /** Imports the key for `alg`. */
  async getKey(alg: SymmetricAlgorithm): Promise<CryptoKey> {
    const imported = await crypto.subtle.importKey(
      'raw',
      new Uint8Array(this.#secret),
      { name: 'HMAC', hash: `SHA-${alg.slice(2)}` },
      false,
      ['verify'],
    );
    this.#imported.set(alg, imported);
    return imported;
  }
}
