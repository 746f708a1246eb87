import { isCompactJws } from './compact-jws.js';
import type { TokenIntrospector } from './introspection/introspected-token.js';
import type { TokenResolver, VerifiedToken } from './verified-token.js';

/** How a verifier with an `introspection` option resolves tokens. */
export interface TokenResolverChoice {
  /** Verifies JWTs locally; it alone caches, so every recalled token is a JWT. */
  readonly jwt: TokenResolver;
  /** Asks the authorization server about any token that is not a compact JWS. */
  readonly introspect: TokenResolver['resolve'];
  /** Asks the authorization server about JWTs too, after they pass locally, to learn of revocation. */
  readonly revocation: TokenIntrospector | undefined;
}

/**
 * Chooses a resolver per token: a compact JWS (RFC 7515 §7.1, three base64url parts) is verified
 * locally, anything else is introspected (RFC 7662). The choice is made only for a token not
 * recalled, so a repeated JWT costs nothing more than without introspection.
 *
 * With `revocation`, a JWT is also introspected after it is verified and each time it is recalled
 * (FAPI 2.0 §5.3.4: resource servers check revocation status); the introspector's cache bounds how
 * often the authorization server is asked, and how long a revoked token may still pass.
 */
export function chooseTokenResolver(choice: TokenResolverChoice): TokenResolver {
  const { jwt, introspect, revocation } = choice;

  async function notRevoked(result: VerifiedToken | Promise<VerifiedToken>): Promise<VerifiedToken> {
    const verified = await result;
    await (revocation as TokenIntrospector).introspect(verified.token);
    return verified;
  }

  return {
    recall: jwt.recall,
    revalidate: revocation === undefined ? jwt.revalidate : (result) => notRevoked(jwt.revalidate(result)),
    resolve(token, presented) {
      if (typeof token === 'string' && !isCompactJws(token.split('.'))) return introspect(token, presented);
      const verified = jwt.resolve(token, presented);
      return revocation === undefined ? verified : notRevoked(verified);
    },
  };
}
