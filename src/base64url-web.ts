import { BASE64URL_OR_EMPTY } from './compact-jws.js';

/**
 * Decoding of a compact JWS's base64url segments for every runtime but Node (Bun, Deno, Workers,
 * browsers), with `atob` and `TextDecoder`; picked by the `#base64url` import's `default` condition.
 * `base64url-node.ts` is its node:buffer sibling: both accept and refuse exactly the same segments.
 */

/** The decoder's name, for diagnostics and tests. */
export const base64urlDecoder: 'node:buffer' | 'atob' = 'atob';

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A byte above 0x7f in the one-character-per-byte string `atob` returns. */
const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * The bytes of `segment`, or `undefined` when it is not canonical unpadded base64url (RFC 7515 §2,
 * RFC 4648 §3.5): only the URL-safe alphabet, no padding, and zero unused bits in the final group.
 */
export function base64urlBytes(segment: string): Uint8Array | undefined {
  const binary = base64urlBinary(segment);
  if (binary === undefined) return undefined;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The UTF-8 text `segment` encodes, or `undefined` when it is not canonical unpadded base64url.
 * Throws a `TypeError` when the bytes are not strict UTF-8 (RFC 7519 §7.2 step 4); a leading byte
 * order mark is dropped, as `TextDecoder` does.
 */
export function base64urlText(segment: string): string | undefined {
  const binary = base64urlBinary(segment);
  if (binary === undefined) return undefined;
  // `atob` gives one character per byte; when every byte is ASCII that string already is the text,
  // which spares the byte array and the decoder on the common path.
  if (!NON_ASCII.test(binary)) return binary;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return utf8.decode(bytes);
}

/** `atob`'s one-character-per-byte string of a canonical segment; `undefined` for any other. */
function base64urlBinary(segment: string): string | undefined {
  // atob alone would also take `+`, `/`, `=` and white space.
  if (!BASE64URL_OR_EMPTY.test(segment) || !hasZeroSpareBits(segment)) return undefined;
  try {
    return atob(segment.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    // A length of 4n + 1 characters encodes no whole byte.
    return undefined;
  }
}

/**
 * RFC 4648 §3.5: in an unpadded final group, the unused low bits must be zero. Decoders ignore them,
 * so without this check one signed token has several spellings that all verify.
 */
function hasZeroSpareBits(segment: string): boolean {
  const spareBits = ((segment.length % 4) * 6) % 8;
  if (spareBits === 0) return true;
  const last = BASE64URL_ALPHABET.indexOf(segment[segment.length - 1] as string);
  return (last & ((1 << spareBits) - 1)) === 0;
}
