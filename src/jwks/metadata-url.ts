import { describeValue } from '../option-checks.js';
import { isAllowedMetadataUrl } from './fetch-json.js';

/** What a configured metadata URL may carry besides scheme, host and path. */
export interface MetadataUrlRules {
  /**
   * Whether a query is allowed: not in an issuer identifier (RFC 8414 §2), but in a key set URL
   * (Azure AD's `/discovery/v2.0/keys?appid=...`).
   */
  readonly query: boolean;
}

/** A host name, with an optional port and path, written without a scheme: `tenant.eu.auth0.com`. */
const BARE_HOST = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?(?:\/[^\s?#]*)?$/;

/**
 * Checks a configured `issuer` or `jwksUri` when the verifier or provider is built: an absolute
 * `https` URL (plain `http` only to the loopback interface, for development), without user
 * information or fragment, and without a query where `rules` forbid one. The value is returned as
 * given: an issuer is compared exactly with `iss`, so it is never normalised.
 *
 * A bare host name is refused with a hint at the URL most likely meant, since copying the "domain"
 * field of a provider's console is the usual way to get it wrong.
 */
export function checkMetadataUrlOption(value: unknown, name: string, rules: MetadataUrlRules): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`tokenwarden: ${name} must be an absolute https URL (got ${describeValue(value)})`);
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) && BARE_HOST.test(value)) {
    const suggestion = `https://${value}${value.includes('/') ? '' : '/'}`;
    throw new TypeError(
      `tokenwarden: ${name} must be an absolute https URL, not a bare host name; did you mean ${suggestion}?`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(
      `tokenwarden: ${name} must be an absolute https URL (got a string that is not a URL)`,
    );
  }
  if (!isAllowedMetadataUrl(value)) {
    throw new TypeError(
      `tokenwarden: ${name} must use https (plain http only for localhost, 127.x or [::1])`,
    );
  }
  // Never echo the value here: user information may hold a password.
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`tokenwarden: ${name} must not carry user information (user:password@)`);
  }
  if (value.includes('#')) throw new TypeError(`tokenwarden: ${name} must not have a fragment`);
  if (!rules.query && value.includes('?')) {
    throw new TypeError(`tokenwarden: ${name} must not have a query (RFC 8414 §2)`);
  }
  return value;
}
