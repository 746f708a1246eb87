import { createClient } from 'redis';
import { createVerifier, fromNodeRequest, TokenError, type TokenwardenEvent } from 'tokenwarden';
import { createRedisReplayStore } from 'tokenwarden/redis';
import {
  createDpopProof,
  createTestIssuer,
  type DpopKey,
  generateDpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, NOW } from '../support/clock.js';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '../support/redis-server.js';
import { rejectionOf } from '../support/rejection.js';

const URL_SEEN = 'http://api.example.test/api/private';
/** A deadline, not a sleep: the refusal comes as soon as it passes. */
const DEADLINE_MS = 200;

describe.skipIf(skipWithoutRedis)(
  'a stalled redis-server (SIGSTOP) cannot hold DPoP requests pending',
  () => {
    let server: RedisServer;
    // node-redis defaults: no command timeout, offline queue on. The client stays connected to the
    // frozen server and would wait for its reply for ever; only the replay store deadline answers.
    let client: ReturnType<typeof createClient>;
    let issuer: TestIssuer;
    let key: DpopKey;
    let token: string;

    beforeAll(async () => {
      server = await startRedisServer();
      client = createClient({ url: server.url });
      await client.connect();
      issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
      key = await generateDpopKey();
      token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
    });

    afterAll(async () => {
      server?.resume();
      await client?.quit();
      await server?.stop();
      await issuer?.close();
    });

    async function dpopRequest() {
      const proof = await createDpopProof({
        key,
        method: 'GET',
        url: URL_SEEN,
        iat: NOW,
        accessToken: token,
      });
      return fromNodeRequest({
        method: 'GET',
        url: '/api/private',
        headers: { host: 'api.example.test', authorization: `DPoP ${token}`, dpop: proof },
      });
    }

    it('answers 503 replay_store_unavailable and reports replay_store_failed once the deadline passes, then recovers', async () => {
      const events: TokenwardenEvent[] = [];
      const verifier = createVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keySet: issuer.jwks(),
        clock: fixedClock,
        dpop: {
          replayStore: createRedisReplayStore({ client, clock: fixedClock }),
          replayStoreTimeoutMs: DEADLINE_MS,
        },
        onEvent: (event) => events.push(event),
      });
      expect((await verifier.authenticate(await dpopRequest()))?.scheme).toBe('DPoP');

      const stalledRequest = await dpopRequest();
      server.pause();
      let error: TokenError | undefined;
      try {
        error = await rejectionOf(verifier.authenticate(stalledRequest));
      } finally {
        server.resume();
      }
      expect(error).toBeInstanceOf(TokenError);
      expect(error).toMatchObject({ code: 'replay_store_unavailable', status: 503 });
      expect(events).toContainEqual({
        type: 'replay_store_failed',
        reason: `timed out after ${DEADLINE_MS} ms`,
      });

      expect((await verifier.authenticate(await dpopRequest()))?.scheme).toBe('DPoP');
    });
  },
);
