import { importJWK, type JWK } from 'jose';
import { type Algorithm, keyFitsAlgorithm, unsupportedCurveReason } from '../algorithms.js';
import { tokenValue } from '../error-detail.js';
import { TokenError } from '../errors.js';
import { hasPrivateKeyMembers, MIN_RSA_MODULUS_BITS, rsaKeyProblem } from '../key-bounds.js';

/** A verified-usable public key set: keys by `kid`, plus the keys that have none. */
export interface KeySet {
  readonly byKid: ReadonlyMap<string, readonly JWK[]>;
  readonly withoutKid: readonly JWK[];
  readonly size: number;
}

/** A key left out of a set, and why. */
export interface IgnoredKey {
  readonly kid: string | undefined;
  readonly reason: string;
}

/**
 * Reads a JWKS document (RFC 7517 §5), keeping only public signature keys. A key with private
 * members is ignored: publishing one is a leak, and trusting it would let anyone sign tokens.
 */
export function parseKeySet(document: unknown): { keySet: KeySet; ignored: IgnoredKey[] } {
  if (
    typeof document !== 'object' ||
    document === null ||
    !Array.isArray((document as { keys?: unknown }).keys)
  ) {
    throw new TypeError('the document is not a JWK set');
  }
  const byKid = new Map<string, JWK[]>();
  const withoutKid: JWK[] = [];
  const ignored: IgnoredKey[] = [];
  let size = 0;
  for (const candidate of (document as { keys: unknown[] }).keys) {
    const reason = unusableReason(candidate);
    const kid = typeof (candidate as JWK | null)?.kid === 'string' ? (candidate as JWK).kid : undefined;
    if (reason !== undefined) {
      ignored.push({ kid, reason });
      continue;
    }
    const jwk = candidate as JWK;
    size += 1;
    if (kid === undefined) {
      withoutKid.push(jwk);
    } else {
      const list = byKid.get(kid);
      if (list === undefined) byKid.set(kid, [jwk]);
      else list.push(jwk);
    }
  }
  return { keySet: { byKid, withoutKid, size }, ignored };
}

/** Why {@link parseKeySet} leaves a key out of the set, or `undefined` when it keeps it. */
export function unusableReason(candidate: unknown): string | undefined {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return 'not a JSON object';
  }
  const jwk = candidate as Record<string, unknown>;
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return 'not an asymmetric key';
  if (hasPrivateKeyMembers(jwk)) return 'has private key members';
  const unsupportedCurve = unsupportedCurveReason(jwk);
  if (unsupportedCurve !== undefined) return unsupportedCurve;
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'not a signature key';
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return 'key_ops does not allow verify';
  }
  // Bounded like DPoP proof keys: a huge modulus or exponent would make every verification dear.
  if (jwk.kty === 'RSA') {
    const problem = rsaKeyProblem(jwk);
    if (problem !== undefined) return problem;
  }
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return 'kid is not a string';
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') return 'alg is not a string';
  return undefined;
}

/**
 * Picks the key for a token header: by `kid` when present, else the single key that fits `alg`.
 * Only keys whose type, curve and own `alg` fit the token's `alg` are candidates (RFC 8725 §3.1).
 */
export function selectKey(keySet: KeySet, kid: string | undefined, alg: Algorithm): JWK | undefined {
  const candidates =
    kid === undefined
      ? [...keySet.withoutKid, ...[...keySet.byKid.values()].flat()]
      : (keySet.byKid.get(kid) ?? []);
  const fitting = candidates.filter((jwk) => keyFitsAlgorithm(jwk, alg));
  // Without a kid, two fitting keys make the choice ambiguous; refuse rather than guess.
  if (kid === undefined && fitting.length !== 1) return undefined;
  return fitting[0];
}

/** Most `kid`s a `key_not_found` detail lists. */
const MAX_LISTED_KIDS = 20;

/** The refusal of a token whose key is not in `keySet`, saying which `kid`s the set holds. */
export function keyNotFound(keySet: KeySet | undefined, kid: string | undefined, alg: Algorithm): TokenError {
  const availableKids = keySet === undefined ? [] : [...keySet.byKid.keys()].slice(0, MAX_LISTED_KIDS);
  return new TokenError('key_not_found', 'No key matches the token', {
    detail: {
      claim: 'kid',
      kid: kid === undefined ? undefined : tokenValue(kid),
      availableKids,
      expected: `a key for ${alg}`,
      ...(kid !== undefined &&
        keySet?.byKid.has(kid) === true && { hint: `The key ${kid} does not fit ${alg}` }),
      ...(kid === undefined && { hint: 'The token has no kid and the set has no single key for its alg' }),
    },
  });
}

/** Turns a JWK into a Web Crypto key for `alg`, refusing RSA keys under {@link MIN_RSA_MODULUS_BITS}. */
export async function importVerificationKey(jwk: JWK, alg: Algorithm): Promise<CryptoKey> {
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK({ ...jwk, ext: true }, alg);
  } catch {
    throw new TokenError('key_not_found', 'The signing key is not usable');
  }
  if (key instanceof Uint8Array) throw new TokenError('key_not_found', 'The signing key is not usable');
  const modulusLength = (key.algorithm as Partial<RsaHashedKeyAlgorithm>).modulusLength;
  if (jwk.kty === 'RSA' && (typeof modulusLength !== 'number' || modulusLength < MIN_RSA_MODULUS_BITS)) {
    throw new TokenError('key_not_found', 'The signing key is too short');
  }
  return key;
}
