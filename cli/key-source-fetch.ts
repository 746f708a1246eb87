import { discoveryUrls, metadataMember } from '../src/jwks/discovery.js';
import { type FetchedJson, FetchFailure, type FetchLimits, fetchJson } from '../src/jwks/fetch-json.js';
import { JWKS_DEFAULTS } from '../src/jwks/provider.js';

/**
 * How `tokenwarden explain` and `tokenwarden keys` fetch an issuer's discovery document and key set:
 * through the verifier's own fetching code, with a verifier's default limits (https only but for
 * loopback, redirects checked hop by hop, a deadline, a size cap), recording each URL's outcome.
 */

/** One HTTP request made to find the keys, and how it went. */
export interface FetchReport {
  readonly url: string;
  readonly status: number | string;
  readonly note?: string | undefined;
}

/** The limits a verifier's remote key set fetches with, by default. */
const LIMITS: FetchLimits = {
  timeoutMs: JWKS_DEFAULTS.timeoutMs,
  maxBytes: JWKS_DEFAULTS.maxResponseBytes,
  fetch: undefined,
};

/** Fetches `url` as the verifier would, recording its status, or the failure, in `fetches`. */
export async function fetchReported(url: string, fetches: FetchReport[]): Promise<FetchedJson | undefined> {
  try {
    return await fetchJson(url, LIMITS);
  } catch (error) {
    const failure = error instanceof FetchFailure ? error : undefined;
    fetches.push({
      url,
      status: failure?.status ?? 'failed',
      note: failure?.message ?? 'unexpected failure',
    });
    return undefined;
  }
}

/**
 * The key set URL `issuer`'s discovery document names (OpenID Connect Discovery, then RFC 8414),
 * checked as a verifier checks it (the document's `issuer` must be `issuer`); each URL tried is
 * recorded in `fetches`. `undefined` when no document names one.
 */
export async function discoverKeySetUrl(issuer: string, fetches: FetchReport[]): Promise<string | undefined> {
  for (const url of discoveryUrls(issuer)) {
    const fetched = await fetchReported(url, fetches);
    if (fetched === undefined) continue;
    try {
      const jwksUri = metadataMember(fetched.body, issuer, 'jwks_uri');
      fetches.push({ url, status: 200, note: `jwks_uri ${jwksUri}` });
      return jwksUri;
    } catch (error) {
      fetches.push({ url, status: 200, note: (error as Error).message });
    }
  }
  return undefined;
}
