import { constants, createPublicKey, KeyObject, sign as nodeSign } from 'node:crypto';
import { base64url, CompactSign, type JWK } from 'jose';
import type { TestKey } from 'tokenwarden/testing';
import { claimsWith, encodeSegment, rejectionOf } from '../core/fixtures.js';

/** Resolves the `code` of the {@link TokenError} a promise rejects with; fails the test otherwise. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  return (await rejectionOf(promise)).code;
}

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

/** Replaces the signature of a compact JWS with `change(signatureBytes)`, canonically re-encoded. */
export function withSignature(token: string, change: (signature: Uint8Array) => Uint8Array): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  return `${header}.${payload}.${base64url.encode(change(base64url.decode(signature)))}`;
}

/**
 * Signs the exact bytes given for header and payload (strings are used verbatim, so JSON with
 * duplicate members or odd keys survives) with the key's own algorithm through Node's crypto.
 * `dsaEncoding: 'der'` produces an ASN.1 ECDSA signature instead of the JOSE `r || s` form.
 */
export function signBytes(
  key: TestKey,
  header: string,
  payload: string,
  dsaEncoding: 'ieee-p1363' | 'der' = 'ieee-p1363',
): string {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  const privateKey = KeyObject.from(key.privateKey);
  const data = Buffer.from(signingInput);
  const signature =
    key.alg === 'EdDSA'
      ? nodeSign(null, data, privateKey)
      : key.alg.startsWith('PS')
        ? nodeSign(hashOf(key.alg), data, {
            key: privateKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: Number(key.alg.slice(2)) / 8,
          })
        : nodeSign(hashOf(key.alg), data, { key: privateKey, dsaEncoding });
  return `${signingInput}.${base64url.encode(new Uint8Array(signature))}`;
}

function hashOf(alg: string): string {
  return `sha${alg.slice(2)}`;
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
