import {
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type ProtectedHeaderParameters,
} from 'jose';
import { type AsymmetricAlgorithm, keyFitsAlgorithm } from '../algorithms.js';
import { isCompactJws } from '../compact-jws.js';
import { tokenValue } from '../error-detail.js';
import { TokenError } from '../errors.js';
import { hasPrivateKeyMembers, publicKeyProblem } from '../key-bounds.js';

/**
 * The DPoP proof as a JWS (RFC 9449 §4.3 checks 1 to 7): one compact JWS, its header, the public key
 * it carries and the signature by that key. Cheapest first: nothing cryptographic runs before the
 * header passes, and the key is bounded before it is hashed or imported.
 */

/** §4.3 check 1: exactly one `DPoP` header holding one proof, size-checked before any parsing. */
export function singleProof(value: string | readonly string[] | undefined, maxSize: number): string {
  if (typeof value !== 'string') {
    if (value !== undefined && value.length > 1) {
      throw new TokenError('dpop_proof_invalid', 'More than one DPoP header was sent');
    }
    return singleProof(value?.[0] ?? '', maxSize);
  }
  if (value === '') throw new TokenError('dpop_proof_invalid', 'No DPoP proof was sent');
  if (value.length > maxSize) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof is larger than this API accepts');
  }
  // Proxies and frameworks join repeated headers with commas; a JWS never contains one.
  if (value.includes(',')) throw new TokenError('dpop_proof_invalid', 'More than one DPoP proof was sent');
  if (!isCompactJws(value.split('.'))) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof is not a compact JWS');
  }
  return value;
}

/** A proof header that passed checks 2 to 7: its algorithm and the public key to verify with. */
export interface CheckedHeader {
  readonly header: ProtectedHeaderParameters;
  readonly alg: AsymmetricAlgorithm;
  readonly jwk: JWK;
}

/** §4.3 checks 2 to 6, on the unverified header: nothing cryptographic runs before they pass. */
export function checkProofHeader(proof: string, allowed: ReadonlySet<AsymmetricAlgorithm>): CheckedHeader {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(proof);
  } catch (error) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof header is not valid JSON', { cause: error });
  }
  // Check 4: the media type is compared exactly; RFC 9449 registers only `dpop+jwt`.
  if (header.typ !== 'dpop+jwt') {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof typ is not dpop+jwt', {
      detail: {
        claim: 'typ',
        expected: 'dpop+jwt',
        actual: header.typ === undefined ? 'absent' : tokenValue(header.typ),
      },
    });
  }
  // Check 5: asymmetric and allowed; `none` and HS* can never be in the set.
  const alg = header.alg;
  if (typeof alg !== 'string' || !allowed.has(alg as AsymmetricAlgorithm)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof uses an algorithm this API does not accept', {
      detail: {
        claim: 'alg',
        expected: [...allowed],
        actual: alg === undefined ? 'absent' : tokenValue(alg),
      },
    });
  }
  // RFC 7515 §4.1.11: tokenwarden understands no extension, so none may be critical.
  if (Object.hasOwn(header, 'crit') || Object.hasOwn(header, 'b64')) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof names an unsupported critical extension');
  }
  // Check 7: the key is in `jwk`, public only.
  const jwk: unknown = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof header has no jwk');
  }
  if (hasPrivateKeyMembers(jwk)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof jwk holds private key material');
  }
  // RFC 8725 §3.1: the key must be of the kind the algorithm is made for.
  if (!keyFitsAlgorithm(jwk as JWK, alg as AsymmetricAlgorithm)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof jwk does not fit its algorithm');
  }
  return { header, alg: alg as AsymmetricAlgorithm, jwk: jwk as JWK };
}

/**
 * The RFC 7638 thumbprint of a proof key within {@link publicKeyProblem}'s bounds, computed from the
 * JWK's members without importing it.
 */
export async function thumbprintOf(jwk: JWK): Promise<string> {
  const problem = publicKeyProblem(jwk as Readonly<Record<string, unknown>>);
  if (problem !== undefined) {
    throw new TokenError('dpop_proof_invalid', `The DPoP proof jwk is not acceptable: ${problem}`);
  }
  try {
    return await calculateJwkThumbprint(jwk, 'sha256');
  } catch (error) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof jwk is not a valid key', { cause: error });
  }
}

/**
 * §4.3 check 6: the proof is signed by the key in its `jwk`. Returns the payload, whose claims
 * `readProofClaims` checks.
 */
export async function verifyProofSignature(
  proof: string,
  jwk: JWK,
  alg: AsymmetricAlgorithm,
): Promise<Uint8Array> {
  try {
    const key = await importJWK(jwk, alg);
    return (await compactVerify(proof, key, { algorithms: [alg] })).payload;
  } catch (error) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof signature is invalid', { cause: error });
  }
}
