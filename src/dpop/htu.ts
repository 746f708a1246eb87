/** RFC 3986 §2.3 unreserved characters: percent-encoding one of them changes nothing (§6.2.2.2). */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * The form of an HTTP URI that `htu` is compared in (RFC 9449 §4.3 check 9): the URI without its
 * query and fragment, after syntax- and scheme-based normalisation (RFC 3986 §6.2.2, §6.2.3). `URL`
 * lower-cases scheme and host, drops the default port, turns an empty path into `/` and removes
 * dot segments; percent-encodings are then normalised by hand, which `URL` does not do.
 *
 * Returns `undefined` for anything but an absolute `http`/`https` URI without user information.
 */
export function normaliseHttpUri(value: string | URL): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  // Credentials never belong in a proof's htu; refusing them keeps two spellings from matching.
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${normalisePercentEncoding(url.pathname)}`;
}

/** RFC 3986 §6.2.2.1 (hex digits upper-case) and §6.2.2.2 (unreserved characters decoded). */
function normalisePercentEncoding(path: string): string {
  return path.replace(/%[0-9A-Fa-f]{2}/g, (encoded) => {
    const character = String.fromCharCode(Number.parseInt(encoded.slice(1), 16));
    return UNRESERVED.test(character) ? character : encoded.toUpperCase();
  });
}
