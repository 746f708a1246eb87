import { base64url } from 'jose';
import { BASE64URL } from './compact-jws.js';

/**
 * What a public key received from others (a DPoP proof's `jwk`, a fetched key set) must be: public
 * only, and within size bounds read from the JWK's base64url members before anything is imported,
 * so that a hostile key costs a string check rather than a signature verification.
 */

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
const PRIVATE_KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Whether a JWK carries private or symmetric key material, which a public key set or proof must not. */
export function hasPrivateKeyMembers(jwk: object): boolean {
  return PRIVATE_KEY_MEMBERS.some((member) => Object.hasOwn(jwk, member));
}

/** Smallest RSA modulus accepted, in bits (RFC 7518 §3.3, RFC 8725 §3.5). */
export const MIN_RSA_MODULUS_BITS = 2048;

/**
 * Largest RSA modulus accepted, in bits. An RSA-8192 verification costs about three RSA-2048 ones;
 * no issuer or DPoP client uses more, and larger moduli only make verification dearer.
 */
export const MAX_RSA_MODULUS_BITS = 8192;

/**
 * Largest RSA public exponent accepted: 2^32 − 1. Verification costs one modular multiplication per
 * bit of the exponent, so a 3071-bit exponent on a 3072-bit key costs tens of normal verifications
 * (OpenSSL bounds the exponent only above 3072-bit moduli). A 32-bit bound keeps the worst key
 * allowed (RSA-8192, e = 2^32 − 1) within a few RSA-2048 verifications, while still taking the
 * exponents other JOSE implementations and HSMs use (3, 17, 65537), which "exactly 65537" would not.
 */
export const MAX_RSA_PUBLIC_EXPONENT = 2 ** 32 - 1;

/** Byte length of the coordinates of each EC curve (RFC 7518 §6.2.1.2) and OKP key (RFC 8037 §2). */
const COORDINATE_BYTES: Readonly<Record<string, number>> = {
  'P-256': 32,
  'P-384': 48,
  'P-521': 66,
  Ed25519: 32,
  Ed448: 57,
};

/**
 * Why an RSA public JWK is outside the bounds (modulus 2048 to 8192 bits, public exponent odd, from
 * 3 to 2^32 − 1), or `undefined` when it is within them. Leading zero bytes do not count.
 */
export function rsaKeyProblem(jwk: { readonly n?: unknown; readonly e?: unknown }): string | undefined {
  const modulusBits = bitLength(jwk.n);
  if (modulusBits < MIN_RSA_MODULUS_BITS) return `RSA modulus under ${MIN_RSA_MODULUS_BITS} bits`;
  if (modulusBits > MAX_RSA_MODULUS_BITS) return `RSA modulus over ${MAX_RSA_MODULUS_BITS} bits`;
  const exponent = smallInteger(jwk.e);
  if (exponent === undefined || exponent < 3 || exponent > MAX_RSA_PUBLIC_EXPONENT || exponent % 2 === 0) {
    return 'RSA public exponent is not an odd number from 3 to 2^32 - 1';
  }
  return undefined;
}

/**
 * Why a public JWK of any type is outside the bounds, or `undefined`: RSA as in
 * {@link rsaKeyProblem}; EC and OKP coordinates of exactly their curve's length.
 */
export function publicKeyProblem(jwk: Readonly<Record<string, unknown>>): string | undefined {
  if (jwk.kty === 'RSA') return rsaKeyProblem(jwk);
  const length = typeof jwk.crv === 'string' ? COORDINATE_BYTES[jwk.crv] : undefined;
  if (length === undefined) return 'unknown curve';
  const members = jwk.kty === 'EC' ? [jwk.x, jwk.y] : [jwk.x];
  if (members.some((member) => byteLength(member) !== length)) {
    return `${jwk.crv} coordinates are not ${length} bytes long`;
  }
  return undefined;
}

function decode(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || !BASE64URL.test(value)) return undefined;
  try {
    return base64url.decode(value);
  } catch {
    return undefined;
  }
}

function byteLength(value: unknown): number | undefined {
  return decode(value)?.length;
}

/** Bit length of a big-endian unsigned integer in base64url (an RSA `n`); 0 when unreadable or zero. */
export function bitLength(value: unknown): number {
  const bytes = significantBytes(value);
  if (bytes === undefined || bytes.length === 0) return 0;
  return (bytes.length - 1) * 8 + (32 - Math.clz32(bytes[0] as number));
}

/** A base64url unsigned integer of at most 32 bits as a number; `undefined` when larger or unreadable. */
function smallInteger(value: unknown): number | undefined {
  const bytes = significantBytes(value);
  if (bytes === undefined || bytes.length > 4) return undefined;
  return bytes.reduce((number, byte) => number * 256 + byte, 0);
}

/** The bytes of a base64url unsigned integer without its leading zero bytes. */
function significantBytes(value: unknown): Uint8Array | undefined {
  const bytes = decode(value);
  if (bytes === undefined) return undefined;
  const first = bytes.findIndex((byte) => byte !== 0);
  return first === -1 ? bytes.subarray(bytes.length) : bytes.subarray(first);
}
