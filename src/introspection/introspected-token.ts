import type { AccessTokenClaims } from '../claims.js';
import { TokenError } from '../errors.js';
import { permissionsOf, scopesOf } from '../scopes.js';
import { DEFAULT_MAX_TOKEN_SIZE } from '../token.js';

/**
 * The facts of the request a token came with that an authorization server may check itself. The
 * RFC 7662 introspector sends none of them; the Authlete one sends them all.
 */
export interface IntrospectionContext {
  /** The request method, sent as `htm` (RFC 9449 §4.2) with a DPoP proof. */
  readonly method?: string | undefined;
  /**
   * The request's public URL as the DPoP checks build it (`resolvePublicUrl`); its query and
   * fragment are dropped before it is sent as `htu`.
   */
  readonly url?: string | undefined;
  /** The `DPoP` header, when the token came under the `DPoP` scheme; `undefined` for Bearer. */
  readonly dpopProof?: string | undefined;
  /** Scopes the route requires, for an authorization server that checks them itself. */
  readonly requiredScopes?: readonly string[] | undefined;
}

/**
 * Who still has to check the token's sender constraint:
 * - `to_check`: nobody has; any `cnf` in the claims is checked by this API exactly as for a JWT (a
 *   DPoP proof against `cnf.jkt`, a bound token refused as Bearer);
 * - `checked_by_authorization_server`: the authorization server verified the DPoP proof of this very
 *   request against the token's binding. Its answer carries no `cnf.jkt`, so the binding cannot be
 *   checked again here.
 */
export type SenderConstraintStatus = 'to_check' | 'checked_by_authorization_server';

/**
 * A token the authorization server vouched for, as the same claims object the JWT path produces.
 * The claim rules (issuer, audience, times, required claims) have not run on it yet.
 */
export interface IntrospectedToken {
  /** The token as received. */
  readonly token: string;
  /** The members of the answer, `active` left out; deeply frozen. */
  readonly claims: AccessTokenClaims;
  /** Scopes from `scope` (space-delimited) and/or `scp`. */
  readonly scopes: readonly string[];
  /** Auth0-style `permissions`, when the answer has them. */
  readonly permissions: readonly string[];
  /** See {@link SenderConstraintStatus}. */
  readonly senderConstraint: SenderConstraintStatus;
  /** A nonce the authorization server wants the client to use next, to send as `DPoP-Nonce`. */
  readonly dpopNonce: string | undefined;
  /** Whether the answer came from the cache rather than from the authorization server. */
  readonly cached: boolean;
}

/**
 * Resolves a token that is not verified locally by asking the authorization server. Rejects with a
 * `TokenError`: `token_inactive` (401) when the server says the token is not active,
 * `introspection_unavailable` (503) when the server cannot be asked or its answer cannot be used.
 */
export interface TokenIntrospector {
  introspect(token: string, context?: IntrospectionContext): Promise<IntrospectedToken>;
}

/** What the authorization server said about a token, as kept in the cache. */
export type IntrospectionAnswer =
  | {
      readonly active: true;
      /** The members of the answer that become claims, their types checked. */
      readonly claims: AccessTokenClaims;
    }
  | {
      readonly active: false;
      /** The server's own `WWW-Authenticate` value for the refusal, when it wrote one. */
      readonly challenge?: string | undefined;
    };

/** Builds the result handed to callers from claims whose types have been checked. */
export function introspectedToken(
  token: string,
  claims: AccessTokenClaims,
  facts: Pick<IntrospectedToken, 'senderConstraint' | 'dpopNonce' | 'cached'>,
): IntrospectedToken {
  return {
    token,
    claims,
    scopes: scopesOf(claims),
    permissions: permissionsOf(claims),
    senderConstraint: facts.senderConstraint,
    dpopNonce: facts.dpopNonce,
    cached: facts.cached,
  };
}

/**
 * The token handed to an introspector: a non-empty string no longer than the verifier accepts, so a
 * caller's slip cannot send a megabyte to the authorization server.
 */
export function checkTokenArgument(token: unknown): asserts token is string {
  if (typeof token !== 'string' || token.length === 0) {
    throw new TokenError('token_malformed', 'The token is empty');
  }
  if (token.length > DEFAULT_MAX_TOKEN_SIZE) {
    throw new TokenError('token_malformed', 'The token is larger than this API accepts');
  }
}
