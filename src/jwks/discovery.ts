import { FetchFailure, type FetchLimits, fetchJson } from './fetch-json.js';

/**
 * Finds an issuer's `jwks_uri`: OpenID Connect Discovery 1.0 §4 first, then RFC 8414 §3.
 * The document's `issuer` must equal the configured one exactly (OIDC Discovery §4.3,
 * RFC 8414 §3.3), which stops a document from one issuer steering keys for another.
 */
export function discoverJwksUri(issuer: string, limits: FetchLimits): Promise<string> {
  return discoverEndpoint(issuer, 'jwks_uri', limits);
}

/**
 * Finds a URL member of an issuer's metadata (`jwks_uri`, `introspection_endpoint`), looking in the
 * same documents, in the same order and with the same issuer check as {@link discoverJwksUri}.
 */
export async function discoverEndpoint(issuer: string, member: string, limits: FetchLimits): Promise<string> {
  let lastFailure: FetchFailure | undefined;
  for (const url of discoveryUrls(issuer)) {
    try {
      const { body } = await fetchJson(url, limits);
      return metadataMember(body, issuer, member);
    } catch (error) {
      lastFailure = error instanceof FetchFailure ? error : new FetchFailure('discovery failed');
    }
  }
  throw lastFailure ?? new FetchFailure('discovery failed');
}

/** The two well-known locations, in the order they are tried. */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const oidc = `${url.origin}${path}/.well-known/openid-configuration`;
  // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
  const oauth = `${url.origin}/.well-known/oauth-authorization-server${path}`;
  return [oidc, oauth];
}

/**
 * The URL member `member` of a metadata document fetched for `issuer`, once the document is an object
 * naming exactly that issuer. Throws a {@link FetchFailure} saying what is wrong.
 */
export function metadataMember(body: unknown, issuer: string, member: string): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FetchFailure('discovery document is not a JSON object');
  }
  const document = body as Record<string, unknown>;
  if (document.issuer !== issuer) {
    // Quoted for logs: a trailing slash or an http/https difference is the usual cause.
    throw new FetchFailure(
      `discovery document names a different issuer (${JSON.stringify(String(document.issuer).slice(0, 200))}, expected ${JSON.stringify(issuer)})`,
    );
  }
  const value = document[member];
  if (typeof value !== 'string') {
    throw new FetchFailure(`discovery document has no ${member}`);
  }
  return value;
}
