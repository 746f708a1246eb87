import type { JWK } from 'jose';

/** Asymmetric JWS algorithms tokenwarden can verify (RFC 7518 §3, RFC 8037, RFC 9864). */
export type AsymmetricAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';

/** HMAC algorithms, only usable with a configured `secret`. */
export type SymmetricAlgorithm = 'HS256' | 'HS384' | 'HS512';

/** Every algorithm name the `algorithms` option takes. `none` is deliberately not one of them. */
export type Algorithm = AsymmetricAlgorithm | SymmetricAlgorithm;

/** The default allow-list. */
export const DEFAULT_ALGORITHMS: readonly AsymmetricAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

interface KeyShape {
  readonly kty: 'RSA' | 'EC' | 'OKP' | 'oct';
  readonly crv?: readonly string[];
}

const KEY_SHAPES: Readonly<Record<Algorithm, KeyShape>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  ES512: { kty: 'EC', crv: ['P-521'] },
  // Ed25519 only: Ed448 (RFC 8037 §3.1) is refused, as neither jose 6 nor Node 20's Web Crypto
  // imports it; a key that could never verify anything must not be chosen for a token.
  EdDSA: { kty: 'OKP', crv: ['Ed25519'] },
  Ed25519: { kty: 'OKP', crv: ['Ed25519'] },
  HS256: { kty: 'oct' },
  HS384: { kty: 'oct' },
  HS512: { kty: 'oct' },
};

/** Whether `name` is an algorithm tokenwarden knows (case-sensitive, as RFC 7515 §4.1.1 requires). */
export function isKnownAlgorithm(name: string): name is Algorithm {
  return Object.hasOwn(KEY_SHAPES, name);
}

/** Whether `name` is an HMAC algorithm. */
export function isSymmetricAlgorithm(name: string): name is SymmetricAlgorithm {
  return name === 'HS256' || name === 'HS384' || name === 'HS512';
}

/**
 * Why no algorithm tokenwarden knows can use a key of this `kty` and `crv` (RFC 7518 §6.2.1.1,
 * RFC 8037 §2), or `undefined` when one can. Ed448 keys, say, get a reason: they are not supported.
 */
export function unsupportedCurveReason(jwk: JWK): string | undefined {
  const shapes = Object.values(KEY_SHAPES).filter((shape) => shape.kty === jwk.kty);
  const crv: unknown = jwk.crv;
  if (shapes.some((shape) => shape.crv === undefined)) return undefined;
  if (typeof crv !== 'string') return 'curve missing or not a string';
  if (shapes.some((shape) => shape.crv?.includes(crv))) return undefined;
  return `curve ${crv.slice(0, 32)} is not supported`;
}

/**
 * RFC 8725 §3.1: a key is used only with the algorithm it was made for. The JWK's `kty` and `crv`
 * must fit `alg`, and when the JWK names its own `alg`, that wins.
 */
export function keyFitsAlgorithm(jwk: JWK, alg: Algorithm): boolean {
  const shape = KEY_SHAPES[alg];
  if (jwk.kty !== shape.kty) return false;
  if (shape.crv !== undefined && (typeof jwk.crv !== 'string' || !shape.crv.includes(jwk.crv))) {
    return false;
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    // RFC 9864 names Ed25519 the fully specified form of EdDSA over that curve.
    const edAlias = jwk.crv === 'Ed25519' && isEdDsaName(jwk.alg) && isEdDsaName(alg);
    if (!edAlias) return false;
  }
  return true;
}

function isEdDsaName(alg: string): boolean {
  return alg === 'EdDSA' || alg === 'Ed25519';
}
