import type { ProtectedHeaderParameters } from 'jose';
import type { AccessTokenClaims } from './claims.js';
import { COMPACT_JWS } from './compact-jws.js';
import { TokenError } from './errors.js';

/** Default largest token accepted, in characters: 16 KiB. */
export const DEFAULT_MAX_TOKEN_SIZE = 16 * 1024;

/**
 * The unverified parts of a compact JWS, each decoded once: the signature backend gets the signing
 * input and the signature segment from here, and never parses the token again.
 */
export interface DecodedToken {
  readonly header: ProtectedHeaderParameters;
  readonly claims: AccessTokenClaims;
  /** The `header.payload` text the signature covers (RFC 7515 §5.2 step 8). */
  readonly signingInput: string;
  /** The signature segment, checked to be canonical base64url. */
  readonly signature: string;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits and decodes a compact JWS (RFC 7515 §7.1) without trusting it. Size is checked before any
 * parsing, and each segment must be strict unpadded base64url (RFC 7515 §2) holding a JSON object.
 */
export function decodeToken(token: string, maxSize: number): DecodedToken {
  if (token.length > maxSize) {
    throw new TokenError('token_malformed', 'The token is larger than this API accepts');
  }
  // One scan of the whole text instead of a split and a test per segment: this runs for every token
  // not recalled from the cache.
  if (!COMPACT_JWS.test(token)) {
    if (token.split('.').length === 5) {
      throw new TokenError('token_malformed', 'Encrypted tokens (JWE) are not accepted');
    }
    throw new TokenError('token_malformed', 'The token is not a compact JWS');
  }
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.indexOf('.', headerEnd + 1);
  const header = token.slice(0, headerEnd);
  const payload = token.slice(headerEnd + 1, payloadEnd);
  const signature = token.slice(payloadEnd + 1);
  if (!isCanonical(header) || !isCanonical(payload) || !isCanonical(signature)) {
    throw new TokenError('token_malformed', 'The token is not canonically base64url-encoded');
  }
  return {
    header: decodeJsonObject(header, 'header') as ProtectedHeaderParameters,
    claims: decodeJsonObject(payload, 'payload') as AccessTokenClaims,
    signingInput: token.slice(0, payloadEnd),
    signature,
  };
}

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decodeUtf8Segment(segment));
  } catch {
    throw new TokenError('token_malformed', `The token ${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenError('token_malformed', `The token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A byte above 0x7f in the one-character-per-byte string `atob` returns. */
const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * The UTF-8 text of a base64url segment already checked against the alphabet. `atob` gives one
 * character per byte; when every byte is ASCII that string already is the UTF-8 text, which spares
 * the byte array and the decoder on the common path. Other bytes go through the strict decoder, so
 * invalid UTF-8 is still refused (RFC 7519 §7.2 step 4).
 */
function decodeUtf8Segment(segment: string): string {
  const binary = atob(segment.replace(/-/g, '+').replace(/_/g, '/'));
  if (!NON_ASCII.test(binary)) return binary;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return utf8.decode(bytes);
}

/**
 * RFC 4648 §3.5: in an unpadded final group, the unused low bits must be zero. Decoders ignore them,
 * so without this check one signed token has several spellings that all verify.
 */
function isCanonical(segment: string): boolean {
  const spareBits = ((segment.length % 4) * 6) % 8;
  if (spareBits === 0) return true;
  const last = BASE64URL_ALPHABET.indexOf(segment[segment.length - 1] as string);
  return (last & ((1 << spareBits) - 1)) === 0;
}
