import { isUtf8 } from 'node:buffer';
import * as web from './base64url-web.js';
import { useWebModules } from './node-backend-choice.js';

/**
 * Decoding of a compact JWS's base64url segments on Node, with node:buffer: picked by the
 * `#base64url` import's `node` condition. It accepts and refuses exactly the segments
 * `base64url-web.ts` does, with less work per token (docs/benchmarks.md): Node's decoder is
 * native, but lenient (it skips characters outside the alphabet and ignores unused bits), so a
 * segment is accepted only when encoding its bytes again gives the segment back — which holds for
 * canonical unpadded base64url and nothing else (RFC 7515 §2, RFC 4648 §3.5).
 */

function nodeBytes(segment: string): Buffer | undefined {
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

/** UTF-8's byte order mark, which `TextDecoder` drops and `Buffer#toString` keeps. */
function startsWithByteOrderMark(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function nodeText(segment: string): string | undefined {
  const bytes = nodeBytes(segment);
  if (bytes === undefined) return undefined;
  if (!isUtf8(bytes)) throw new TypeError('The bytes are not valid UTF-8');
  return bytes.toString('utf8', startsWithByteOrderMark(bytes) ? 3 : 0);
}

/** The decoder's name, for diagnostics and tests. */
export const base64urlDecoder: 'node:buffer' | 'atob' = useWebModules ? 'atob' : 'node:buffer';

/** See `base64url-web.ts`: the bytes of a canonical unpadded base64url segment, else `undefined`. */
export const base64urlBytes: (segment: string) => Uint8Array | undefined = useWebModules
  ? web.base64urlBytes
  : nodeBytes;

/** See `base64url-web.ts`: the strict UTF-8 text of a canonical segment, else `undefined`. */
export const base64urlText: (segment: string) => string | undefined = useWebModules
  ? web.base64urlText
  : nodeText;
