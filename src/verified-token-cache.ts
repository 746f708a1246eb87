import { LRUCache } from 'lru-cache';
import type { KeyProvider } from './jwks/provider.js';
import {
  checkKnownKeys,
  integerAtLeast,
  nonNegativeNumber,
  optionKeys,
  optionsObject,
} from './option-checks.js';
import type { VerifiedToken } from './verified-token.js';

/** Bounds of the verified-token cache. */
export interface TokenCacheOptions {
  /** Most tokens kept. [10000] */
  readonly maxEntries?: number | undefined;
  /** Most memory for the kept tokens, estimated from their length, in bytes. [33554432 (32 MiB)] */
  readonly maxBytes?: number | undefined;
  /**
   * Longest a token is trusted from the cache before its signature is checked again, in seconds.
   * Expiry (`exp`) is checked against the clock on every hit regardless. [no limit: until `exp`]
   */
  readonly ttl?: number | undefined;
}

/** What a cache hit needs to decide whether the earlier verification still stands. */
export interface CachedVerification {
  readonly result: VerifiedToken;
  /** The key that verified the signature; the entry is honoured only while it is current. */
  readonly key: CryptoKey | Uint8Array;
  /** Where `key` came from; `undefined` for the configured HMAC secret. */
  readonly provider: KeyProvider | undefined;
  /** Seconds since the epoch. */
  readonly cachedAt: number;
}

const CACHE_OPTION_KEYS = optionKeys<TokenCacheOptions>({ maxEntries: true, maxBytes: true, ttl: true });

/** Rough per-entry overhead beyond the token text itself (claims object, header, list node). */
const ENTRY_OVERHEAD_BYTES = 1024;

/**
 * Characters from the end of a token that key its entry: 43 base64url characters (256 bits) of its
 * signature. Hashing a few dozen characters instead of the whole token keeps a hit cheap, since each
 * request brings a fresh string whose hash is not yet known; the full text is then compared, so a
 * token that merely ends like a cached one is a miss, never a hit.
 */
const KEY_CHARACTERS = 43;

function keyOf(token: string): string {
  return token.slice(-KEY_CHARACTERS);
}

/**
 * Tokens whose signature already verified, matched on their exact text. A hit skips decoding and the
 * signature check only; the verifier still applies time-based claim rules and the custom validator,
 * and drops the entry when the key it was verified with is no longer current.
 */
export class VerifiedTokenCache {
  readonly #entries: LRUCache<string, CachedVerification>;
  readonly #ttl: number;

  /** @throws {TypeError} for options that are not whole, finite, non-negative numbers of their unit. */
  constructor(options: TokenCacheOptions = {}) {
    optionsObject(options, 'cache');
    checkKnownKeys(options, CACHE_OPTION_KEYS, 'cache.');
    this.#entries = new LRUCache({
      max: integerAtLeast(options.maxEntries, 'cache.maxEntries', 10_000, 1, 'tokens'),
      maxSize: integerAtLeast(options.maxBytes, 'cache.maxBytes', 32 * 1024 * 1024, 1, 'bytes'),
      sizeCalculation: (entry) => entry.result.token.length * 2 + ENTRY_OVERHEAD_BYTES,
    });
    this.#ttl = nonNegativeNumber(options.ttl, 'cache.ttl', Number.POSITIVE_INFINITY, 'seconds');
  }

  /** The entry for `token` if it is younger than the TTL at `now`. */
  get(token: string, now: number): CachedVerification | undefined {
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.result.token !== token) return undefined;
    if (now - entry.cachedAt >= this.#ttl) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Keeps `entry` for `entry.result.token`, replacing any token that ends the same way. */
  set(entry: CachedVerification): void {
    this.#entries.set(keyOf(entry.result.token), entry);
  }

  /** Forgets `token`; another token that merely ends the same way is left alone. */
  delete(token: string): void {
    const key = keyOf(token);
    if (this.#entries.peek(key)?.result.token === token) this.#entries.delete(key);
  }

  /** Number of tokens held. */
  get size(): number {
    return this.#entries.size;
  }
}
