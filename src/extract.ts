import { type AuthScheme, TokenError } from './errors.js';
import type { ResourceRequest } from './request.js';

/** Where tokenwarden looks for the access token. Defaults in brackets. */
export interface ExtractOptions {
  /** Read the token from this cookie as well as from the `Authorization` header. [no cookie] */
  readonly cookie?: string | undefined;
  /**
   * Accept `?access_token=` in the URL (RFC 6750 §2.3). Off by default: URLs end up in logs,
   * browser history and `Referer` headers. [false]
   */
  readonly allowQueryToken?: boolean | undefined;
  /** Your own extractor, tried alongside the others; return `undefined` when it finds nothing. */
  readonly getToken?: ((request: ResourceRequest) => string | undefined) | undefined;
}

/** The token found in a request and how it was presented. */
export interface ExtractedToken {
  /** The compact JWT. */
  readonly token: string;
  /** Where it came from. */
  readonly source: 'header' | 'cookie' | 'query' | 'custom';
  /** The scheme it was presented under: `DPoP` only from `Authorization: DPoP` (RFC 9449 §7.1). */
  readonly scheme: AuthScheme;
}

/** RFC 6750 §2.1 `b64token` (RFC 9449 §7.1 reuses it): the only characters the credential may have. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Finds the access token in a request (RFC 6750 §2).
 *
 * Returns `undefined` when there is none: no `Authorization` header or a scheme other than `Bearer`
 * (say `Basic`), which RFC 6750 §3.1 treats as a request without credentials. Throws `request_invalid`
 * for a malformed `Bearer` header and when the token is sent in more than one place (§2).
 */
export function extractToken(
  request: ResourceRequest,
  options: ExtractOptions = {},
): ExtractedToken | undefined {
  const found = findToken(request, options);
  if (found !== undefined) checkTokenSyntax(found);
  return found;
}

/**
 * {@link extractToken} without the character check of an `Authorization` credential, which
 * {@link checkTokenSyntax} does. The verifier runs that check only for a token it has not verified
 * before: one it has verified passed it then, and scanning a long token on every request shows up in
 * a profile of a busy API.
 */
export function findToken(request: ResourceRequest, options: ExtractOptions): ExtractedToken | undefined {
  const fromHeader = credentialFromAuthorization(request.header('authorization'));
  if (options.cookie === undefined && options.allowQueryToken !== true && options.getToken === undefined) {
    return fromHeader;
  }
  const found = fromHeader === undefined ? [] : [fromHeader];
  const add = (token: string | undefined, source: ExtractedToken['source']): void => {
    if (token !== undefined && token !== '') found.push({ token, source, scheme: 'Bearer' });
  };
  if (options.cookie !== undefined) add(readCookie(request.header('cookie'), options.cookie), 'cookie');
  if (options.allowQueryToken === true) add(readQueryToken(request.url), 'query');
  if (options.getToken !== undefined) add(options.getToken(request), 'custom');
  if (found.length > 1) {
    throw new TokenError('request_invalid', 'The access token was sent in more than one place');
  }
  return found[0];
}

/** RFC 6750 §2.1: refuses an `Authorization` credential with characters outside `b64token`. */
export function checkTokenSyntax(found: ExtractedToken): void {
  if (found.source === 'header' && !B64TOKEN.test(found.token)) {
    throw new TokenError('request_invalid', 'The Authorization header is malformed');
  }
}

function credentialFromAuthorization(
  value: string | readonly string[] | undefined,
): ExtractedToken | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length > 1) {
      throw new TokenError('request_invalid', 'More than one Authorization header was sent');
    }
    return credentialFromAuthorization(value[0]);
  }
  const trimmed = value.trim();
  const space = trimmed.indexOf(' ');
  const name = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  // RFC 6750 §2.1, RFC 9449 §7.1: schemes are case-insensitive; any other scheme (say Basic) is
  // simply not an access token.
  const scheme: AuthScheme | undefined = name === 'bearer' ? 'Bearer' : name === 'dpop' ? 'DPoP' : undefined;
  if (scheme === undefined) return undefined;
  const credential = space === -1 ? '' : trimmed.slice(space + 1).trimStart();
  if (credential === '') throw new TokenError('request_invalid', 'The Authorization header is malformed');
  return { token: credential, source: 'header', scheme };
}

function readCookie(header: string | readonly string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const joined = typeof header === 'string' ? header : header.join('; ');
  let value: string | undefined;
  for (const pair of joined.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    if (value !== undefined) {
      throw new TokenError('request_invalid', 'The token cookie was sent more than once');
    }
    value = safeDecode(pair.slice(eq + 1).trim());
  }
  return value === '' ? undefined : value;
}

function readQueryToken(url: string): string | undefined {
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  const values = new URLSearchParams(url.slice(query + 1).split('#')[0]).getAll('access_token');
  if (values.length > 1) {
    throw new TokenError('request_invalid', 'The access_token parameter was sent more than once');
  }
  return values[0] === '' ? undefined : values[0];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new TokenError('request_invalid', 'The token cookie is not valid URL encoding');
  }
}
