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
  | 'jwks_unavailable';

/** The `error` values of RFC 6750 §3.1, plus `temporarily_unavailable` for an outage of the key source. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable';

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
  jwks_unavailable: { status: 503, oauthError: 'temporarily_unavailable' },
};

/** Extra facts carried by some errors. */
export interface TokenErrorDetails {
  /** For `scope_insufficient`: the scopes (or permissions) the route requires, sent as RFC 6750 `scope`. */
  readonly requiredScopes?: readonly string[];
  /** The underlying error, for logs only; never sent to the client. */
  readonly cause?: unknown;
}

/**
 * The one error class tokenwarden throws for a rejected request.
 *
 * `message` is safe to send to the client as `error_description`: it never contains the token,
 * key material, claim values supplied by the client, or a stack trace.
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

  constructor(code: TokenErrorCode, message: string, details: TokenErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TokenError';
    this.code = code;
    this.status = CODE_MAPPINGS[code].status;
    this.oauthError = CODE_MAPPINGS[code].oauthError;
    this.requiredScopes = details.requiredScopes;
  }

  /**
   * The `WWW-Authenticate` header value for this error (RFC 6750 §3), or `undefined` when the
   * failure is not the client's (`jwks_unavailable`).
   */
  get wwwAuthenticate(): string | undefined {
    return formatChallenge(this);
  }
}

/** A framework-neutral HTTP error response; adapters copy it onto their framework's response. */
export interface ErrorResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Headers to set, `WWW-Authenticate` among them when there is a challenge. */
  readonly headers: Readonly<Record<string, string>>;
  /** JSON body in the shape of RFC 6749 §5.2 error responses. */
  readonly body: { readonly error: string; readonly error_description: string };
}

/** Builds the response an adapter sends for a {@link TokenError}. */
export function toErrorResponse(error: TokenError): ErrorResponse {
  const challenge = formatChallenge(error);
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (challenge !== undefined) headers['www-authenticate'] = challenge;
  return {
    status: error.status,
    headers,
    body: { error: error.oauthError ?? 'invalid_request', error_description: error.message },
  };
}

/** RFC 6750 §3: `Bearer` alone when no credentials were sent, otherwise with `error` and friends. */
function formatChallenge(error: TokenError): string | undefined {
  if (error.code === 'jwks_unavailable') return undefined;
  if (error.oauthError === undefined) return 'Bearer';
  const params = [`error="${error.oauthError}"`, `error_description="${quotable(error.message)}"`];
  if (error.requiredScopes !== undefined && error.requiredScopes.length > 0) {
    params.push(`scope="${quotable(error.requiredScopes.join(' '))}"`);
  }
  return `Bearer ${params.join(', ')}`;
}

/** RFC 6750 §3: `error_description` and `scope` values exclude `"` and `\`; keep to printable ASCII. */
function quotable(value: string): string {
  return value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '');
}
