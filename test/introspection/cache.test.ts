import type { CachedAnswer, IntrospectionCacheStore } from 'tokenwarden';
import { describe, expect, it } from 'vitest';
import { activeAnswer, expectRejection, NOW, setUpIntrospection } from './fixtures.js';

/** A store that keeps everything in a visible map, to look at what the introspector writes. */
function inspectableStore() {
  const entries = new Map<string, { entry: CachedAnswer; ttl: number }>();
  const store: IntrospectionCacheStore = {
    get: (key) => entries.get(key)?.entry,
    set: (key, entry, ttl) => {
      entries.set(key, { entry: JSON.parse(JSON.stringify(entry)) as CachedAnswer, ttl });
    },
  };
  return { store, entries };
}

describe('RFC 7662 §4 caching of active answers', () => {
  it('answers a repeated token from the cache for the configured ttl (60 s), then asks again', async () => {
    const { server, clock, introspector } = await setUpIntrospection();
    server.answers.set('opaque-1', activeAnswer(server));
    expect((await introspector.introspect('opaque-1')).cached).toBe(false);
    clock.advance(59);
    expect((await introspector.introspect('opaque-1')).cached).toBe(true);
    expect(server.requests.introspect).toBe(1);
    clock.advance(1);
    expect((await introspector.introspect('opaque-1')).cached).toBe(false);
    expect(server.requests.introspect).toBe(2);
  });

  it('never keeps an answer past the token exp, even within the ttl', async () => {
    const { server, clock, introspector } = await setUpIntrospection();
    server.answers.set('opaque-1', activeAnswer(server, { exp: NOW + 10 }));
    await introspector.introspect('opaque-1');
    clock.advance(9);
    await introspector.introspect('opaque-1');
    expect(server.requests.introspect).toBe(1);
    clock.advance(1);
    // Past exp the answer is asked for again (the claim rules will refuse the expired token).
    await introspector.introspect('opaque-1');
    expect(server.requests.introspect).toBe(2);
  });

  it('does not cache an answer whose exp has already passed', async () => {
    const { server, introspector } = await setUpIntrospection();
    server.answers.set('opaque-1', activeAnswer(server, { exp: NOW - 1 }));
    await introspector.introspect('opaque-1');
    await introspector.introspect('opaque-1');
    expect(server.requests.introspect).toBe(2);
  });

  it('honours a shorter configured ttl', async () => {
    const { server, clock, introspector } = await setUpIntrospection({ introspector: { cache: { ttl: 5 } } });
    server.answers.set('opaque-1', activeAnswer(server));
    await introspector.introspect('opaque-1');
    clock.advance(5);
    await introspector.introspect('opaque-1');
    expect(server.requests.introspect).toBe(2);
  });

  it('asks every time with cache: false', async () => {
    const { server, introspector } = await setUpIntrospection({ introspector: { cache: false } });
    server.answers.set('opaque-1', activeAnswer(server));
    await introspector.introspect('opaque-1');
    await introspector.introspect('opaque-1');
    expect(server.requests.introspect).toBe(2);
  });
});

describe('RFC 7662 §4 caching of inactive answers', () => {
  it('keeps "not active" for inactiveTtl (5 s), so a flood of junk tokens costs one call per token per window', async () => {
    const { server, clock, introspector } = await setUpIntrospection();
    const junk = Array.from({ length: 10 }, (_, index) => `junk-${index}`);
    for (let round = 0; round < 20; round += 1) {
      for (const token of junk) await expectRejection(introspector.introspect(token), 'token_inactive');
    }
    expect(server.requests.introspect).toBe(10);
    clock.advance(5);
    for (const token of junk) await expectRejection(introspector.introspect(token), 'token_inactive');
    expect(server.requests.introspect).toBe(20);
  });

  it('never caches a failure: the next request asks again', async () => {
    const { server, introspector } = await setUpIntrospection();
    server.answers.set('opaque-1', activeAnswer(server));
    server.fault = 'status-500';
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    server.fault = 'none';
    await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    expect(server.requests.introspect).toBe(2);
  });
});

describe('single flight', () => {
  it('makes one call for 50 concurrent requests with the same token', async () => {
    const { server, introspector } = await setUpIntrospection();
    server.answers.set('opaque-1', activeAnswer(server));
    const results = await Promise.all(Array.from({ length: 50 }, () => introspector.introspect('opaque-1')));
    expect(server.requests.introspect).toBe(1);
    expect(new Set(results.map((result) => result.claims)).size).toBe(1);
  });

  it('shares a failure among the concurrent requests, and keeps none of it', async () => {
    const { server, introspector } = await setUpIntrospection();
    server.fault = 'status-500';
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => introspector.introspect('opaque-1')),
    );
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(server.requests.introspect).toBe(1);
    server.fault = 'none';
    await expectRejection(introspector.introspect('opaque-1'), 'token_inactive');
    expect(server.requests.introspect).toBe(2);
  });
});

describe('cache store', () => {
  it('keys entries by a SHA-256 hash, never by the token, and stores only the answer', async () => {
    const { store, entries } = inspectableStore();
    const { server, introspector } = await setUpIntrospection({ introspector: { cache: { store } } });
    const token = 'opaque-token-with-a-recognisable-body';
    server.answers.set(token, activeAnswer(server));
    await introspector.introspect(token);
    expect(entries.size).toBe(1);
    const [key, { entry, ttl }] = [...entries][0] as [string, { entry: CachedAnswer; ttl: number }];
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain(token);
    expect(JSON.stringify(entry)).not.toContain(token);
    expect(entry.expiresAt).toBe(NOW + 60);
    expect(ttl).toBe(60);
    const { active: _active, ...claims } = activeAnswer(server);
    expect(entry.answer).toEqual({ active: true, claims });
  });

  it('keeps the answers of different endpoints apart in one shared store', async () => {
    const { store, entries } = inspectableStore();
    const first = await setUpIntrospection({ introspector: { cache: { store } } });
    const second = await setUpIntrospection({ introspector: { cache: { store } } });
    first.server.answers.set('shared-token', activeAnswer(first.server));
    await first.introspector.introspect('shared-token');
    // The second server has never heard of the token: its answer is its own, not the first one's.
    await expectRejection(second.introspector.introspect('shared-token'), 'token_inactive');
    expect(entries.size).toBe(2);
  });

  it('reads back an entry another instance wrote, checking its claim types', async () => {
    const { store, entries } = inspectableStore();
    const writer = await setUpIntrospection({ introspector: { cache: { store } } });
    writer.server.answers.set('opaque-1', activeAnswer(writer.server));
    await writer.introspector.introspect('opaque-1');
    const [key, stored] = [...entries][0] as [string, { entry: CachedAnswer; ttl: number }];
    entries.set(key, {
      ...stored,
      entry: { ...stored.entry, answer: { active: true, claims: { sub: 42 } } } as unknown as CachedAnswer,
    });
    // A tampered entry is reported and ignored: the server is asked instead.
    const result = await writer.introspector.introspect('opaque-1');
    expect(result.cached).toBe(false);
    expect(writer.events.ofType('introspection_cache_failed')).toEqual([
      { type: 'introspection_cache_failed', reason: 'the store returned an unusable entry' },
    ]);
  });

  it('asks the server when the store fails, and still answers', async () => {
    const failing: IntrospectionCacheStore = {
      get: () => Promise.reject(new Error('connection lost')),
      set: () => Promise.reject(new Error('connection lost')),
    };
    const { server, events, introspector } = await setUpIntrospection({
      introspector: { cache: { store: failing } },
    });
    server.answers.set('opaque-1', activeAnswer(server));
    await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    expect(events.ofType('introspection_cache_failed').map((event) => event.reason)).toEqual([
      'read: connection lost',
      'write: connection lost',
    ]);
  });

  it('gives a silent store storeTimeoutMs, then asks the server', async () => {
    const silent: IntrospectionCacheStore = { get: () => new Promise(() => undefined), set: () => undefined };
    const { server, events, introspector } = await setUpIntrospection({
      introspector: { cache: { store: silent, storeTimeoutMs: 50 } },
    });
    server.answers.set('opaque-1', activeAnswer(server));
    await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    expect(events.ofType('introspection_cache_failed')[0]?.reason).toBe('read: timed out after 50 ms');
  });
});
