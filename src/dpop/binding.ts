import { base64url } from 'jose';
import type { AccessTokenClaims } from '../claims.js';
import { type TokenErrorDetail, tokenValue } from '../error-detail.js';
import { TokenError } from '../errors.js';

/**
 * The RFC 7638 thumbprint an access token is bound to: its `cnf.jkt` (RFC 9449 §6.1), or `undefined`
 * for a token not bound to a DPoP key. A token bound to a key must never be accepted as a plain
 * Bearer token (§7.1), so a caller accepting Bearer tokens checks this first.
 */
export function boundThumbprintOf(claims: AccessTokenClaims): string | undefined {
  const cnf: unknown = claims.cnf;
  if (typeof cnf !== 'object' || cnf === null || !Object.hasOwn(cnf, 'jkt')) return undefined;
  const jkt: unknown = (cnf as { readonly jkt?: unknown }).jkt;
  // A present but unusable jkt still marks the token as bound: it must not fall back to Bearer.
  return typeof jkt === 'string' ? jkt : '';
}

/**
 * RFC 9449 §7.1 and §6.1: the access token's `cnf.jkt` must equal the thumbprint of the proof's key.
 * A token without `cnf.jkt` presented with a proof is refused as well: it is not a DPoP-bound token.
 *
 * @param claims The verified access token's claims.
 * @param thumbprint The proof key's thumbprint, as returned by `verifyDpopProof`.
 * @throws {TokenError} `dpop_binding_mismatch`.
 */
export function checkDpopBinding(claims: AccessTokenClaims, thumbprint: string): void {
  const jkt = boundThumbprintOf(claims);
  if (jkt === undefined) {
    throw new TokenError('dpop_binding_mismatch', 'The access token is not bound to a DPoP key', {
      detail: NOT_BOUND,
    });
  }
  if (jkt === '' || jkt !== thumbprint) {
    throw new TokenError('dpop_binding_mismatch', 'The access token is bound to a different DPoP key', {
      detail: jktMismatch(jkt, thumbprint),
    });
  }
}

/** The evidence of a token sent under `DPoP` that has no `cnf.jkt`. */
export const NOT_BOUND: TokenErrorDetail = Object.freeze({
  claim: 'cnf.jkt',
  actual: 'absent',
  hint: 'A Bearer token was sent under the DPoP scheme: send it as Authorization: Bearer, or have the authorization server bind it (a DPoP header at the token endpoint)',
});

/**
 * The evidence of a proof by another key than the token's: both thumbprints (hashes of public keys,
 * nothing secret).
 */
export function jktMismatch(jkt: string, thumbprint: string): TokenErrorDetail {
  return {
    claim: 'cnf.jkt',
    expected: jkt === '' ? 'absent or not a string' : tokenValue(jkt),
    actual: thumbprint,
    hint: 'The proof was signed by another key than the one the token was issued for: the client must sign proofs with the key it sent to the token endpoint',
  };
}

/**
 * `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the ASCII access token. Web Crypto's digest is
 * used because jose offers no plain hash; it is available in every runtime the core supports.
 */
export async function accessTokenHash(accessToken: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken));
  return base64url.encode(new Uint8Array(digest));
}
