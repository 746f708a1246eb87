import type { JWK } from 'jose';
import { type AsymmetricAlgorithm, DEFAULT_ALGORITHMS, keyFitsAlgorithm } from '../src/algorithms.js';
import { TokenError } from '../src/errors.js';
import type { FetchedJson } from '../src/jwks/fetch-json.js';
import { importVerificationKey, unusableReason } from '../src/jwks/key-set.js';
import { JWKS_DEFAULTS, type KeySetFreshness, keySetFreshness } from '../src/jwks/provider.js';
import { bitLength } from '../src/key-bounds.js';
import { discoverKeySetUrl, type FetchReport, fetchReported } from './key-source-fetch.js';

/**
 * `tokenwarden keys`: an issuer's key set as tokenwarden sees it. Discovery, the key set and their
 * limits (https only but for loopback, redirects checked hop by hop, a deadline, a size cap) go
 * through the verifier's own fetching code; each key is judged by the rules the key set parser
 * applies, then imported as the verifier would import it.
 */
export interface KeysOptions {
  /** The issuer whose discovery document names the key set; unused with `jwksUri`. */
  readonly issuer?: string | undefined;
  readonly jwksUri?: string | undefined;
}

/** One key of the set and tokenwarden's judgement of it. */
export interface KeyReport {
  readonly kid?: string | undefined;
  readonly kty?: string | undefined;
  readonly alg?: string | undefined;
  readonly use?: string | undefined;
  readonly crv?: string | undefined;
  /** RSA modulus size in bits. */
  readonly modulusBits?: number | undefined;
  /** Whether a verifier would verify tokens with this key. */
  readonly usable: boolean;
  /** For a usable key: the algorithms it verifies; the default ones are RS256, PS256, ES256, EdDSA. */
  readonly algorithms?: readonly string[] | undefined;
  /** Why the key is ignored, or a caveat about a usable one. */
  readonly reason?: string | undefined;
}

/** The key set response's cache headers and the freshness tokenwarden derives from them. */
export interface CacheReport {
  readonly cacheControl: string | undefined;
  readonly expires: string | undefined;
  readonly age: string | undefined;
  readonly etag: string | undefined;
  /** The `max-age` read from Cache-Control (0 for no-store/no-cache), `undefined` when none. */
  readonly maxAge: number | undefined;
  /** With the default `jwksOptions`, in seconds. */
  readonly freshness: KeySetFreshness;
  /** How the freshness came about, in words. */
  readonly notes: readonly string[];
}

export interface KeysReport {
  /** `usable` when at least one key is; `unusable` when none is; `unavailable` when no key set was had. */
  readonly verdict: 'usable' | 'unusable' | 'unavailable';
  readonly fetches: readonly FetchReport[];
  readonly jwksUri?: string | undefined;
  readonly cache?: CacheReport | undefined;
  readonly keys: readonly KeyReport[];
  /** Why the key set could not be had. */
  readonly reason?: string | undefined;
}

/** Every asymmetric algorithm a key may be imported for, the defaults first. */
const ALGORITHMS: readonly AsymmetricAlgorithm[] = [
  ...DEFAULT_ALGORITHMS,
  ...(['RS384', 'RS512', 'PS384', 'PS512', 'ES384', 'ES512', 'Ed25519'] as const).filter(
    (alg) => !DEFAULT_ALGORITHMS.includes(alg),
  ),
];

export async function listKeys(options: KeysOptions): Promise<KeysReport> {
  const fetches: FetchReport[] = [];
  let jwksUri = options.jwksUri;
  if (jwksUri === undefined) {
    jwksUri = await discoverKeySetUrl(options.issuer as string, fetches);
    if (jwksUri === undefined) {
      return { verdict: 'unavailable', fetches, keys: [], reason: 'no discovery document names a jwks_uri' };
    }
  }
  const fetched = await fetchReported(jwksUri, fetches);
  if (fetched === undefined) {
    return { verdict: 'unavailable', fetches, jwksUri, keys: [], reason: String(fetches.at(-1)?.note) };
  }
  const candidates = (fetched.body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(candidates)) {
    fetches.push({ url: jwksUri, status: 200, note: 'not a JWK set (no keys list)' });
    return { verdict: 'unavailable', fetches, jwksUri, keys: [], reason: 'the response is not a JWK set' };
  }
  const keys = await Promise.all(candidates.map(judgeKey));
  const usable = keys.filter((key) => key.usable).length;
  fetches.push({ url: jwksUri, status: 200, note: `${keys.length} keys, ${usable} usable` });
  return {
    verdict: usable > 0 ? 'usable' : 'unusable',
    fetches,
    jwksUri,
    cache: cacheReport(fetched),
    keys,
  };
}

async function judgeKey(candidate: unknown): Promise<KeyReport> {
  const jwk = (typeof candidate === 'object' && candidate !== null ? candidate : {}) as Record<
    string,
    unknown
  >;
  const shown = {
    kid: text(jwk.kid),
    kty: text(jwk.kty),
    alg: text(jwk.alg),
    use: text(jwk.use),
    crv: text(jwk.crv),
    modulusBits: jwk.kty === 'RSA' ? bitLength(jwk.n) : undefined,
  };
  const reason = unusableReason(candidate);
  if (reason !== undefined) return { ...shown, usable: false, reason };
  const fitting = ALGORITHMS.filter((alg) => keyFitsAlgorithm(jwk as JWK, alg));
  if (fitting.length === 0) {
    return { ...shown, usable: false, reason: `no algorithm tokenwarden knows fits it (alg ${shown.alg})` };
  }
  const algorithms: string[] = [];
  let failure: string | undefined;
  for (const alg of fitting) {
    try {
      await importVerificationKey(jwk as JWK, alg);
      algorithms.push(alg);
    } catch (error) {
      failure = error instanceof TokenError ? error.message : 'the key does not import';
    }
  }
  if (algorithms.length === 0) return { ...shown, usable: false, reason: failure };
  const defaults = algorithms.some((alg) => (DEFAULT_ALGORITHMS as readonly string[]).includes(alg));
  return {
    ...shown,
    usable: true,
    algorithms,
    ...(!defaults && {
      reason: `not among the default algorithms: configure algorithms: ['${algorithms[0]}']`,
    }),
  };
}

function cacheReport(fetched: FetchedJson): CacheReport {
  const header = (name: string) => fetched.headers.get(name) ?? undefined;
  const freshness = keySetFreshness(fetched.maxAge, JWKS_DEFAULTS);
  const notes: string[] = [];
  // fetchJson already took the response's Age off max-age (RFC 9111 §4.2.3), as the provider does.
  const age = header('age');
  const maxAge =
    fetched.maxAge === undefined
      ? undefined
      : age === undefined
        ? `max-age ${fetched.maxAge} s`
        : `max-age less Age ${age.trim()} s: ${fetched.maxAge} s`;
  if (fetched.maxAge === undefined) {
    notes.push(`no max-age: the default ${JWKS_DEFAULTS.defaultMaxAge} s`);
  } else if (fetched.maxAge < JWKS_DEFAULTS.minMaxAge) {
    notes.push(`${maxAge} raised to the minimum, ${JWKS_DEFAULTS.minMaxAge} s (minMaxAge)`);
  } else if (fetched.maxAge > JWKS_DEFAULTS.maxMaxAge) {
    notes.push(`${maxAge} lowered to the maximum, ${JWKS_DEFAULTS.maxMaxAge} s (maxMaxAge)`);
  } else {
    notes.push(maxAge as string);
  }
  if (header('expires') !== undefined) notes.push('Expires is not read: Cache-Control max-age counts');
  return {
    cacheControl: header('cache-control'),
    expires: header('expires'),
    age: header('age'),
    etag: header('etag'),
    maxAge: fetched.maxAge,
    freshness,
    notes,
  };
}

/** A member the key set's author chose, as a short string for display. */
function text(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return shown.length > 80 ? `${shown.slice(0, 80)}…` : shown;
}
