/**
 * The shape of a compact JWS (RFC 7515 §7.1): three segments of unpadded base64url (§2). Access
 * tokens and DPoP proofs are both held to it before any segment is decoded.
 */

/** A segment of unpadded base64url (RFC 7515 §2): at least one character of the URL-safe alphabet. */
export const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * A whole compact JWS in one pattern: the same rules as {@link isCompactJws}, for the token decoder,
 * which then finds the two dots itself.
 */
export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * An unsecured JWS (`alg: none`, RFC 7515 §A.5) has an empty signature; letting it through the shape
 * check lets it reach the algorithm check, which refuses it with its own message.
 */
export const BASE64URL_OR_EMPTY = /^[A-Za-z0-9_-]*$/;

/** Whether `parts`, a compact serialisation split on `.`, are a header, a payload and a signature. */
export function isCompactJws(parts: readonly string[]): parts is [string, string, string] {
  const [header, payload, signature] = parts as readonly [string, string, string];
  return (
    parts.length === 3 &&
    BASE64URL.test(header) &&
    BASE64URL.test(payload) &&
    BASE64URL_OR_EMPTY.test(signature)
  );
}
