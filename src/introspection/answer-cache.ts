import { base64url } from 'jose';
import { LRUCache } from 'lru-cache';
import { type EventListener, emit } from '../events.js';
import {
  checkKnownKeys,
  integerAtLeast,
  integerInRange,
  nonNegativeNumber,
  optionalObjectWithMethods,
  optionKeys,
  optionsObject,
} from '../option-checks.js';
import { checkIntrospectedClaims } from './answer.js';
import type { IntrospectionAnswer } from './introspected-token.js';

/** An answer as a cache store keeps it. */
export interface CachedAnswer {
  readonly answer: IntrospectionAnswer;
  /** Seconds since the epoch after which the answer is not used, whatever the store still holds. */
  readonly expiresAt: number;
}

/**
 * Where introspection answers are kept between requests: in memory by default, or shared by every
 * instance of an API through `createRedisIntrospectionCache` from `tokenwarden/redis`. Keys are
 * SHA-256 hashes, never tokens. A store's failures and slowness are absorbed (a read that fails is a
 * miss, a write that fails is skipped), so a store may throw.
 */
export interface IntrospectionCacheStore {
  /** The entry stored under `key`, or `undefined`. What it returns is checked before it is used. */
  get(key: string): Promise<unknown> | unknown;
  /** Stores `entry` under `key` for `ttl` seconds (more than 0). */
  set(key: string, entry: CachedAnswer, ttl: number): Promise<unknown> | unknown;
}

/** The `cache` option of an introspector. Durations in seconds unless the name says otherwise. */
export interface IntrospectionCacheOptions {
  /** Longest an active token's answer is reused; never past the token's `exp`. [60] */
  readonly ttl?: number | undefined;
  /**
   * How long a "not active" answer is reused, so that a flood of one junk token costs one call to the
   * authorization server per period. Kept short because a token the server has only just issued may
   * read as not active on a replica that has not caught up yet. [5]
   */
  readonly inactiveTtl?: number | undefined;
  /** Most answers kept by the in-memory store. [10000] */
  readonly maxEntries?: number | undefined;
  /** Most memory for the in-memory store, estimated from the answers' JSON length, in bytes. [16777216 (16 MiB)] */
  readonly maxBytes?: number | undefined;
  /** A store to use instead of memory, e.g. `createRedisIntrospectionCache({ client })`. [in memory] */
  readonly store?: IntrospectionCacheStore | undefined;
  /**
   * Milliseconds a store read or write may take (1 to 2^31 − 1). Past it a read counts as a miss and
   * the authorization server is asked; a write is abandoned. [250]
   */
  readonly storeTimeoutMs?: number | undefined;
}

const CACHE_OPTION_KEYS = optionKeys<IntrospectionCacheOptions>({
  ttl: true,
  inactiveTtl: true,
  maxEntries: true,
  maxBytes: true,
  store: true,
  storeTimeoutMs: true,
});

const DEFAULTS = {
  ttl: 60,
  inactiveTtl: 5,
  maxEntries: 10_000,
  maxBytes: 16 * 1024 * 1024,
  storeTimeoutMs: 250,
} as const;

/** The longest timer delay: a longer `setTimeout` fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** An answer and whether it came from the cache. */
export interface ResolvedAnswer {
  readonly answer: IntrospectionAnswer;
  readonly cached: boolean;
}

/**
 * The cache in front of an authorization server (RFC 7662 §4 lets a resource server cache answers,
 * never past the token's expiry): answers by the hash of the token, a shorter life for "not active",
 * failures never kept, and one call in flight for concurrent requests with the same token.
 */
export class AnswerCache {
  readonly #store: IntrospectionCacheStore | undefined;
  /** Whether answers come from a store of someone else's making, and so need checking when read. */
  readonly #foreignStore: boolean;
  readonly #ttl: number;
  readonly #inactiveTtl: number;
  readonly #storeTimeoutMs: number;
  readonly #onEvent: EventListener | undefined;
  readonly #inflight = new Map<string, Promise<ResolvedAnswer>>();

  /** @throws {TypeError} for a `cache` option that is not `false` or valid options. */
  constructor(value: unknown, onEvent: EventListener | undefined) {
    this.#onEvent = onEvent;
    if (value === false) {
      this.#store = undefined;
      this.#foreignStore = false;
      this.#ttl = 0;
      this.#inactiveTtl = 0;
      this.#storeTimeoutMs = DEFAULTS.storeTimeoutMs;
      return;
    }
    const options = optionsObject(value, 'cache', true) as IntrospectionCacheOptions;
    checkKnownKeys(options, CACHE_OPTION_KEYS, 'cache.');
    this.#ttl = nonNegativeNumber(options.ttl, 'cache.ttl', DEFAULTS.ttl, 'seconds');
    this.#inactiveTtl = nonNegativeNumber(
      options.inactiveTtl,
      'cache.inactiveTtl',
      DEFAULTS.inactiveTtl,
      'seconds',
    );
    this.#storeTimeoutMs = integerInRange(
      options.storeTimeoutMs,
      'cache.storeTimeoutMs',
      DEFAULTS.storeTimeoutMs,
      { min: 1, max: MAX_TIMER_MS },
      'milliseconds',
    );
    const maxEntries = integerAtLeast(
      options.maxEntries,
      'cache.maxEntries',
      DEFAULTS.maxEntries,
      1,
      'answers',
    );
    const maxBytes = integerAtLeast(options.maxBytes, 'cache.maxBytes', DEFAULTS.maxBytes, 1, 'bytes');
    optionalObjectWithMethods(options.store, 'cache.store', ['get', 'set']);
    this.#foreignStore = options.store !== undefined;
    this.#store = options.store ?? createMemoryStore(maxEntries, maxBytes);
  }

  /**
   * The answer for `key`: from a call already in flight for it, from the store while fresh at `now`,
   * or from `load`. A failure of `load` reaches every caller waiting on it and is not kept.
   */
  resolve(key: string, now: number, load: () => Promise<IntrospectionAnswer>): Promise<ResolvedAnswer> {
    const inflight = this.#inflight.get(key);
    if (inflight !== undefined) return inflight;
    const resolution = this.#lookUpOrLoad(key, now, load).finally(() => {
      this.#inflight.delete(key);
    });
    this.#inflight.set(key, resolution);
    return resolution;
  }

  async #lookUpOrLoad(
    key: string,
    now: number,
    load: () => Promise<IntrospectionAnswer>,
  ): Promise<ResolvedAnswer> {
    const stored = await this.#read(key, now);
    if (stored !== undefined) return { answer: stored, cached: true };
    const answer = await load();
    const ttl = this.#ttlFor(answer, now);
    if (ttl > 0 && this.#store !== undefined) {
      await this.#withDeadline('write', () => this.#store?.set(key, { answer, expiresAt: now + ttl }, ttl));
    }
    return { answer, cached: false };
  }

  async #read(key: string, now: number): Promise<IntrospectionAnswer | undefined> {
    if (this.#store === undefined) return undefined;
    const raw = await this.#withDeadline('read', () => this.#store?.get(key));
    if (raw === undefined || raw === null) return undefined;
    const entry = this.#foreignStore ? this.#checkEntry(raw) : (raw as CachedAnswer);
    return entry !== undefined && now < entry.expiresAt ? entry.answer : undefined;
  }

  /** An entry from a shared store is data from the network: its shape and claim types are checked. */
  #checkEntry(raw: unknown): CachedAnswer | undefined {
    const entry = readCachedAnswer(raw);
    if (entry === undefined) {
      emit(this.#onEvent, {
        type: 'introspection_cache_failed',
        reason: 'the store returned an unusable entry',
      });
    }
    return entry;
  }

  /** RFC 7662 §4: an active answer is not kept past the token's `exp`; an inactive one briefly. */
  #ttlFor(answer: IntrospectionAnswer, now: number): number {
    if (!answer.active) return this.#inactiveTtl;
    const exp = answer.claims.exp;
    return typeof exp === 'number' ? Math.min(this.#ttl, exp - now) : this.#ttl;
  }

  /** Runs a store call under the deadline; a failure or a timeout is reported and yields `undefined`. */
  async #withDeadline(operation: 'read' | 'write', call: () => unknown): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${this.#storeTimeoutMs} ms`)),
        this.#storeTimeoutMs,
      );
    });
    try {
      return await Promise.race([Promise.resolve().then(call), deadline]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'unexpected failure';
      emit(this.#onEvent, { type: 'introspection_cache_failed', reason: `${operation}: ${reason}` });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The cache key of a token: base64url of SHA-256 over `scope` (who answers, for whom) and the token,
 * so the store never holds a token and two authorization servers' answers never mix.
 */
export async function answerCacheKey(scope: readonly string[], token: string): Promise<string> {
  const input = new TextEncoder().encode([...scope, token].join('\u0000'));
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', input)));
}

/** A stored entry read back, or `undefined` when it is not one this version wrote. */
export function readCachedAnswer(raw: unknown): CachedAnswer | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { answer, expiresAt } = raw as { answer?: unknown; expiresAt?: unknown };
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return undefined;
  if (typeof answer !== 'object' || answer === null) return undefined;
  const { active, claims, challenge } = answer as { active?: unknown; claims?: unknown; challenge?: unknown };
  if (active === false) {
    if (challenge !== undefined && typeof challenge !== 'string') return undefined;
    return { answer: { active: false, challenge }, expiresAt };
  }
  if (active !== true || typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    return undefined;
  }
  try {
    return {
      answer: { active: true, claims: checkIntrospectedClaims(claims as Record<string, unknown>) },
      expiresAt,
    };
  } catch {
    return undefined;
  }
}

/** The default store: this process's memory, bounded in entries and in estimated bytes. */
function createMemoryStore(maxEntries: number, maxBytes: number): IntrospectionCacheStore {
  const entries = new LRUCache<string, CachedAnswer>({
    max: maxEntries,
    maxSize: maxBytes,
    // UTF-16 in memory, plus the key and the entry objects.
    sizeCalculation: (entry) => JSON.stringify(entry.answer).length * 2 + 256,
  });
  return {
    get: (key) => entries.get(key),
    set: (key, entry) => entries.set(key, entry),
  };
}
