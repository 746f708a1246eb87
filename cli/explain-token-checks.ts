import type { ProtectedHeaderParameters } from 'jose';
import type { AccessTokenClaims } from '../src/claims.js';
import type { TokenError } from '../src/errors.js';
import { type CheckReport, failed, passed } from './explain-checks.js';

/**
 * The lines of `tokenwarden explain` that read the token itself rather than run one rule of the
 * verifier: its type, the likely fix for an audience that does not match, the signs of an ID token,
 * what the verifier's signature step said, and the scopes a route requires.
 */

/** The `typ` header, and whether it is RFC 9068's; checked only when the `typ` option asks. */
export function typCheck(header: ProtectedHeaderParameters): CheckReport {
  const typ = header.typ;
  if (typeof typ === 'string' && /^(application\/)?at\+jwt$/i.test(typ))
    return passed('typ', `typ ${typ} (RFC 9068)`);
  // Not checked unless the verifier's typ option asks: most providers send JWT.
  return passed(
    'typ',
    `typ ${typ === undefined ? 'absent' : String(typ)}: not RFC 9068's at+jwt; accepted unless the typ option is set`,
  );
}

/** The likely fixes when `aud` does not match: Keycloak's default, an ID token. */
export function audienceHints(claims: AccessTokenClaims): string[] {
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const hints: string[] = [];
  if (aud.includes('account')) {
    hints.push(
      'Keycloak\'s default aud is "account": add an Audience mapper to the client scope so tokens name your API',
    );
  }
  if (claims.azp !== undefined && aud.includes(claims.azp as string)) {
    hints.push(
      'aud is the client id: this is an ID token, or the token was requested without the API as audience',
    );
  }
  return hints;
}

/** The marks of an OpenID Connect ID token (OIDC Core §2, §3.1.3.6), and Cognito's token_use. */
export function idTokenSigns(claims: AccessTokenClaims): string[] {
  const signs: string[] = [];
  if (Object.hasOwn(claims, 'nonce')) signs.push('it has a nonce');
  if (Object.hasOwn(claims, 'at_hash')) signs.push('it has an at_hash');
  if (claims.token_use === 'id') signs.push('token_use is id');
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (typeof claims.azp === 'string' && aud.length === 1 && aud[0] === claims.azp)
    signs.push('aud is the client id');
  return signs;
}

/** Codes the verifier returns before it looks for a key: the signature was not checked. */
const BEFORE_KEY = new Set(['token_malformed', 'algorithm_not_allowed', 'issuer_invalid']);

/** The signature step as the verifier reported it: skipped, passed, or why not, with hints. */
export function keyCheck(code: string | undefined, error: TokenError | undefined): CheckReport {
  if (code !== undefined && BEFORE_KEY.has(code)) {
    return {
      name: 'signature',
      ok: false,
      skipped: true,
      message: 'not checked: the verifier stops at the first failure above',
      hints: [],
    };
  }
  if (code === undefined || !['key_not_found', 'signature_invalid', 'jwks_unavailable'].includes(code)) {
    return passed('signature', "The signature verifies with a key of the issuer's key set");
  }
  const detail = error?.detail;
  const hints: string[] = [];
  if (code === 'key_not_found' && detail?.kid !== undefined) {
    hints.push(
      `The key set holds ${detail.availableKids?.join(', ') || 'no kid'}, not ${detail.kid}: a token from another tenant or environment, or keys rotated away`,
    );
  }
  if (code === 'jwks_unavailable')
    hints.push('Check the issuer URL (exact, trailing slash included) or pass --jwks-uri');
  if (detail?.hint !== undefined) hints.push(detail.hint);
  return failed(
    'signature',
    `${error?.message ?? code}${detail?.reason === undefined ? '' : ` (${detail.uri}: ${detail.reason})`}`,
    detail,
    hints,
  );
}

/** The scopes the route requires (`--scope`), read from `scope` and `scp` as the guards do. */
export function scopeCheck(claims: AccessTokenClaims, required: readonly string[]): CheckReport {
  const scope = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  const scp = Array.isArray(claims.scp)
    ? claims.scp
    : typeof claims.scp === 'string'
      ? claims.scp.split(' ')
      : [];
  const held = new Set([...scope, ...scp]);
  const missing = required.filter((name) => !held.has(name));
  const from = scp.length > 0 && scope.length === 0 ? 'scp (Okta, Azure AD)' : 'scope';
  if (missing.length === 0) return passed('scope', `has ${required.join(' ')} (from ${from})`);
  return failed(
    'scope',
    `lacks ${missing.join(' ')}`,
    { claim: from, expected: required, actual: [...held] },
    held.size === 0
      ? ['The token has neither scope nor scp: request the scopes in the authorization request']
      : [],
  );
}
