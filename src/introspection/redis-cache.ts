import { checkKnownKeys, describeValue, optionKeys, optionsObject } from '../option-checks.js';
import type { CachedAnswer, IntrospectionCacheStore } from './answer-cache.js';

/**
 * The options passed to {@link RedisIntrospectionClient.set}: `SET key value PX <ms>`, spelled both
 * the node-redis v4 way (`PX`) and the v5+ way (`expiration`), as the replay store does.
 */
export interface RedisExpiryOptions {
  readonly PX: number;
  readonly expiration: { readonly type: 'PX'; readonly value: number };
}

/**
 * The two Redis commands the cache needs. A node-redis client (v4 to v6) fits as it is; ioredis
 * through a small adapter:
 *
 * ```ts
 * const client = {
 *   get: (key: string) => ioredis.get(key),
 *   set: (key: string, value: string, options: RedisExpiryOptions) => ioredis.set(key, value, 'PX', options.PX),
 * };
 * ```
 */
export interface RedisIntrospectionClient {
  /** `GET key`: the value, or `null` when there is none. */
  get(key: string): Promise<string | null | undefined>;
  /** `SET key value PX <ms>`. */
  set(key: string, value: string, options: RedisExpiryOptions): Promise<unknown>;
}

/** Options for {@link createRedisIntrospectionCache}. Defaults in brackets. */
export interface RedisIntrospectionCacheOptions {
  /** A connected client; the store never connects, disconnects or imports a Redis library. */
  readonly client: RedisIntrospectionClient;
  /** Prefix of every key the store writes. [`'tokenwarden:introspection:'`] */
  readonly prefix?: string | undefined;
}

const REDIS_CACHE_OPTION_KEYS = optionKeys<RedisIntrospectionCacheOptions>({ client: true, prefix: true });

/**
 * An introspection cache shared by every instance of an API through Redis, so a token is asked
 * about once per fleet rather than once per instance. Each entry holds only the authorization
 * server's answer, as JSON, under the prefix and the SHA-256 hash the introspector hands it (never
 * the token), and expires with `PX` when the introspector says. The introspector bounds every call
 * with `cache.storeTimeoutMs` and checks what comes back, so a slow, failing or tampered Redis costs
 * a call to the authorization server, never a wrong answer.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const introspector = createIntrospector({ ...options, cache: { store: createRedisIntrospectionCache({ client }) } });
 * ```
 */
export function createRedisIntrospectionCache(
  options: RedisIntrospectionCacheOptions,
): IntrospectionCacheStore {
  optionsObject(options, 'createRedisIntrospectionCache options');
  checkKnownKeys(options, REDIS_CACHE_OPTION_KEYS, '');
  const { client } = options;
  if (typeof client?.get !== 'function' || typeof client.set !== 'function') {
    throw new TypeError('tokenwarden: createRedisIntrospectionCache needs a client with get and set methods');
  }
  if (options.prefix !== undefined && typeof options.prefix !== 'string') {
    throw new TypeError(`tokenwarden: prefix must be a string (got ${describeValue(options.prefix)})`);
  }
  const prefix = options.prefix ?? 'tokenwarden:introspection:';
  return {
    async get(key) {
      const value = await client.get(`${prefix}${key}`);
      if (typeof value !== 'string') return undefined;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        // Not JSON: the introspector reports it as an unusable entry and asks the server.
        return value;
      }
    },
    async set(key: string, entry: CachedAnswer, ttl: number) {
      // Redis refuses PX 0; the introspector only stores entries with a positive time to live.
      const px = Math.max(1, Math.ceil(ttl * 1000));
      await client.set(`${prefix}${key}`, JSON.stringify(entry), {
        PX: px,
        expiration: { type: 'PX', value: px },
      });
    },
  };
}
