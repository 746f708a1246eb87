import { createIntrospector } from 'tokenwarden';
import { createRedisIntrospectionCache } from 'tokenwarden/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RedisServer,
  redisClientPool,
  skipWithoutRedis,
  startRedisServer,
} from '../support/redis-server.js';
import {
  activeAnswer,
  CLIENT_ID,
  CLIENT_SECRET,
  expectRejection,
  NOW,
  setUpIntrospection,
} from './fixtures.js';

let server: RedisServer | undefined;
const pool = redisClientPool(() => server?.url ?? '');
const connectedClient = pool.connect;

describe.skipIf(skipWithoutRedis)('introspection cache shared through a real redis-server', () => {
  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await pool.quitAll();
    await server?.stop();
  });

  it('lets a second instance answer from what the first asked, with one call to the server', async () => {
    const prefix = 'test:fleet:';
    const first = await setUpIntrospection({
      introspector: {
        cache: { store: createRedisIntrospectionCache({ client: await connectedClient(), prefix }) },
      },
    });
    first.server.answers.set('opaque-1', activeAnswer(first.server));
    await first.introspector.introspect('opaque-1');
    const second = createIntrospector({
      endpoint: first.server.endpoint,
      clientId: CLIENT_ID,
      clientAuthentication: { method: 'client_secret_basic', clientSecret: CLIENT_SECRET },
      clock: first.clock.now,
      cache: { store: createRedisIntrospectionCache({ client: await connectedClient(), prefix }) },
    });
    const result = await second.introspect('opaque-1');
    expect(result.cached).toBe(true);
    expect(result.claims.sub).toBe('user-1');
    expect(first.server.requests.introspect).toBe(1);
  });

  it('holds only the answer, under the prefix and a hash, expiring with PX when the introspector says', async () => {
    const client = await connectedClient();
    const token = 'opaque-token-that-must-not-reach-redis';
    const { server: as, introspector } = await setUpIntrospection({
      introspector: { cache: { store: createRedisIntrospectionCache({ client, prefix: 'test:shape:' }) } },
    });
    as.answers.set(token, activeAnswer(as, { exp: NOW + 30 }));
    await introspector.introspect(token);
    const keys = await client.keys('test:shape:*');
    expect(keys).toHaveLength(1);
    const [key] = keys as [string];
    expect(key).toMatch(/^test:shape:[A-Za-z0-9_-]{43}$/);
    const stored = (await client.get(key)) ?? '';
    expect(stored).not.toContain(token);
    expect(JSON.parse(stored)).toMatchObject({ answer: { active: true }, expiresAt: NOW + 30 });
    // min(60 s ttl, exp - now = 30 s).
    const ttl = await client.pTTL(key);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('keeps a "not active" answer for inactiveTtl', async () => {
    const client = await connectedClient();
    const { introspector } = await setUpIntrospection({
      introspector: { cache: { store: createRedisIntrospectionCache({ client, prefix: 'test:inactive:' }) } },
    });
    await expectRejection(introspector.introspect('junk'), 'token_inactive');
    const [key] = (await client.keys('test:inactive:*')) as [string];
    expect(await client.pTTL(key)).toBeLessThanOrEqual(5_000);
  });

  it('asks the server when an entry in Redis is not one it wrote', async () => {
    const client = await connectedClient();
    const {
      server: as,
      events,
      introspector,
    } = await setUpIntrospection({
      introspector: { cache: { store: createRedisIntrospectionCache({ client, prefix: 'test:garbage:' }) } },
    });
    as.answers.set('opaque-1', activeAnswer(as));
    await introspector.introspect('opaque-1');
    const [key] = (await client.keys('test:garbage:*')) as [string];
    await client.set(key, 'not json');
    expect((await introspector.introspect('opaque-1')).cached).toBe(false);
    expect(as.requests.introspect).toBe(2);
    expect(events.ofType('introspection_cache_failed')).toHaveLength(1);
  });

  it('answers within storeTimeoutMs when Redis stalls, by asking the server', async () => {
    const client = await connectedClient();
    const {
      server: as,
      events,
      introspector,
    } = await setUpIntrospection({
      introspector: {
        cache: {
          store: createRedisIntrospectionCache({ client, prefix: 'test:stall:' }),
          storeTimeoutMs: 100,
        },
      },
    });
    as.answers.set('opaque-1', activeAnswer(as));
    server?.pause();
    try {
      await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    } finally {
      server?.resume();
    }
    expect(events.ofType('introspection_cache_failed').map((event) => event.reason)).toEqual([
      'read: timed out after 100 ms',
      'write: timed out after 100 ms',
    ]);
  });

  it('refuses a client without get and set, and an unknown option', () => {
    expect(() => createRedisIntrospectionCache({ client: {} as never })).toThrow(
      /needs a client with get and set/,
    );
    expect(() =>
      createRedisIntrospectionCache({
        client: { get: async () => null, set: async () => 'OK' },
        prefx: 'x',
      } as never),
    ).toThrow(/unknown option prefx; did you mean prefix\?/);
  });
});
