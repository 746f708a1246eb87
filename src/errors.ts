import { type AuthParam, type Challenge, formatChallenges, rfc6750Value } from './challenge.js';
import type { TokenErrorDetail } from './error-detail.js';

/**
 * Every way a request can fail authentication or authorization, as one closed union of stable codes.
 * Users switch on `code`; messages may change between versions, codes do not.
 */
export type TokenErrorCode =
  | 'token_missing'
  | 'request_invalid'
  | 'token_malformed'
  | 'algorithm_not_allowed'
  | 'signature_invalid'
  | 'key_not_found'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'issuer_invalid'
  | 'audience_invalid'
  | 'claim_invalid'
  | 'type_invalid'
  | 'scope_insufficient'
  | 'authentication_insufficient'
  | 'jwks_unavailable'
  | 'dpop_proof_invalid'
  | 'dpop_nonce_required'
  | 'dpop_binding_mismatch'
  | 'replay_store_unavailable'
  | 'token_inactive'
  | 'introspection_unavailable';

/**
 * The `error` values of RFC 6750 §3.1, RFC 9449 §7.1/§9 and RFC 9470 §3, plus `temporarily_unavailable` for an
 * outage of the key source or the replay store.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'temporarily_unavailable'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

interface CodeMapping {
  readonly status: number;
  /** `undefined` for `token_missing`: RFC 6750 §3.1 says a request without credentials gets no error code. */
  readonly oauthError: OAuthErrorCode | undefined;
}

const CODE_MAPPINGS: Readonly<Record<TokenErrorCode, CodeMapping>> = {
  token_missing: { status: 401, oauthError: undefined },
  request_invalid: { status: 400, oauthError: 'invalid_request' },
  token_malformed: { status: 401, oauthError: 'invalid_token' },
  algorithm_not_allowed: { status: 401, oauthError: 'invalid_token' },
  signature_invalid: { status: 401, oauthError: 'invalid_token' },
  key_not_found: { status: 401, oauthError: 'invalid_token' },
  token_expired: { status: 401, oauthError: 'invalid_token' },
  token_not_yet_valid: { status: 401, oauthError: 'invalid_token' },
  issuer_invalid: { status: 401, oauthError: 'invalid_token' },
  audience_invalid: { status: 401, oauthError: 'invalid_token' },
  claim_invalid: { status: 401, oauthError: 'invalid_token' },
  type_invalid: { status: 401, oauthError: 'invalid_token' },
  scope_insufficient: { status: 403, oauthError: 'insufficient_scope' },
  // RFC 9470 §3: the user must authenticate again (stronger, or more recently), hence 401.
  authentication_insufficient: { status: 401, oauthError: 'insufficient_user_authentication' },
  jwks_unavailable: { status: 503, oauthError: 'temporarily_unavailable' },
  dpop_proof_invalid: { status: 401, oauthError: 'invalid_dpop_proof' },
  dpop_nonce_required: { status: 401, oauthError: 'use_dpop_nonce' },
  // RFC 9449 §7.1: a token used without (or with another) proof of its key is a misused token.
  dpop_binding_mismatch: { status: 401, oauthError: 'invalid_token' },
  replay_store_unavailable: { status: 503, oauthError: 'temporarily_unavailable' },
  // RFC 7662 §2.2: the authorization server says the token is not (or no longer) active.
  token_inactive: { status: 401, oauthError: 'invalid_token' },
  introspection_unavailable: { status: 503, oauthError: 'temporarily_unavailable' },
};

/** Codes that are the server's trouble, not the client's: no challenge is sent with them. */
const SERVER_SIDE: ReadonlySet<TokenErrorCode> = new Set([
  'jwks_unavailable',
  'replay_store_unavailable',
  'introspection_unavailable',
]);

/** Codes about the DPoP proof itself, whose challenge is always the `DPoP` one. */
const DPOP_PROOF_CODES: ReadonlySet<TokenErrorCode> = new Set(['dpop_proof_invalid', 'dpop_nonce_required']);

/** An HTTP authentication scheme tokenwarden accepts access tokens under. */
export type AuthScheme = 'Bearer' | 'DPoP';

/**
 * How a verifier challenges clients (RFC 6750 §3, RFC 9449 §7.1): which schemes it offers, and the
 * scheme the failing request used, whose challenge carries the error.
 */
export interface ChallengeContext {
  /** Schemes offered, in order: `Bearer`, `DPoP`, or both. */
  readonly schemes: readonly AuthScheme[];
  /** Algorithms accepted for DPoP proofs, sent as `algs` on the `DPoP` challenge. */
  readonly dpopAlgorithms: readonly string[];
  /** The scheme the request used, when it sent a token. */
  readonly scheme?: AuthScheme | undefined;
  /** RFC 9728 §5.1: the URL of the protected resource metadata, sent as `resource_metadata`. */
  readonly resourceMetadata?: string | undefined;
}

/** Extra facts carried by some errors. */
export interface TokenErrorDetails {
  /** For `scope_insufficient`: the scopes (or permissions) the route requires, sent as RFC 6750 `scope`. */
  readonly requiredScopes?: readonly string[];
  /** For `dpop_nonce_required`: the nonce the client must use next, sent as `DPoP-Nonce` (RFC 9449 §8). */
  readonly nonce?: string | undefined;
  /** For `authentication_insufficient`: the acceptable `acr` values, sent as RFC 9470 `acr_values`. */
  readonly acrValues?: readonly string[] | undefined;
  /** For `authentication_insufficient`: the largest authentication age, sent as RFC 9470 `max_age`. */
  readonly maxAge?: number | undefined;
  /** The underlying error, for logs only; never sent to the client. */
  readonly cause?: unknown;
  /** Evidence for the server's logs (expected and actual values); never sent to the client. */
  readonly detail?: TokenErrorDetail | undefined;
  /**
   * A complete `WWW-Authenticate` value written by the authorization server that judged the token
   * (Authlete's `responseContent`), sent as it is instead of the challenge tokenwarden would format.
   */
  readonly challengeOverride?: string | undefined;
}

/**
 * The one error class tokenwarden throws for a rejected request.
 *
 * `message` is safe to send to the client as `error_description`: it never contains the token,
 * key material, claim values supplied by the client, or a stack trace. `detail` is for the server's
 * logs only: it says what was expected and what was found.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(token);
 * } catch (error) {
 *   if (error instanceof TokenError && error.code === 'token_expired') refresh();
 * }
 * ```
 */
export class TokenError extends Error {
  /** Stable machine-readable code. */
  readonly code: TokenErrorCode;
  /** HTTP status to answer with (400, 401, 403 or 503). */
  readonly status: number;
  /** RFC 6750 `error` value, `undefined` for `token_missing`. */
  readonly oauthError: OAuthErrorCode | undefined;
  /** For `scope_insufficient`: the scopes the route requires. */
  readonly requiredScopes: readonly string[] | undefined;
  /** For `dpop_nonce_required`: the nonce to send in the `DPoP-Nonce` response header. */
  readonly nonce: string | undefined;
  /** A `WWW-Authenticate` value to send as it is; see {@link TokenErrorDetails.challengeOverride}. */
  readonly challengeOverride: string | undefined;
  /** For `authentication_insufficient`: the `acr` values the route accepts. */
  readonly acrValues: readonly string[] | undefined;
  /** For `authentication_insufficient`: the largest authentication age the route accepts, in seconds. */
  readonly maxAge: number | undefined;
  /**
   * Evidence for the server's logs: expected and actual values, the key set's URL and why it failed,
   * a likely fix. Never part of the response ({@link toErrorResponse}); token values in it are capped.
   */
  readonly detail: TokenErrorDetail | undefined;

  constructor(code: TokenErrorCode, message: string, details: TokenErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TokenError';
    this.code = code;
    this.status = CODE_MAPPINGS[code].status;
    this.oauthError = CODE_MAPPINGS[code].oauthError;
    this.requiredScopes = details.requiredScopes;
    this.nonce = details.nonce;
    this.challengeOverride = details.challengeOverride;
    this.acrValues = details.acrValues;
    this.maxAge = details.maxAge;
    this.detail = details.detail;
  }

  /**
   * The `WWW-Authenticate` header value for this error (RFC 6750 §3, RFC 9449 §7.1), or `undefined`
   * when the failure is not the client's (`jwks_unavailable`, `replay_store_unavailable`).
   */
  get wwwAuthenticate(): string | undefined {
    return formatChallenge(this);
  }
}

const challenges = new WeakMap<TokenError, ChallengeContext>();

/**
 * Records how the verifier that refused a request challenges clients, so the error's
 * `WWW-Authenticate` offers the right schemes. Without it, the challenge is plain `Bearer`.
 */
export function setChallengeContext(error: TokenError, context: ChallengeContext): TokenError {
  challenges.set(error, context);
  return error;
}

const BEARER_ONLY: ChallengeContext = { schemes: ['Bearer'], dpopAlgorithms: [] };
const DPOP_ONLY: ChallengeContext = { schemes: ['DPoP'], dpopAlgorithms: [] };

/** A framework-neutral HTTP error response; adapters copy it onto their framework's response. */
export interface ErrorResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Headers to set, `WWW-Authenticate` among them when there is a challenge. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * JSON body in the shape of RFC 6749 §5.2 error responses: `error` is the RFC 6750 code, or
   * `unauthorized` when no credentials were sent.
   */
  readonly body: { readonly error: string; readonly error_description: string };
}

/** Builds the response an adapter sends for a {@link TokenError}. */
export function toErrorResponse(error: TokenError): ErrorResponse {
  const challenge = formatChallenge(error);
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (challenge !== undefined) headers['www-authenticate'] = challenge;
  if (error.nonce !== undefined) headers['dpop-nonce'] = error.nonce;
  return {
    status: error.status,
    headers,
    // RFC 6750 §3.1 gives a request without credentials no error code; the body says so plainly
    // rather than borrowing invalid_request, which means 400.
    body: { error: error.oauthError ?? 'unauthorized', error_description: error.message },
  };
}

/**
 * RFC 6750 §3 and RFC 9449 §7.1: one challenge per offered scheme (RFC 9470 §3 and RFC 9728 §5.1
 * add their parameters). The error goes on the challenge of
 * the scheme the request used (always `DPoP` for proof errors); without credentials, no error at all.
 * `undefined` when the failure is the server's, which no credentials could mend.
 */
function challengesFor(error: TokenError): Challenge[] | undefined {
  if (SERVER_SIDE.has(error.code)) return undefined;
  const isProofError = DPOP_PROOF_CODES.has(error.code);
  const context = challenges.get(error) ?? (isProofError ? DPOP_ONLY : BEARER_ONLY);
  const used = isProofError ? 'DPoP' : context.scheme;
  // A scheme this verifier does not offer (Bearer where DPoP is required) gets no challenge of its own.
  const erring: AuthScheme | undefined =
    error.oauthError === undefined
      ? undefined
      : used !== undefined && context.schemes.includes(used)
        ? used
        : context.schemes[0];
  return context.schemes.map((scheme) => {
    const params: AuthParam[] = [];
    if (scheme === erring && error.oauthError !== undefined) {
      params.push(['error', error.oauthError], ['error_description', rfc6750Value(error.message)]);
      if (error.requiredScopes !== undefined && error.requiredScopes.length > 0) {
        params.push(['scope', rfc6750Value(error.requiredScopes.join(' '))]);
      }
      // RFC 9470 §3: what a new authentication must satisfy.
      if (error.acrValues !== undefined) params.push(['acr_values', rfc6750Value(error.acrValues.join(' '))]);
      if (error.maxAge !== undefined) params.push(['max_age', String(error.maxAge)]);
    }
    if (scheme === 'DPoP' && context.dpopAlgorithms.length > 0) {
      params.push(['algs', context.dpopAlgorithms.join(' ')]);
    }
    // RFC 9728 §5.1: every challenge, with or without an error, says where the metadata is.
    if (context.resourceMetadata !== undefined) params.push(['resource_metadata', context.resourceMetadata]);
    return { scheme, params };
  });
}

/** The `WWW-Authenticate` value for `error`, or `undefined` when it gets no challenge. */
function formatChallenge(error: TokenError): string | undefined {
  const offered = challengesFor(error);
  if (offered === undefined) return undefined;
  // The authorization server that judged the token wrote the whole challenge (Authlete's responseContent).
  return error.challengeOverride ?? formatChallenges(offered);
}
