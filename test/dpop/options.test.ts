import {
  createDpopNonces,
  createMemoryReplayStore,
  type VerifyDpopProofOptions,
  verifyDpopProof,
} from 'tokenwarden';
import { createRedisReplayStore, type RedisSetOptions } from 'tokenwarden/redis';
import { createDpopProof, generateDpopKey } from 'tokenwarden/testing';
import { describe, expect, it } from 'vitest';
import { NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { API_URL, requestOptions } from './fixtures.js';

const SECRET = 'a nonce secret of at least thirty-two bytes';

/** Anything, typed as the options of `factory`, to hand a factory what a misconfiguration would. */
function loosely<T>(options: Readonly<Record<string, unknown>>): T {
  return options as unknown as T;
}

/** A Redis client stand-in that records the commands it receives and answers OK. */
function recordingClient() {
  const commands: RedisSetOptions[] = [];
  return {
    commands,
    set: (_key: string, _value: string, options: RedisSetOptions) => {
      commands.push(options);
      return Promise.resolve('OK');
    },
  };
}

describe('createDpopNonces options, checked when the nonces are created', () => {
  it.each([
    ['rotationPeriod', '300', /rotationPeriod.*a string/],
    ['rotationPeriod', Number.NaN, /rotationPeriod.*NaN/],
    ['rotationPeriod', 0, /rotationPeriod.*the number 0/],
    ['clock', 'now', /clock must be a function.*a string/],
    ['rotationPeriode', 300, /rotationPeriode.*did you mean rotationPeriod\?/],
  ])('refuses %s = %o', (option, value, message) => {
    const create = () => createDpopNonces(loosely({ secret: SECRET, [option]: value }));
    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
  });

  it('fails closed when its clock reads no finite time, rather than handing out one nonce for ever', async () => {
    const nonces = createDpopNonces({ secret: SECRET, clock: () => Number.NaN });
    await expect(nonces.current()).rejects.toThrow(/clock/);
    await expect(nonces.check('any')).rejects.toThrow(/clock/);
  });
});

describe('createMemoryReplayStore options, checked when the store is created', () => {
  it.each([
    ['max', '100000', /max.*a string/],
    ['max', 1.5, /max.*the number 1\.5/],
    ['max', 0, /max.*the number 0/],
    ['clock', 5, /clock must be a function.*the number 5/],
    ['maxEntries', 5, /unknown option maxEntries/],
    ['clok', () => NOW, /clok.*did you mean clock\?/],
  ])('refuses %s = %o', (option, value, message) => {
    const create = () => createMemoryReplayStore(loosely({ [option]: value }));
    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
  });

  it('refuses to record a proof when its clock reads no finite time, so a replay is never accepted', async () => {
    const store = createMemoryReplayStore({ clock: () => Number.NaN });
    const first = await store.checkAndStore('jti', NOW + 60).then(
      (fresh) => fresh,
      () => 'refused',
    );
    const second = await store.checkAndStore('jti', NOW + 60).then(
      (fresh) => fresh,
      () => 'refused',
    );
    expect([first, second]).not.toContain(true);
  });
});

describe('createRedisReplayStore options, checked when the store is created', () => {
  it.each([
    ['prefix', 5, /prefix.*the number 5/],
    ['clock', 'now', /clock must be a function.*a string/],
    ['prefx', 'app:', /prefx.*did you mean prefix\?/],
  ])('refuses %s = %o', (option, value, message) => {
    const create = () => createRedisReplayStore(loosely({ client: recordingClient(), [option]: value }));
    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
  });

  it('sends Redis no command with a time to live of NaN when its clock reads no finite time', async () => {
    const client = recordingClient();
    const store = createRedisReplayStore({ client, clock: () => Number.NaN });
    await expect(store.checkAndStore('jti', NOW + 60)).rejects.toThrow(/clock/);
    expect(client.commands).toEqual([]);
  });
});

describe('verifyDpopProof options, checked before the proof is read', () => {
  it.each([
    ['clockTolerance', '60', /clockTolerance.*a string/],
    ['iatWindow', Number.NaN, /iatWindow.*NaN/],
    ['maxProofSize', '8192', /maxProofSize.*a string/],
    ['maxProofSize', 1.5, /maxProofSize.*the number 1\.5/],
    ['algorithms', 'ES256', /algorithms must be a list.*a string/],
    ['clock', 5, /clock must be a function/],
    ['replayStore', {}, /replayStore/],
    ['nonces', 'yes', /nonces/],
    ['iatWindows', 60, /iatWindows.*did you mean iatWindow\?/],
  ])('refuses %s = %o with a TypeError', async (option, value, message) => {
    const key = await generateDpopKey();
    const proof = await createDpopProof({ key, method: 'GET', url: API_URL, iat: NOW });
    const options = loosely<VerifyDpopProofOptions>({ ...requestOptions(proof), [option]: value });
    await expect(verifyDpopProof(options)).rejects.toThrow(TypeError);
    await expect(verifyDpopProof(options)).rejects.toThrow(message);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a numeric string', String(NOW)],
  ])(
    'refuses a proof when the clock reads %s (RFC 9449 §4.3 check 11 cannot be made)',
    async (_case, reading) => {
      const key = await generateDpopKey();
      const proof = await createDpopProof({ key, method: 'GET', url: API_URL, iat: NOW });
      await expectRejection(
        verifyDpopProof(requestOptions(proof, { clock: () => reading as number })),
        'dpop_proof_invalid',
        /clock/,
      );
    },
  );
});
