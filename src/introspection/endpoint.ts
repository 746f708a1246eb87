import { discoverEndpoint } from '../jwks/discovery.js';
import { FetchFailure, type FetchLimits, isAllowedMetadataUrl } from '../jwks/fetch-json.js';

/** The introspection endpoint URL, discovered once when it was not configured. */
export interface EndpointSource {
  /** The URL, discovering it first when needed. */
  get(): Promise<string>;
  /** The URL when it is already known, for events; `undefined` until discovery has succeeded. */
  known(): string | undefined;
}

/**
 * The configured endpoint, or one looked up in the issuer's metadata (`introspection_endpoint`,
 * RFC 8414 §2; OIDC Discovery first, as for key sets). A successful lookup is kept for the life of
 * the introspector; a failed one is not, so the next request tries again. Concurrent requests share
 * one lookup.
 */
export function endpointSource(
  endpoint: string | undefined,
  issuer: string | undefined,
  limits: FetchLimits,
): EndpointSource {
  if (endpoint !== undefined) {
    const configured = Promise.resolve(endpoint);
    return { get: () => configured, known: () => endpoint };
  }
  let pending: Promise<string> | undefined;
  let found: string | undefined;
  return {
    get() {
      pending ??= discover(issuer as string, limits).then(
        (url) => {
          found = url;
          return url;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
    known: () => found,
  };
}

async function discover(issuer: string, limits: FetchLimits): Promise<string> {
  const url = await discoverEndpoint(issuer, 'introspection_endpoint', limits);
  // The document is trusted for where to go, not for how: the rules of a configured endpoint hold.
  if (!isAllowedMetadataUrl(url)) {
    throw new FetchFailure('the discovered introspection_endpoint is not an https URL');
  }
  return url;
}
