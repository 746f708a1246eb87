import { constants, createHmac, KeyObject, sign } from 'node:crypto';
import { base64url } from 'jose';

/**
 * A compact JWS segment (RFC 7515 §7.1): base64url of a value's JSON, or of a string's UTF-8 bytes as
 * they are, so hand-written JSON (duplicate members, odd keys) and payloads that are not JSON survive.
 */
export function encodeSegment(value: unknown): string {
  return base64url.encode(typeof value === 'string' ? value : JSON.stringify(value));
}

/**
 * A compact JWS assembled by hand, for tokens and proofs no signing library produces (`alg: none`, a
 * forged, truncated or missing signature). Header and payload are encoded by {@link encodeSegment}; the
 * signature is base64url text, or bytes to encode.
 */
export function assembleJws(header: unknown, payload: unknown, signature: string | Uint8Array = ''): string {
  const encoded = typeof signature === 'string' ? signature : base64url.encode(signature);
  return `${encodeSegment(header)}.${encodeSegment(payload)}.${encoded}`;
}

/**
 * What {@link signJws} signs with: `alg` picks the scheme (RSASSA-PKCS1-v1_5 for RS*, RSASSA-PSS for
 * PS*, ECDSA for ES*, EdDSA for EdDSA and Ed25519, HMAC for HS*), whatever the header says.
 */
export type JwsSigner =
  | { readonly alg: string; readonly privateKey: KeyObject | CryptoKey }
  | { readonly alg: string; readonly secret: Uint8Array };

/**
 * A compact JWS whose signature is correct for the exact bytes given, signed through Node's crypto:
 * for content a JOSE library refuses to sign (a short RSA key, an unknown `crit`, duplicate members, a
 * payload that is not a JSON object, an empty HMAC key). `dsaEncoding: 'der'` gives an ASN.1 ECDSA
 * signature instead of the JOSE `r || s` form.
 */
export function signJws(
  signer: JwsSigner,
  header: unknown,
  payload: unknown,
  options: { readonly dsaEncoding?: 'ieee-p1363' | 'der' } = {},
): string {
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  return `${signingInput}.${base64url.encode(signatureOf(signer, Buffer.from(signingInput), options))}`;
}

function signatureOf(
  signer: JwsSigner,
  data: Buffer,
  { dsaEncoding = 'ieee-p1363' }: { readonly dsaEncoding?: 'ieee-p1363' | 'der' },
): Uint8Array {
  const hash = `sha${signer.alg.slice(2)}`;
  if ('secret' in signer) return createHmac(hash, signer.secret).update(data).digest();
  const key = signer.privateKey instanceof KeyObject ? signer.privateKey : KeyObject.from(signer.privateKey);
  if (signer.alg === 'EdDSA' || signer.alg === 'Ed25519') return sign(null, data, key);
  if (signer.alg.startsWith('PS')) {
    return sign(hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: Number(signer.alg.slice(2)) / 8,
    });
  }
  return sign(hash, data, { key, dsaEncoding });
}

/** Replaces the signature of a compact JWS with `change(signatureBytes)`, canonically re-encoded. */
export function withSignature(jws: string, change: (signature: Uint8Array) => Uint8Array): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  return `${header}.${payload}.${base64url.encode(change(base64url.decode(signature)))}`;
}

/** Replaces the JSON of one part (0 header, 1 payload) of a compact JWS, keeping the other parts. */
export function withPart(jws: string, index: 0 | 1, change: (json: Record<string, unknown>) => void): string {
  const parts = jws.split('.');
  const json = JSON.parse(new TextDecoder().decode(base64url.decode(parts[index] as string)));
  change(json);
  parts[index] = base64url.encode(JSON.stringify(json));
  return parts.join('.');
}
