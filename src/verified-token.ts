import type { ProtectedHeaderParameters } from 'jose';
import type { AccessTokenClaims } from './claims.js';
import type { AuthScheme } from './errors.js';
import type { ResourceRequest } from './request.js';

/**
 * What the steps of the request flow hand each other: the verified token, and the contract of the
 * step that produces it from the token a request carries.
 */

/** A token that passed every check. */
export interface VerifiedToken {
  /** The token as received: a compact JWT, or an opaque token resolved by introspection. */
  readonly token: string;
  /** Its protected header; empty for a token resolved by introspection, which has none. */
  readonly header: ProtectedHeaderParameters;
  /** Its claims. */
  readonly claims: AccessTokenClaims;
  /** Scopes from `scope` (space-delimited) and/or `scp`. */
  readonly scopes: readonly string[];
  /** Auth0 RBAC `permissions`. */
  readonly permissions: readonly string[];
  /** The scheme it was presented under; `Bearer` from `verify()`, which refuses bound tokens. */
  readonly scheme: AuthScheme;
  /** For a DPoP-bound token presented with its proof: the proof key's thumbprint and any next nonce. */
  readonly dpop?: DpopBinding | undefined;
}

/** The DPoP facts of an accepted request. */
export interface DpopBinding {
  /** RFC 7638 thumbprint of the proof's key, equal to the token's `cnf.jkt`. */
  readonly thumbprint: string;
  /** A fresh nonce to send as `DPoP-Nonce` with the response, when the client used an older one. */
  readonly nextNonce: string | undefined;
}

/**
 * A custom claims rule, run after every built-in check has passed. Throw a `TokenError` for a
 * precise code, or return `false` to reject with `claim_invalid`.
 */
export type ClaimsValidator = (
  claims: AccessTokenClaims,
  header: ProtectedHeaderParameters,
) => boolean | undefined | Promise<boolean | undefined>;

/**
 * Turns the token a request carries into a {@link VerifiedToken}, or refuses it with a `TokenError`:
 * the step between finding the token and checking who presents it. Its claim rules (built in and
 * `validateClaims`) are part of it. A token resolved before is recalled without a promise, which is
 * what keeps a repeated token cheap.
 */
export interface TokenResolver {
  /**
   * The earlier result for `token` while it still stands (time-based rules checked again), or
   * `undefined` when there is none. Throws when it no longer stands, say the token expired since.
   */
  recall(token: string): VerifiedToken | undefined;
  /**
   * Runs again on a recalled result the rules whose outcome may depend on more than the token
   * (`validateClaims`): `result` itself when there are none, else a promise of it.
   */
  revalidate(result: VerifiedToken): VerifiedToken | Promise<VerifiedToken>;
  /**
   * Resolves a token that was not recalled: the result itself when nothing had to be waited for (a
   * JWT whose key is at hand), else a promise of it. `presented` is the request it came with, absent
   * for `verify(token)`; a resolver that asks an authorization server may pass it on. Never throws:
   * a refusal is a rejected promise.
   */
  resolve(token: string, presented?: PresentedToken): VerifiedToken | Promise<VerifiedToken>;
}

/** The request a token came with, and the scheme it was presented under. */
export interface PresentedToken {
  readonly request: ResourceRequest;
  readonly scheme: AuthScheme;
}
