import { createMemoryReplayStore, ReplayStoreFullError } from 'tokenwarden';
import { describe, expect, it } from 'vitest';
import { createManualClock, NOW } from '../support/clock.js';

/** A memory store whose clock the test moves. */
function storeAt(start: number, max?: number) {
  const clock = createManualClock(start);
  return { clock, store: createMemoryReplayStore({ max, clock: clock.now }) };
}

describe('RFC 9449 §11.1 memory replay store', () => {
  it('accepts a jti the first time and refuses it the second', async () => {
    const { store } = storeAt(NOW);
    expect(await store.checkAndStore('a', NOW + 60)).toBe(true);
    expect(await store.checkAndStore('a', NOW + 60)).toBe(false);
  });

  it('remembers a jti up to its expiry, inclusive, and forgets it after', async () => {
    const { clock, store } = storeAt(NOW);
    await store.checkAndStore('a', NOW + 60);
    clock.set(NOW + 60);
    expect(await store.checkAndStore('a', NOW + 120)).toBe(false);
    clock.set(NOW + 60.5);
    expect(await store.checkAndStore('a', NOW + 120)).toBe(true);
  });

  it('is atomic: of concurrent calls with one jti, exactly one succeeds', async () => {
    const { store } = storeAt(NOW);
    const results = await Promise.all(
      Array.from({ length: 100 }, () => store.checkAndStore('same', NOW + 60)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('stays within max under a flood, failing closed while every entry is unexpired', async () => {
    const { clock, store } = storeAt(NOW, 10_000);
    let accepted = 0;
    let refusedAsFull = 0;
    for (let index = 0; index < 100_000; index += 1) {
      try {
        if (await store.checkAndStore(`flood-${index}`, NOW + 60)) accepted += 1;
      } catch (error) {
        expect(error).toBeInstanceOf(ReplayStoreFullError);
        refusedAsFull += 1;
      }
    }
    expect(accepted).toBe(10_000);
    expect(refusedAsFull).toBe(90_000);
    expect(store.size).toBe(10_000);
    // No unexpired entry was evicted: the first proofs are still recognised as replays.
    expect(await store.checkAndStore('flood-0', NOW + 60)).toBe(false);
    expect(await store.checkAndStore('flood-9999', NOW + 60)).toBe(false);
    // Once the window has passed, the room is reused and the bound still holds.
    clock.set(NOW + 61);
    for (let index = 0; index < 10_000; index += 1) {
      expect(await store.checkAndStore(`later-${index}`, clock.now() + 60)).toBe(true);
    }
    expect(store.size).toBe(10_000);
    await expect(store.checkAndStore('one-too-many', clock.now() + 60)).rejects.toThrow(ReplayStoreFullError);
  });

  it('makes room by dropping the oldest entry once it has expired', async () => {
    const { clock, store } = storeAt(NOW, 3);
    await store.checkAndStore('a', NOW + 10);
    await store.checkAndStore('b', NOW + 20);
    await store.checkAndStore('c', NOW + 30);
    clock.set(NOW + 15);
    expect(await store.checkAndStore('d', NOW + 75)).toBe(true);
    expect(await store.checkAndStore('b', NOW + 20)).toBe(false);
    expect(await store.checkAndStore('c', NOW + 30)).toBe(false);
    expect(store.size).toBe(3);
  });

  it('sweeps an expired entry that is not the oldest before refusing', async () => {
    const { clock, store } = storeAt(NOW, 3);
    await store.checkAndStore('long-1', NOW + 100);
    await store.checkAndStore('short', NOW + 10);
    await store.checkAndStore('long-2', NOW + 100);
    clock.set(NOW + 15);
    expect(await store.checkAndStore('new', NOW + 75)).toBe(true);
    expect(await store.checkAndStore('long-1', NOW + 100)).toBe(false);
    expect(await store.checkAndStore('long-2', NOW + 100)).toBe(false);
  });

  it('reuses the slot of an expired jti seen again without needing room', async () => {
    const { clock, store } = storeAt(NOW, 1);
    await store.checkAndStore('a', NOW + 10);
    clock.set(NOW + 11);
    expect(await store.checkAndStore('a', NOW + 71)).toBe(true);
    expect(store.size).toBe(1);
  });

  it('refuses a max that is not a positive integer', () => {
    for (const max of [0, -1, 1.5, Number.NaN])
      expect(() => createMemoryReplayStore({ max })).toThrow(TypeError);
  });
});
