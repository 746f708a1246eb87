import { boundThumbprintOf } from './dpop/binding.js';
import { createProofOfPossessionCheck, type ProofOfPossessionSettings } from './dpop/proof-of-possession.js';
import { type AuthScheme, type ChallengeContext, TokenError } from './errors.js';
import type { ResourceRequest } from './request.js';
import type { VerifiedToken } from './verified-token.js';

/**
 * The step after a token is resolved: may the one presenting it use it? A bearer token serves whoever
 * holds it; a sender-constrained one (`cnf`) only with proof of its key (RFC 9449 §7, RFC 8705 §3).
 * DPoP is the proof checked today; another binding (mTLS, RFC 8705) would be one more branch here.
 */
export interface SenderConstraint {
  /** Every token needs a proof of possession, so `verify()`, having no request, can accept none. */
  readonly proofRequired: boolean;
  /** How errors of this verifier challenge clients: the schemes offered and the DPoP algorithms. */
  readonly challenge: ChallengeContext;
  /** Whether requests using `scheme` are considered at all (else they count as carrying no token). */
  accepts(scheme: AuthScheme): boolean;
  /** Refuses a scheme this API does not take tokens under, before the token is resolved. */
  checkScheme(scheme: AuthScheme): void;
  /**
   * Completes the authentication of `token`, resolved from a request's credential sent under
   * `scheme`: synchronous for Bearer, so the common case adds no promise.
   */
  check(
    request: ResourceRequest,
    scheme: AuthScheme,
    token: VerifiedToken,
  ): VerifiedToken | Promise<VerifiedToken>;
}

/** Builds the sender constraint of a verifier from its `dpop` option and clock. */
export function createSenderConstraint(settings: ProofOfPossessionSettings): SenderConstraint {
  const dpop = createProofOfPossessionCheck(settings);
  const { mode } = dpop;
  return {
    proofRequired: mode === 'required',
    challenge: {
      schemes: mode === 'disabled' ? ['Bearer'] : mode === 'required' ? ['DPoP'] : ['Bearer', 'DPoP'],
      dpopAlgorithms: mode === 'disabled' ? [] : dpop.algorithms,
    },
    accepts: (scheme) => scheme === 'Bearer' || mode !== 'disabled',
    checkScheme(scheme) {
      if (scheme === 'Bearer' && mode === 'required') {
        throw new TokenError('dpop_binding_mismatch', 'This API accepts only DPoP-bound access tokens');
      }
    },
    check(request, scheme, token) {
      // A DPoP binding set by the resolver means the authorization server checked this request's
      // proof itself (Authlete introspection); its answer has no cnf.jkt to check again here.
      if (scheme === 'DPoP') return token.dpop === undefined ? dpop.check(request, token) : token;
      // Claims are frozen JSON, so a cnf member is never undefined: the common case costs one lookup.
      if (token.claims.cnf !== undefined) throw bearerRefusal(token);
      return token;
    },
  };
}

/**
 * RFC 9449 §7.2: a DPoP-bound token must never be accepted as a bearer token. Nor may a token bound
 * any other way (`cnf` with RFC 8705 `x5t#S256`, RFC 7800 `jwk`, or anything else), since this API
 * cannot check that binding: accepting it would turn a stolen sender-constrained token into a
 * bearer token.
 */
function bearerRefusal(token: VerifiedToken): TokenError {
  if (boundThumbprintOf(token.claims) !== undefined) {
    return new TokenError('dpop_binding_mismatch', 'A DPoP-bound access token was sent as a Bearer token', {
      detail: {
        claim: 'cnf.jkt',
        expected: 'Authorization: DPoP with a DPoP proof header',
        actual: 'Authorization: Bearer',
        hint: 'The token is DPoP-bound (cnf.jkt): the client must send Authorization: DPoP <token> and a DPoP header with a proof signed by its key',
      },
    });
  }
  return new TokenError(
    'dpop_binding_mismatch',
    'The access token is bound to a certificate or key (cnf) this API cannot check',
  );
}

/**
 * Headers to add to a successful response: `DPoP-Nonce` when the client should switch to a newer
 * nonce (RFC 9449 §8.2), or `undefined` when there are none, which is nearly always: adapters then
 * do no header work at all.
 */
export function authResponseHeaders(auth: VerifiedToken | undefined): Record<string, string> | undefined {
  const nonce = auth?.dpop?.nextNonce;
  return nonce === undefined ? undefined : { 'dpop-nonce': nonce };
}
