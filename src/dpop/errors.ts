/**
 * Why a DPoP-protected request was refused (RFC 9449). A closed union of stable codes, kept apart
 * from `TokenErrorCode` until the verifier is wired to DPoP, so it can then be folded into it.
 */
export type DpopErrorCode = 'dpop_proof_invalid' | 'dpop_nonce_required' | 'dpop_binding_mismatch';

/** The `error` values a DPoP challenge carries (RFC 9449 §7.1, §9; RFC 6750 §3.1). */
export type DpopOAuthErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token';

const OAUTH_ERRORS: Readonly<Record<DpopErrorCode, DpopOAuthErrorCode>> = {
  dpop_proof_invalid: 'invalid_dpop_proof',
  dpop_nonce_required: 'use_dpop_nonce',
  // §7.1: a proof whose key is not the one the token is bound to means the token is misused.
  dpop_binding_mismatch: 'invalid_token',
};

/** Extra facts carried by some DPoP errors. */
export interface DpopErrorDetails {
  /** For `dpop_nonce_required`: the nonce the client must put in its next proof (`DPoP-Nonce`, §9). */
  readonly nonce?: string | undefined;
  /** The underlying error, for logs only; never sent to the client. */
  readonly cause?: unknown;
}

/**
 * The error tokenwarden's DPoP building blocks throw for a refused proof. Every code answers 401.
 *
 * `message` is safe to send as `error_description`: it never contains the proof, the token, key
 * material or claim values chosen by the client.
 *
 * @example
 * ```ts
 * try {
 *   await verifyDpopProof({ proof, method, url, replayStore });
 * } catch (error) {
 *   if (error instanceof DpopError && error.code === 'dpop_nonce_required') {
 *     response.headers.set('DPoP-Nonce', error.nonce);
 *   }
 * }
 * ```
 */
export class DpopError extends Error {
  /** Stable machine-readable code. */
  readonly code: DpopErrorCode;
  /** HTTP status to answer with: always 401 (RFC 9449 §7.1, §9). */
  readonly status = 401;
  /** The `error` of the `WWW-Authenticate: DPoP` challenge. */
  readonly oauthError: DpopOAuthErrorCode;
  /** For `dpop_nonce_required`: the fresh nonce to send in the `DPoP-Nonce` response header. */
  readonly nonce: string | undefined;

  constructor(code: DpopErrorCode, message: string, details: DpopErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DpopError';
    this.code = code;
    this.oauthError = OAUTH_ERRORS[code];
    this.nonce = details.nonce;
  }
}
