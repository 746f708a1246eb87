import { systemClock } from '../clock.js';
import {
  checkKnownKeys,
  describeValue,
  nonNegativeNumber,
  optionalFunction,
  optionKeys,
  optionsObject,
} from '../option-checks.js';
import type { ReplayStore } from './replay-store.js';

/**
 * The options passed to {@link RedisReplayClient.set}: `SET key value PX <ms> NX`, spelled both the
 * node-redis v4 way (`NX`, `PX`) and the v5+ way (`condition`, `expiration`, which v5 and v6 read
 * first), so the store works with every version and keeps working once the older spelling goes.
 */
export interface RedisSetOptions {
  readonly NX: true;
  readonly PX: number;
  readonly condition: 'NX';
  readonly expiration: { readonly type: 'PX'; readonly value: number };
}

/**
 * The one Redis command the store needs. A node-redis client (v4 to v6) fits as it is; any other
 * client fits through a three-line adapter, e.g. ioredis:
 *
 * ```ts
 * const client = {
 *   set: (key: string, value: string, options: RedisSetOptions) => ioredis.set(key, value, 'PX', options.PX, 'NX'),
 * };
 * ```
 */
export interface RedisReplayClient {
  /** Runs `SET key value PX <ms> NX`; resolves `'OK'` when the key was set and `null` when it existed. */
  set(key: string, value: string, options: RedisSetOptions): Promise<unknown>;
}

/** Options for {@link createRedisReplayStore}. Defaults in brackets. */
export interface RedisReplayStoreOptions {
  /** A connected client; the store never connects, disconnects or imports a Redis library. */
  readonly client: RedisReplayClient;
  /** Prefix of every key the store writes. [`'tokenwarden:dpop:'`] */
  readonly prefix?: string | undefined;
  /** Seconds since the epoch, to turn `expiresAt` into a time to live; inject one in tests. [system clock] */
  readonly clock?: (() => number) | undefined;
  /**
   * Seconds each key is kept beyond the proof's window. Every instance turns `expiresAt` into a
   * time to live with its own clock, while another instance decides with its own whether the proof
   * is still in its window: an instance whose clock is behind by up to this margin still finds the
   * key. Costs this many seconds' worth of extra keys. [5]
   */
  readonly clockSkewMargin?: number | undefined;
}

const REDIS_STORE_OPTION_KEYS = optionKeys<RedisReplayStoreOptions>({
  client: true,
  prefix: true,
  clock: true,
  clockSkewMargin: true,
});

/** Default {@link RedisReplayStoreOptions.clockSkewMargin}, in seconds. */
export const DEFAULT_CLOCK_SKEW_MARGIN = 5;

/**
 * A replay store shared by every instance of an API through Redis (RFC 9449 §11.1): a proof
 * accepted by one instance is refused as a replay by all the others.
 *
 * Each proof is one `SET key 1 PX <ms> NX`, atomic on the server, expiring `clockSkewMargin`
 * seconds after the proof leaves its window, so Redis memory follows the traffic of one window. If
 * Redis fails, the client's error propagates and the proof is refused (fail closed); if it stalls,
 * the verifier's `dpop.replayStoreTimeoutMs` deadline refuses it.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const replayStore = createRedisReplayStore({ client });
 * ```
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  optionsObject(options, 'createRedisReplayStore options');
  checkKnownKeys(options, REDIS_STORE_OPTION_KEYS, '');
  const { client } = options;
  if (typeof client?.set !== 'function') {
    throw new TypeError('tokenwarden: createRedisReplayStore needs a client with a set method');
  }
  const prefix = typeof options.prefix === 'string' ? options.prefix : 'tokenwarden:dpop:';
  if (options.prefix !== undefined && typeof options.prefix !== 'string') {
    throw new TypeError(`tokenwarden: prefix must be a string (got ${describeValue(options.prefix)})`);
  }
  const clock = optionalFunction(options.clock, 'clock') ?? systemClock;
  const margin = nonNegativeNumber(
    options.clockSkewMargin,
    'clockSkewMargin',
    DEFAULT_CLOCK_SKEW_MARGIN,
    'seconds',
  );
  return {
    async checkAndStore(jti, expiresAt) {
      const now = clock();
      // A NaN time to live is no expiry Redis would honour; refuse rather than send it.
      if (!Number.isFinite(now)) throw new Error('tokenwarden: the replay store clock gave no finite time');
      // The key must outlive expiresAt itself, hence the extra millisecond; Redis refuses PX 0.
      const ttl = Math.max(1, Math.ceil((expiresAt + margin - now) * 1000) + 1);
      const reply = await client.set(`${prefix}${jti}`, '1', {
        NX: true,
        PX: ttl,
        condition: 'NX',
        expiration: { type: 'PX', value: ttl },
      });
      // Anything but OK (null: the key exists) counts as seen, so a surprising reply fails closed.
      return reply === 'OK';
    },
  };
}

export {
  createRedisIntrospectionCache,
  type RedisExpiryOptions,
  type RedisIntrospectionCacheOptions,
  type RedisIntrospectionClient,
} from '../introspection/redis-cache.js';
