import { type TokenErrorDetail, tokenValue } from '../error-detail.js';
import { TokenError } from '../errors.js';
import { accessTokenHash } from './binding.js';
import { normaliseHttpUri } from './htu.js';
import type { DpopNonces } from './nonce.js';

/**
 * The claims of a DPoP proof whose signature verified (RFC 9449 §4.3 checks 3 and 8 to 11, §8's
 * nonce): well-typed, made for this request and this access token, recent, and with a current nonce.
 */

/** The claims of a DPoP proof (RFC 9449 §4.2). */
export interface DpopProofClaims {
  /** Unique identifier of the proof. */
  readonly jti: string;
  /** HTTP method of the request. */
  readonly htm: string;
  /** HTTP URI of the request, without query and fragment. */
  readonly htu: string;
  /** Creation time, seconds since the epoch. */
  readonly iat: number;
  /** base64url SHA-256 of the access token, when one is presented. */
  readonly ath?: string;
  /** The server-provided nonce (§8). */
  readonly nonce?: string;
  /** Any other claim. */
  readonly [claim: string]: unknown;
}

/** The longest `jti` accepted; §11.1 asks for 96 random bits, which is 16 base64url characters. */
const MAX_JTI_LENGTH = 256;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** §4.3 check 3: the verified payload is a JSON object whose claims are present and well-typed. */
export function readProofClaims(payload: Uint8Array): DpopProofClaims {
  let claims: unknown;
  try {
    claims = JSON.parse(utf8.decode(payload));
  } catch (error) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof payload is not valid JSON', { cause: error });
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof payload is not a JSON object');
  }
  return checkClaimTypes(claims as Record<string, unknown>);
}

function checkClaimTypes(claims: Record<string, unknown>): DpopProofClaims {
  const { jti, htm, htu, iat } = claims;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof has no valid jti');
  }
  if (typeof htm !== 'string' || typeof htu !== 'string') {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof lacks htm or htu');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof has no valid iat');
  }
  for (const name of ['ath', 'nonce'] as const) {
    if (Object.hasOwn(claims, name) && typeof claims[name] !== 'string') {
      throw new TokenError('dpop_proof_invalid', `The DPoP proof's ${name} claim is not a string`);
    }
  }
  return claims as DpopProofClaims;
}

/** §4.3 checks 8 and 9: the proof was made for this method and this URI. */
export function checkRequest(claims: DpopProofClaims, method: string, requestUri: string): void {
  // RFC 9110 §9.1: methods are case-sensitive.
  if (claims.htm !== method) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof was made for another HTTP method', {
      detail: { claim: 'htm', expected: method, actual: tokenValue(claims.htm) },
    });
  }
  const htu = normaliseHttpUri(claims.htu);
  if (htu !== requestUri) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof was made for another URI', {
      detail: {
        claim: 'htu',
        expected: requestUri,
        actual: tokenValue(claims.htu),
        hint: htuHint(htu, requestUri),
      },
    });
  }
}

/** Why a proof's `htu` (normalised, or `undefined` when it is no http(s) URI) misses this request's URI. */
function htuHint(htu: string | undefined, requestUri: string): string {
  if (htu === undefined) return "The proof's htu is not an absolute http(s) URI without user information";
  const [proofOrigin, requestOrigin] = [new URL(htu).origin, new URL(requestUri).origin];
  if (proofOrigin !== requestOrigin) {
    return `The proof's htu names ${proofOrigin}, this API sees ${requestOrigin}: behind a proxy or load balancer, configure dpop.trustedProxies (or dpop.publicBaseUrl) so the public URL is used`;
  }
  return 'The proof was made for another path: a path prefix stripped by a proxy (configure dpop.publicBaseUrl with it), or a proof reused for another route';
}

/** How far either way of the server clock a proof's `iat` may be, in seconds. */
export interface ProofAgeWindow {
  /** `dpop.iatWindow`. */
  readonly iatWindow: number;
  /** The verifier's `clockTolerance`, added to it. */
  readonly clockTolerance: number;
}

/**
 * §4.3 check 11 and §11.1: the proof was created recently, within `iatWindow + clockTolerance`
 * seconds either way of `now`. A clock reading that is no finite number refuses the proof: NaN would
 * make every comparison false and let any `iat` through.
 */
export function checkProofAge(claims: DpopProofClaims, now: number, allowed: ProofAgeWindow): void {
  if (!Number.isFinite(now)) {
    throw new TokenError(
      'dpop_proof_invalid',
      "The DPoP proof's iat cannot be checked: no server clock reading",
    );
  }
  const window = allowed.iatWindow + allowed.clockTolerance;
  if (claims.iat < now - window) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof is too old', {
      detail: {
        ...proofTimeDetail(claims.iat, now, allowed),
        hint: 'The client must make a new proof for every request; a proof older than the window is refused (or the clocks differ)',
      },
    });
  }
  if (claims.iat > now + window) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof was issued in the future', {
      detail: {
        ...proofTimeDetail(claims.iat, now, allowed),
        hint: "The client's clock runs ahead of this server's: sync both with NTP, or raise clockTolerance",
      },
    });
  }
}

/** The clock tolerance as configured, and the whole window in words. */
function proofTimeDetail(iat: number, now: number, allowed: ProofAgeWindow): TokenErrorDetail {
  const { iatWindow, clockTolerance } = allowed;
  return {
    claim: 'iat',
    expected: `within ${iatWindow + clockTolerance} s of the server clock (iatWindow ${iatWindow} s + clockTolerance ${clockTolerance} s)`,
    actual: iat,
    now,
    clockTolerance,
  };
}

/** §4.3 check 10 and §7.1: the proof was made for this access token. */
export async function checkAccessTokenHash(claims: DpopProofClaims, accessToken: string): Promise<void> {
  if (typeof claims.ath !== 'string') {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof has no ath claim', {
      detail: {
        claim: 'ath',
        actual: 'absent',
        hint: 'A proof sent with an access token must carry ath, the hash of that token (RFC 9449 §4.2)',
      },
    });
  }
  // The hash, not the token: it names the token without revealing it.
  const expected = await accessTokenHash(accessToken);
  if (claims.ath !== expected) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof was made for another access token', {
      detail: {
        claim: 'ath',
        expected,
        actual: tokenValue(claims.ath),
        hint: 'The proof was made for another access token: after a refresh, make proofs with the new token',
      },
    });
  }
}

/** §8 and §9: a missing, stale or unknown nonce is answered with a fresh one. */
export async function checkNonce(claims: DpopProofClaims, nonces: DpopNonces): Promise<string | undefined> {
  const status = await nonces.check(claims.nonce);
  if (status === 'current') return undefined;
  const current = await nonces.current();
  if (status === 'previous') return current;
  const missing = claims.nonce === undefined;
  const message = missing ? 'The DPoP proof must carry a nonce' : 'The DPoP proof nonce is stale';
  throw new TokenError('dpop_nonce_required', message, {
    nonce: current,
    detail: {
      claim: 'nonce',
      actual: missing ? 'absent' : tokenValue(claims.nonce),
      hint: 'This API requires a server nonce: the client must retry with the DPoP-Nonce header of the 401 as the proof nonce (RFC 9449 §8)',
    },
  });
}
