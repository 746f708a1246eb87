import { type ReplayStore, verifyDpopProof } from 'tokenwarden';
import { createRedisReplayStore } from 'tokenwarden/redis';
import { createDpopProof, generateDpopKey } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import {
  type RedisServer,
  redisClientPool,
  skipWithoutRedis,
  startRedisServer,
} from '../support/redis-server.js';
import { expectRejection } from '../support/rejection.js';
import { API_URL, requestOptions } from './fixtures.js';

let server: RedisServer | undefined;
const pool = redisClientPool(() => server?.url ?? '');
const connectedClient = pool.connect;

describe.skipIf(skipWithoutRedis)('RFC 9449 §11.1 Redis replay store, against a real redis-server', () => {
  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterAll(async () => {
    await pool.quitAll();
    await server?.stop();
  });

  it('refuses on one instance a proof already accepted by another sharing the Redis', async () => {
    const instanceA: ReplayStore = createRedisReplayStore({
      client: await connectedClient(),
      clock: fixedClock,
    });
    const instanceB: ReplayStore = createRedisReplayStore({
      client: await connectedClient(),
      clock: fixedClock,
    });
    const key = await generateDpopKey();
    const proof = await createDpopProof({ key, method: 'GET', url: API_URL, iat: NOW });
    await expect(verifyDpopProof(requestOptions(proof, { replayStore: instanceA }))).resolves.toBeDefined();
    await expectRejection(
      verifyDpopProof(requestOptions(proof, { replayStore: instanceB })),
      'dpop_proof_invalid',
      /already used/,
    );
  });

  it('is atomic: of concurrent calls from two clients with one jti, exactly one succeeds', async () => {
    const stores = [
      createRedisReplayStore({ client: await connectedClient(), clock: fixedClock }),
      createRedisReplayStore({ client: await connectedClient(), clock: fixedClock }),
    ];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) => stores[index % 2]?.checkAndStore('race', NOW + 60)),
    );
    expect(results.filter((result) => result === true)).toHaveLength(1);
  });

  it('sets the key under the prefix, expiring clockSkewMargin (5 s) after the proof leaves its window', async () => {
    const client = await connectedClient();
    const store = createRedisReplayStore({ client, prefix: 'test:ttl:', clock: fixedClock });
    expect(await store.checkAndStore('expiring', NOW + 90)).toBe(true);
    const ttl = await client.pTTL('test:ttl:expiring');
    expect(ttl).toBeGreaterThan(94_000);
    expect(ttl).toBeLessThanOrEqual(95_001);
  });

  it('forgets the jti once Redis has expired it', async () => {
    const client = await connectedClient();
    const store = createRedisReplayStore({ client, prefix: 'test:expiry:', clock: fixedClock });
    await store.checkAndStore('gone', NOW + 60);
    // Redis keeps the time itself; deleting the key stands in for its expiry without waiting.
    expect(await client.del('test:expiry:gone')).toBe(1);
    expect(await store.checkAndStore('gone', NOW + 60)).toBe(true);
  });

  it('keeps stores with different prefixes apart', async () => {
    const client = await connectedClient();
    const first = createRedisReplayStore({ client, prefix: 'api-one:', clock: fixedClock });
    const second = createRedisReplayStore({ client, prefix: 'api-two:', clock: fixedClock });
    expect(await first.checkAndStore('jti', NOW + 60)).toBe(true);
    expect(await second.checkAndStore('jti', NOW + 60)).toBe(true);
    expect(await first.checkAndStore('jti', NOW + 60)).toBe(false);
  });
});

describe('Redis replay store without a server', () => {
  it('propagates a client failure, so the proof is refused', async () => {
    const store = createRedisReplayStore({
      client: { set: () => Promise.reject(new Error('connection lost')) },
    });
    await expect(store.checkAndStore('jti', NOW + 60)).rejects.toThrow('connection lost');
  });

  it('counts any reply but OK as a replay', async () => {
    for (const reply of [null, undefined, 'QUEUED']) {
      const store = createRedisReplayStore({
        client: { set: () => Promise.resolve(reply) },
        clock: fixedClock,
      });
      expect(await store.checkAndStore('jti', NOW + 60)).toBe(false);
    }
  });

  it('sends SET NX PX in both the node-redis v4 and v5+ spellings', async () => {
    const calls: unknown[] = [];
    const client = {
      set: (...args: unknown[]) => {
        calls.push(args);
        return Promise.resolve('OK');
      },
    };
    await createRedisReplayStore({ client, clock: fixedClock }).checkAndStore('jti', NOW + 60);
    expect(calls).toEqual([
      [
        'tokenwarden:dpop:jti',
        '1',
        { NX: true, PX: 65_001, condition: 'NX', expiration: { type: 'PX', value: 65_001 } },
      ],
    ]);
  });

  it.each([
    [0, 60_001],
    [30, 90_001],
    [0.25, 60_251],
  ])(
    'keeps each key clockSkewMargin (%s s) past the proof window, for instances whose clocks differ',
    async (clockSkewMargin, ttl) => {
      const ttls: number[] = [];
      const client = {
        set: (_key: string, _value: string, options: { PX: number }) => {
          ttls.push(options.PX);
          return Promise.resolve('OK');
        },
      };
      await createRedisReplayStore({ client, clock: fixedClock, clockSkewMargin }).checkAndStore(
        'jti',
        NOW + 60,
      );
      expect(ttls).toEqual([ttl]);
    },
  );

  it.each([
    ['a negative number', -1],
    ['NaN', Number.NaN],
    ['a string', '5'],
  ])('refuses a clockSkewMargin of %s with a TypeError naming it', (_name, clockSkewMargin) => {
    const client = { set: () => Promise.resolve('OK') };
    expect(() => createRedisReplayStore({ client, clockSkewMargin: clockSkewMargin as number })).toThrow(
      /clockSkewMargin/,
    );
  });

  it('needs a client with a set method', () => {
    expect(() => createRedisReplayStore({ client: {} as never })).toThrow(TypeError);
  });
});
