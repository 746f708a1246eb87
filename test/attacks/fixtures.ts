import { createPublicKey } from 'node:crypto';
import { base64url, CompactSign, type JWK } from 'jose';
import { claimsWith } from '../core/fixtures.js';

/** The HMAC algorithms an attacker can pick for algorithm confusion. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/** One of {@link HMAC_ALGORITHMS}. */
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

/**
 * Every byte encoding of a published public key an attacker could feed to HMAC as the "secret"
 * (the RFC 8725 §2.1 algorithm-confusion attack): PEM and DER in SPKI form, PKCS#1 for RSA (the
 * `BEGIN RSA PUBLIC KEY` form of CVE-2023-48223), the uncompressed point for EC, and the JWK JSON
 * exactly as the key set publishes it.
 */
export function publicKeyEncodings(jwk: JWK): Record<string, Uint8Array> {
  const key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
  const text = (value: string | Buffer) =>
    typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value);
  const encodings: Record<string, Uint8Array> = {
    'SPKI PEM': text(key.export({ type: 'spki', format: 'pem' })),
    'SPKI DER': text(key.export({ type: 'spki', format: 'der' })),
    'JWK JSON': text(JSON.stringify(jwk)),
  };
  if (jwk.kty === 'RSA') {
    encodings['PKCS#1 PEM'] = text(key.export({ type: 'pkcs1', format: 'pem' }));
    encodings['PKCS#1 DER'] = text(key.export({ type: 'pkcs1', format: 'der' }));
  }
  if (jwk.kty === 'EC') {
    // An uncompressed SEC 1 point (0x04 || x || y): the raw form some libraries hand to HMAC.
    encodings['raw point'] = new Uint8Array([
      4,
      ...base64url.decode(jwk.x as string),
      ...base64url.decode(jwk.y as string),
    ]);
  }
  return encodings;
}

/** A token with valid claims, HMAC-signed through jose with `secret` (any bytes, any length). */
export function hmacToken(
  alg: HmacAlgorithm,
  secret: Uint8Array,
  header: Readonly<Record<string, unknown>> = {},
  claims: Readonly<Record<string, unknown>> = {},
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claimsWith(claims))))
    .setProtectedHeader({ typ: 'at+jwt', ...header, alg })
    .sign(secret);
}

/** A `fetch` that records every URL it is asked for before passing the call on. */
export interface RecordingFetch {
  readonly fetch: typeof fetch;
  readonly urls: string[];
}

/** Creates a {@link RecordingFetch} over the global `fetch`. */
export function recordingFetch(): RecordingFetch {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return globalThis.fetch(input, init);
    },
  };
}

/** Big-endian bytes of a non-negative bigint, left-padded to `length`. */
export function bigintBytes(value: bigint, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let rest = value;
  for (let index = length - 1; index >= 0; index -= 1) {
    bytes[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** The order n of the P-256 group (SEC 2 §2.4.2): r = s = n is the other "psychic" signature. */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
