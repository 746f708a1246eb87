import type { JSONWebKeySet } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Algorithm } from '../algorithms.js';
import { systemClock } from '../clock.js';
import { TokenError } from '../errors.js';
import { emit } from '../events.js';
import { discoverJwksUri } from './discovery.js';
import { FetchFailure, type FetchLimits, fetchJson } from './fetch-json.js';
import { importVerificationKey, type KeySet, keyNotFound, parseKeySet, selectKey } from './key-set.js';
import {
  checkJwksProviderOptions,
  checkKeySetOption,
  type JwksCacheOptions,
  type JwksProviderOptions,
} from './provider-options.js';

/**
 * Key providers: a fixed key set, and a remote one (RFC 7517) that is fetched, cached and refreshed.
 * Longer than most files because the remote provider's timing rules (refresh ahead, stale while
 * revalidating, stale if error, the unknown-kid cooldown, `Retry-After`, one fetch in flight) are
 * read against each other, so they stay in one class.
 */

/** Where verification keys come from. The verifier asks it once per token it has not seen. */
export interface KeyProvider {
  /**
   * Resolves the key for a token header. Throws `key_not_found` when no key fits and
   * `jwks_unavailable` when the key set cannot be had at all.
   */
  getKey(kid: string | undefined, alg: Algorithm): Promise<CryptoKey>;
  /**
   * Whether `key`, returned earlier by `getKey`, still belongs to the key set requests are answered
   * from. The verified-token cache keeps a token only while this holds, so a key removed from the set
   * stops being honoured once the refetch that removes it completes. May start a background refresh,
   * as `getKey` would. A provider without it gets no caching.
   */
  isCurrentKey?(key: CryptoKey): boolean;
  /**
   * The key `getKey` would resolve to, when it is already imported and no fetch must be waited for;
   * `undefined` otherwise (then the verifier calls `getKey`). Lets a token's verification skip an
   * `await` and a key set lookup once its key is at hand. May start a background refresh, as `getKey`
   * would. A provider without it is always asked through `getKey`.
   */
  currentKey?(kid: string | undefined, alg: Algorithm): CryptoKey | undefined;
  /**
   * Fetches what the provider needs (discovery, the key set) now, unless it holds a usable set;
   * rejects with an `Error` naming the URL and the cause (as `cause`). For start-up: a bad deploy
   * fails at boot rather than with 503s. A provider without it has nothing to fetch.
   */
  ready?(): Promise<void>;
}

/** The remote provider's defaults; `tokenwarden keys` reports freshness with them. */
export const JWKS_DEFAULTS = {
  cooldown: 30,
  timeoutMs: 5000,
  maxResponseBytes: 512 * 1024,
  defaultMaxAge: 600,
  minMaxAge: 60,
  maxMaxAge: 86_400,
  staleIfError: 3600,
} as const;

/**
 * Share of a key set's freshness after which a request starts refreshing it in the background, so that
 * with a healthy key server the new set is in hand before the old one expires.
 */
const REFRESH_AHEAD = 0.8;

/** How long a fetched key set is used, in seconds from its fetch. */
export interface KeySetFreshness {
  /** `max-age` (or the default) within `[minMaxAge, maxMaxAge]`: the set is fresh this long. */
  readonly ttl: number;
  /** From here, a request starts refreshing the set in the background. */
  readonly refreshAfter: number;
  /** Past `ttl`, the set still answers for this long while refetching fails. */
  readonly staleIfError: number;
}

/** The freshness a key set gets from its response's `max-age` (`undefined` when it has none). */
export function keySetFreshness(
  maxAge: number | undefined,
  settings: Pick<Required<JwksCacheOptions>, 'defaultMaxAge' | 'minMaxAge' | 'maxMaxAge' | 'staleIfError'>,
): KeySetFreshness {
  const { defaultMaxAge, minMaxAge, maxMaxAge, staleIfError } = settings;
  const ttl = Math.min(Math.max(maxAge ?? defaultMaxAge, minMaxAge), maxMaxAge);
  return { ttl, refreshAfter: ttl * REFRESH_AHEAD, staleIfError };
}

/** The longest `Retry-After` honoured, in seconds, so a hostile header cannot stall refetching. */
const LONGEST_HONOURED_RETRY_AFTER = 300;

/**
 * A caching, single-flight key provider for a remote JWK set (RFC 7517), discovered from the issuer
 * when no `jwksUri` is given. A token whose key is in the set in hand is answered at once; the set is
 * refreshed in the background from 80 % of its freshness on (stale-while-revalidate, within
 * `staleIfError`). Only a first fetch, a set past `staleIfError` or an unknown `kid` waits for a fetch.
 *
 * @example
 * ```ts
 * const keys = createJwksProvider({ issuer: 'https://tenant.example.com/' });
 * const verifier = createVerifier({ issuer, audience, keyProvider: keys });
 * ```
 */
export function createJwksProvider(options: JwksProviderOptions): KeyProvider {
  return new RemoteKeyProvider(options);
}

/** A provider for a fixed key set, for tests and for issuers whose keys are configured, not fetched. */
export function createStaticKeyProvider(keySet: JSONWebKeySet): KeyProvider {
  checkKeySetOption(keySet, 'keySet');
  const parsed = parseKeySet(keySet).keySet;
  const imported = new KeyImportCache();
  return {
    getKey: async (kid, alg) => {
      const jwk = selectKey(parsed, kid, alg);
      if (jwk === undefined) throw keyNotFound(parsed, kid, alg);
      return imported.get(jwk, kid, alg);
    },
    isCurrentKey: (key) => imported.holds(key),
    // A fixed set never changes, so a key imported for (kid, alg) stays the one selectKey picks.
    currentKey: (kid, alg) => imported.ready(kid, alg),
  };
}

/** One imported key: the import in progress, then its result once it has settled successfully. */
interface ImportedKey {
  readonly pending: Promise<CryptoKey>;
  ready: CryptoKey | undefined;
}

/**
 * Imported Web Crypto keys, so a JWK is parsed and imported once per algorithm, and the record of
 * which imported keys belong to the current set.
 */
class KeyImportCache {
  readonly #keys = new LRUCache<string, ImportedKey>({ max: 256 });
  #current = new WeakSet<CryptoKey>();

  get(jwk: Parameters<typeof importVerificationKey>[0], kid: string | undefined, alg: Algorithm) {
    const cacheKey = importCacheKey(kid, alg);
    let entry = this.#keys.get(cacheKey);
    if (entry === undefined) {
      const generation = this.#current;
      const created: ImportedKey = {
        pending: importVerificationKey(jwk, alg).then((imported) => {
          // A key imported while the set was being replaced belongs to the old set only.
          if (generation === this.#current) {
            generation.add(imported);
            created.ready = imported;
          }
          return imported;
        }),
        ready: undefined,
      };
      entry = created;
      this.#keys.set(cacheKey, entry);
    }
    return entry.pending;
  }

  /** The key for (kid, alg) if its import has finished for the current set, without waiting. */
  ready(kid: string | undefined, alg: Algorithm): CryptoKey | undefined {
    return this.#keys.get(importCacheKey(kid, alg))?.ready;
  }

  holds(key: CryptoKey): boolean {
    return this.#current.has(key);
  }

  clear(): void {
    this.#keys.clear();
    this.#current = new WeakSet();
  }
}

function importCacheKey(kid: string | undefined, alg: Algorithm): string {
  return `${kid ?? ''}\u0000${alg}`;
}

class RemoteKeyProvider implements KeyProvider {
  readonly #options: JwksProviderOptions;
  readonly #settings: Required<{ [K in keyof JwksCacheOptions]-?: number }>;
  readonly #limits: FetchLimits;
  readonly #clock: () => number;
  readonly #imported = new KeyImportCache();
  #jwksUri: string | undefined;
  #keySet: KeySet | undefined;
  /** From here on, a request starts a background refresh: before expiry, so none has to wait. */
  #refreshFrom = Number.NEGATIVE_INFINITY;
  /** Until here the set answers requests; past it, a request must wait for a fetch. */
  #staleUntil = Number.NEGATIVE_INFINITY;
  /** When the last fetch attempt of any kind started. */
  #lastAttempt = Number.NEGATIVE_INFINITY;
  /** After a failed attempt: no attempt of any kind before this (cooldown or `Retry-After`). */
  #retryFrom = Number.NEGATIVE_INFINITY;
  /** When a request last refetched (or waited for a fetch) because its kid was not in the set. */
  #lastUnknownKidFetch = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;
  /** Why the last fetch failed, for the detail and cause of `jwks_unavailable`; cleared by a success. */
  #lastFailure: { readonly uri: string; readonly reason: string; readonly error: unknown } | undefined;

  constructor(options: JwksProviderOptions) {
    const checked = checkJwksProviderOptions(options);
    if (options.jwksUri === undefined && options.issuer === undefined) {
      throw new TypeError('createJwksProvider needs jwksUri or issuer');
    }
    this.#options = options;
    this.#jwksUri = options.jwksUri;
    this.#settings = {
      cooldown: checked.cooldown ?? JWKS_DEFAULTS.cooldown,
      timeoutMs: checked.timeoutMs ?? JWKS_DEFAULTS.timeoutMs,
      maxResponseBytes: checked.maxResponseBytes ?? JWKS_DEFAULTS.maxResponseBytes,
      defaultMaxAge: checked.defaultMaxAge ?? JWKS_DEFAULTS.defaultMaxAge,
      minMaxAge: checked.minMaxAge ?? JWKS_DEFAULTS.minMaxAge,
      maxMaxAge: checked.maxMaxAge ?? JWKS_DEFAULTS.maxMaxAge,
      staleIfError: checked.staleIfError ?? JWKS_DEFAULTS.staleIfError,
    };
    this.#limits = {
      timeoutMs: this.#settings.timeoutMs,
      maxBytes: this.#settings.maxResponseBytes,
      fetch: options.fetch,
    };
    this.#clock = options.clock ?? systemClock;
  }

  async getKey(kid: string | undefined, alg: Algorithm): Promise<CryptoKey> {
    const now = this.#clock();
    // Every freshness comparison with NaN is false, which would keep a set in use for ever.
    if (!Number.isFinite(now)) {
      throw new TokenError(
        'jwks_unavailable',
        'The key set freshness cannot be judged without a clock reading',
      );
    }
    let waited = false;
    if (now >= this.#refreshFrom && !this.#answersWhileRefreshing(now)) {
      // No usable set: the first fetch, or the last good set is past staleIfError.
      waited = await this.#waitForFetch(now);
    }
    let jwk = selectKey(this.#usableKeySet(), kid, alg);
    if (jwk === undefined && !waited) {
      // An unknown kid may mean the issuer rotated keys: look in a newer set.
      waited = await this.#fetchForUnknownKid(now);
      if (waited) jwk = selectKey(this.#usableKeySet(), kid, alg);
    }
    if (jwk === undefined) {
      // A fetch this request waited for is its refetch: the next unknown kid cools down from here.
      if (waited) this.#lastUnknownKidFetch = Math.max(this.#lastUnknownKidFetch, now);
      throw keyNotFound(this.#keySet, kid, alg);
    }
    return this.#imported.get(jwk, kid, alg);
  }

  async ready(): Promise<void> {
    const now = this.#clock();
    if (this.#keySet !== undefined && now < this.#staleUntil) return;
    // Right after a failure the cooldown holds: that failure is the answer.
    if (this.#inflight !== undefined || now >= this.#retryFrom) await this.#refresh();
    if (this.#keySet !== undefined) return;
    const failure = this.#lastFailure;
    throw new Error(
      `tokenwarden: cannot fetch the signing keys from ${failure?.uri ?? this.#uriForEvents()}: ${failure?.reason ?? 'no key set fetched'}`,
      { cause: failure?.error },
    );
  }

  isCurrentKey(key: CryptoKey): boolean {
    const now = this.#clock();
    if (!Number.isFinite(now)) return false;
    return (now < this.#refreshFrom || this.#answersWhileRefreshing(now)) && this.#imported.holds(key);
  }

  currentKey(kid: string | undefined, alg: Algorithm): CryptoKey | undefined {
    // Import entries are keyed by (kid, alg) and cleared with each new set, so a ready one is
    // exactly what selectKey and the import would give for the set in hand.
    const now = this.#clock();
    if (!Number.isFinite(now)) return undefined;
    return now < this.#refreshFrom || this.#answersWhileRefreshing(now)
      ? this.#imported.ready(kid, alg)
      : undefined;
  }

  /**
   * Called once the set is due for a refresh: starts one in the background when allowed, and says
   * whether the set in hand may keep answering meanwhile (it may until staleIfError runs out).
   */
  #answersWhileRefreshing(now: number): boolean {
    if (now >= this.#staleUntil) return false;
    if (
      this.#inflight === undefined &&
      now >= this.#retryFrom &&
      now - this.#lastAttempt >= this.#settings.cooldown
    ) {
      // Nobody awaits this refresh: #load reports its failures as jwks_fetch_failed, and the catch
      // keeps anything else (a throwing clock) from becoming an unhandled rejection.
      this.#refresh().catch(() => undefined);
    }
    return true;
  }

  /** With no usable set: waits for the fetch in flight or a new one, unless a failure is too recent. */
  async #waitForFetch(now: number): Promise<boolean> {
    if (this.#inflight === undefined && now < this.#retryFrom) return false;
    await this.#refresh();
    return true;
  }

  /**
   * For a kid not in the set: waits for the fetch in flight, or starts one unless an unknown kid
   * fetched within the cooldown or a failure is too recent. Only unknown-kid fetches space each other
   * out, so a key published right after a scheduled or first fetch is picked up at once.
   */
  async #fetchForUnknownKid(now: number): Promise<boolean> {
    if (this.#inflight === undefined) {
      if (now < this.#retryFrom || now - this.#lastUnknownKidFetch < this.#settings.cooldown) {
        emit(this.#options.onEvent, { type: 'jwks_cooldown', uri: this.#uriForEvents() });
        return false;
      }
      this.#lastUnknownKidFetch = now;
    }
    await this.#refresh();
    return true;
  }

  /** The current set, if it is fresh or still within its stale-if-error allowance. */
  #usableKeySet(): KeySet {
    if (this.#keySet === undefined || this.#clock() >= this.#staleUntil) {
      const failure = this.#lastFailure;
      throw new TokenError('jwks_unavailable', 'The signing keys cannot be fetched right now', {
        cause: failure?.error,
        detail: {
          uri: failure?.uri ?? this.#uriForEvents(),
          reason: failure?.reason ?? 'no key set fetched yet',
          ...(failure?.error instanceof FetchFailure &&
            failure.error.status !== undefined && { status: failure.error.status }),
        },
      });
    }
    return this.#keySet;
  }

  /** Single flight: concurrent callers share one fetch. */
  #refresh(): Promise<void> {
    this.#inflight ??= this.#load().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #load(): Promise<void> {
    const startedAt = this.#clock();
    this.#lastAttempt = startedAt;
    try {
      this.#jwksUri ??= await discoverJwksUri(this.#options.issuer as string, this.#limits);
      const { body, maxAge } = await fetchJson(this.#jwksUri, this.#limits);
      let parsed: ReturnType<typeof parseKeySet>;
      try {
        parsed = parseKeySet(body);
      } catch {
        throw new FetchFailure('response is not a JWK set');
      }
      for (const { kid, reason } of parsed.ignored) {
        emit(this.#options.onEvent, { type: 'jwks_key_ignored', uri: this.#jwksUri, kid, reason });
      }
      // An empty set is far more likely a broken deployment than a real rotation to no keys.
      if (parsed.keySet.size === 0) throw new FetchFailure('JWK set has no usable signing keys');
      const { ttl, refreshAfter, staleIfError } = keySetFreshness(maxAge, this.#settings);
      const now = this.#clock();
      this.#keySet = parsed.keySet;
      this.#imported.clear();
      this.#refreshFrom = now + refreshAfter;
      this.#staleUntil = now + ttl + staleIfError;
      this.#retryFrom = Number.NEGATIVE_INFINITY;
      this.#lastFailure = undefined;
      emit(this.#options.onEvent, {
        type: 'jwks_fetched',
        uri: this.#jwksUri,
        keyCount: parsed.keySet.size,
      });
    } catch (error) {
      // RFC 6585 §4 / RFC 9110 §10.2.3: a rate-limited or overloaded key server says when to come
      // back. The next attempt waits for the longer of the cooldown and that, counted from this
      // attempt, but never more than 5 minutes.
      const retryAfter = error instanceof FetchFailure ? (error.retryAfter ?? 0) : 0;
      const wait = Math.max(this.#settings.cooldown, Math.min(retryAfter, LONGEST_HONOURED_RETRY_AFTER));
      this.#retryFrom = startedAt + wait;
      const reason = error instanceof FetchFailure ? error.message : 'unexpected failure';
      this.#lastFailure = { uri: this.#uriForEvents(), reason, error };
      emit(this.#options.onEvent, {
        type: 'jwks_fetch_failed',
        uri: this.#uriForEvents(),
        reason,
        servingStale: this.#keySet !== undefined && this.#clock() < this.#staleUntil,
      });
    }
  }

  #uriForEvents(): string {
    return this.#jwksUri ?? (this.#options.issuer as string);
  }
}
