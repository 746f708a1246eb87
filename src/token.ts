import { base64url, type ProtectedHeaderParameters } from 'jose';
import type { AccessTokenClaims } from './claims.js';
import { TokenError } from './errors.js';

/** Default largest token accepted, in characters: 16 KiB. */
export const DEFAULT_MAX_TOKEN_SIZE = 16 * 1024;

/** The unverified parts of a compact JWS. */
export interface DecodedToken {
  readonly header: ProtectedHeaderParameters;
  readonly claims: AccessTokenClaims;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits and decodes a compact JWS (RFC 7515 §7.1) without trusting it. Size is checked before any
 * parsing, and each segment must be strict unpadded base64url (RFC 7515 §2) holding a JSON object.
 */
export function decodeToken(token: string, maxSize: number): DecodedToken {
  if (token.length > maxSize) {
    throw new TokenError('token_malformed', 'The token is larger than this API accepts');
  }
  const parts = token.split('.');
  if (parts.length === 5) {
    throw new TokenError('token_malformed', 'Encrypted tokens (JWE) are not accepted');
  }
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
    throw new TokenError('token_malformed', 'The token is not a compact JWS');
  }
  return {
    header: decodeJsonObject(parts[0] as string, 'header') as ProtectedHeaderParameters,
    claims: decodeJsonObject(parts[1] as string, 'payload') as AccessTokenClaims,
  };
}

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(base64url.decode(segment)));
  } catch {
    throw new TokenError('token_malformed', `The token ${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenError('token_malformed', `The token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
