import { base64url } from 'jose';
import { LRUCache } from 'lru-cache';
import { systemClock } from '../clock.js';
import { TokenError } from '../errors.js';
import {
  checkKnownKeys,
  integerAtLeast,
  optionalFunction,
  optionKeys,
  optionsObject,
} from '../option-checks.js';

/**
 * Remembers which DPoP proofs were already used (RFC 9449 §11.1), so a captured proof cannot be
 * replayed within the time window in which its `iat` is still accepted.
 *
 * Implementations must be atomic: when two calls with the same `jti` race, exactly one resolves
 * `true`. A store that cannot answer rejects; the proof is then refused, never accepted.
 */
export interface ReplayStore {
  /**
   * Records `jti` unless it is already recorded and unexpired.
   *
   * @param jti The replay key `verifyDpopProof` derives from the proof's `jti` (a fixed-length
   *   digest, also covering the key thumbprint and `htu`).
   * @param expiresAt Seconds since the epoch: the last moment the proof can still be accepted. The
   *   entry must be kept until then, inclusive, and may be forgotten after it.
   * @returns `true` the first time, `false` for a replay.
   */
  checkAndStore(jti: string, expiresAt: number): Promise<boolean>;
}

/** Thrown by the memory store when every slot holds a proof that is still inside its window. */
export class ReplayStoreFullError extends Error {
  constructor() {
    super('The DPoP replay store is full of unexpired entries');
    this.name = 'ReplayStoreFullError';
  }
}

/** Rejected with when the replay store has not answered within its deadline. */
export class ReplayStoreTimeoutError extends Error {
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`The DPoP replay store did not answer within ${timeoutMs} ms`);
    this.name = 'ReplayStoreTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** Default deadline of a replay store answer, in milliseconds. */
export const DEFAULT_REPLAY_STORE_TIMEOUT_MS = 1000;

/** Longest `setTimeout` delay: a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `store.checkAndStore(jti, expiresAt)` with a deadline: a store that has not answered within
 * `timeoutMs` (Redis frozen, a network partition without a reset) rejects with
 * {@link ReplayStoreTimeoutError} rather than holding the request for ever. The timer is cleared as
 * soon as the store answers and never keeps the process alive on its own.
 */
export function checkAndStoreWithin(
  store: ReplayStore,
  jti: string,
  expiresAt: number,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ReplayStoreTimeoutError(timeoutMs)), timeoutMs);
    // Node and Bun timers have unref(); elsewhere the timer is a number and nothing needs doing.
    (timer as unknown as { unref?: () => void }).unref?.();
    const settle =
      <T>(finish: (value: T) => void) =>
      (value: T) => {
        clearTimeout(timer);
        finish(value);
      };
    let answer: Promise<boolean>;
    try {
      answer = store.checkAndStore(jti, expiresAt);
    } catch (error) {
      settle(reject)(error);
      return;
    }
    Promise.resolve(answer).then(settle(resolve), settle(reject));
  });
}

/**
 * §11.1 through the replay store. Only here does a failure mean "cannot check right now" (503): a
 * store that rejects or misses its deadline refuses the proof, never accepts it.
 */
export async function recordProof(
  store: ReplayStore,
  replayKey: string,
  expiresAt: number,
  timeoutMs: number,
): Promise<boolean> {
  try {
    return await checkAndStoreWithin(store, replayKey, expiresAt, timeoutMs);
  } catch (error) {
    throw new TokenError('replay_store_unavailable', 'DPoP proofs cannot be checked right now', {
      cause: error,
    });
  }
}

/**
 * The key a proof is recorded under: a digest of its key's thumbprint, its URI and its `jti`, of fixed
 * length so the store's memory per entry does not depend on what the client sent.
 */
export async function replayKeyOf(thumbprint: string, requestUri: string, jti: string): Promise<string> {
  const material = new TextEncoder().encode(JSON.stringify([thumbprint, requestUri, jti]));
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', material)));
}

/** Options for {@link createMemoryReplayStore}. Defaults in brackets. */
export interface MemoryReplayStoreOptions {
  /**
   * Most proofs remembered at once, which bounds memory (about 120 bytes an entry). Size it for
   * the most proofs you accept within one window (2 × (`iatWindow` + `clockTolerance`) seconds):
   * beyond it, proofs are refused until entries expire. [100000]
   */
  readonly max?: number | undefined;
  /** Seconds since the epoch; inject one in tests. [system clock] */
  readonly clock?: (() => number) | undefined;
}

const MEMORY_STORE_OPTION_KEYS = optionKeys<MemoryReplayStoreOptions>({ max: true, clock: true });

/** The in-memory replay store; `size` is there for metrics and tests. */
export interface MemoryReplayStore extends ReplayStore {
  /** How many proofs are remembered now, expired ones not yet dropped included. */
  readonly size: number;
}

/**
 * A replay store in this process's memory, for APIs running a single instance (use the Redis store
 * when several instances serve the same clients: a proof replayed to another instance would
 * otherwise pass).
 *
 * Memory is bounded by `max` whatever the traffic. When the store is full, expired entries are
 * dropped first (the oldest at once; a full sweep at most once a second, so a flood cannot make
 * each request scan the whole store). If every entry is still unexpired, the store **fails
 * closed**: `checkAndStore` rejects with {@link ReplayStoreFullError} and the proof is refused.
 * Evicting an unexpired entry instead would let an attacker who can send many proofs (any client
 * with a valid token and its own key) flush a captured proof out of the store and replay it;
 * refusing keeps the replay guarantee and turns the flood into a visible, bounded outage that an
 * operator can fix by raising `max` or rate limiting.
 *
 * @example
 * ```ts
 * const replayStore = createMemoryReplayStore({ max: 50_000 });
 * ```
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): MemoryReplayStore {
  optionsObject(options, 'createMemoryReplayStore options');
  checkKnownKeys(options, MEMORY_STORE_OPTION_KEYS, '');
  const max = integerAtLeast(options.max, 'max', 100_000, 1, 'proofs');
  const clock = optionalFunction(options.clock, 'clock') ?? systemClock;
  // Values are expiry times in seconds; lru-cache's own TTL is not used because it reads the real
  // time and sets timers, where this store follows the injected clock. Entries are never read with
  // get(), so the least recently used entry is the least recently stored one.
  const entries = new LRUCache<string, number>({ max });
  let lastSweep = Number.NEGATIVE_INFINITY;

  function dropOldestIfExpired(now: number): boolean {
    for (const jti of entries.rkeys()) {
      if ((entries.peek(jti) ?? 0) >= now) return false;
      entries.delete(jti);
      return true;
    }
    return false;
  }

  function sweepExpired(now: number): void {
    if (now - lastSweep < 1) return;
    lastSweep = now;
    const expired: string[] = [];
    for (const [jti, expiresAt] of entries.entries()) if (expiresAt < now) expired.push(jti);
    for (const jti of expired) entries.delete(jti);
  }

  function makeRoom(now: number): boolean {
    if (dropOldestIfExpired(now)) return true;
    sweepExpired(now);
    return entries.size < max;
  }

  return {
    get size() {
      return entries.size;
    },
    checkAndStore(jti, expiresAt) {
      // Everything below is synchronous, which is what makes the check-then-store atomic.
      const now = clock();
      // With a NaN reading no entry would ever count as unexpired, and every replay would pass.
      if (!Number.isFinite(now))
        return Promise.reject(new Error('tokenwarden: the replay store clock gave no finite time'));
      const seenUntil = entries.peek(jti);
      if (seenUntil !== undefined && seenUntil >= now) return Promise.resolve(false);
      if (seenUntil === undefined && entries.size >= max && !makeRoom(now)) {
        return Promise.reject(new ReplayStoreFullError());
      }
      entries.set(jti, expiresAt);
      return Promise.resolve(true);
    },
  };
}
