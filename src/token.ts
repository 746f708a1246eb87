import type { ProtectedHeaderParameters } from 'jose';
import { base64urlBytes, base64urlText } from '#base64url';
import type { AccessTokenClaims } from './claims.js';
import { COMPACT_JWS } from './compact-jws.js';
import { deepFreeze } from './deep-freeze.js';
import { TokenError } from './errors.js';

/** Default largest token accepted, in characters: 16 KiB. */
export const DEFAULT_MAX_TOKEN_SIZE = 16 * 1024;

/**
 * The unverified parts of a compact JWS, each decoded once: the signature backend gets the signing
 * input and the signature's bytes from here, and never parses the token again.
 */
export interface DecodedToken {
  readonly header: ProtectedHeaderParameters;
  readonly claims: AccessTokenClaims;
  /** The `header.payload` text the signature covers (RFC 7515 §5.2 step 8). */
  readonly signingInput: string;
  /** The signature segment's bytes, checked to be canonical base64url. */
  readonly signature: Uint8Array;
}

/**
 * Headers already decoded, by their base64url segment: the tokens of one issuer and key share a
 * header, so a verifier decodes it once. Each is frozen, since tokens share it.
 */
export type KnownHeaders = Map<string, ProtectedHeaderParameters>;

/** The most header segments a {@link KnownHeaders} keeps: past it, it starts again empty. */
const MAX_KNOWN_HEADERS = 64;

/**
 * Splits and decodes a compact JWS (RFC 7515 §7.1) without trusting it. Size is checked before any
 * parsing, and each segment must be strict unpadded base64url (RFC 7515 §2); the header and payload
 * must be strict UTF-8 (RFC 7519 §7.2) holding a JSON object. A header found in `knownHeaders` is
 * not decoded again; one decoded here is added to it.
 */
export function decodeToken(token: string, maxSize: number, knownHeaders?: KnownHeaders): DecodedToken {
  if (token.length > maxSize) {
    throw new TokenError('token_malformed', 'The token is larger than this API accepts');
  }
  const headerEnd = token.indexOf('.');
  const payloadEnd = token.indexOf('.', headerEnd + 1);
  // Three segments, the first two not empty (an unsecured JWS has an empty signature; the algorithm
  // check refuses it by name).
  if (headerEnd < 1 || payloadEnd <= headerEnd + 1 || token.indexOf('.', payloadEnd + 1) !== -1) {
    throw notCompactJws(token);
  }
  const headerSegment = token.slice(0, headerEnd);
  const known = knownHeaders?.get(headerSegment);
  const headerText = known === undefined ? decodeText(headerSegment, 'header', token) : undefined;
  const payloadText = decodeText(token.slice(headerEnd + 1, payloadEnd), 'payload', token);
  const signature = base64urlBytes(token.slice(payloadEnd + 1));
  if (signature === undefined) throw notCompactJws(token);
  const header = known ?? rememberHeader(knownHeaders, headerSegment, headerText as string);
  return {
    header,
    claims: parseJsonObject(payloadText, 'payload') as AccessTokenClaims,
    signingInput: token.slice(0, payloadEnd),
    signature,
  };
}

function rememberHeader(
  knownHeaders: KnownHeaders | undefined,
  segment: string,
  text: string,
): ProtectedHeaderParameters {
  const header = parseJsonObject(text, 'header') as ProtectedHeaderParameters;
  if (knownHeaders !== undefined) {
    // A stream of made-up headers only ever costs their decoding: the memory stays bounded.
    if (knownHeaders.size >= MAX_KNOWN_HEADERS) knownHeaders.clear();
    knownHeaders.set(segment, deepFreeze(header));
  }
  return header;
}

/** A segment's UTF-8 text; a segment that is not canonical base64url makes the token malformed. */
function decodeText(segment: string, what: string, token: string): string {
  let text: string | undefined;
  try {
    text = base64urlText(segment);
  } catch {
    throw new TokenError('token_malformed', `The token ${what} is not valid JSON`);
  }
  if (text === undefined) throw notCompactJws(token);
  return text;
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TokenError('token_malformed', `The token ${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenError('token_malformed', `The token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Names what is wrong with a token that is not a compact JWS of canonical base64url segments. */
function notCompactJws(token: string): TokenError {
  if (COMPACT_JWS.test(token)) {
    return new TokenError('token_malformed', 'The token is not canonically base64url-encoded');
  }
  if (token.split('.').length === 5) {
    return new TokenError('token_malformed', 'Encrypted tokens (JWE) are not accepted');
  }
  return new TokenError('token_malformed', 'The token is not a compact JWS');
}
