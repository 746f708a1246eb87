import { createClient } from 'redis';
import {
  createVerifier,
  fromNodeRequest,
  type ResourceRequest,
  type Verifier,
  type VerifierOptions,
} from 'tokenwarden';
import { createRedisReplayStore } from 'tokenwarden/redis';
import {
  createDpopProof,
  createTestIssuer,
  type DpopKey,
  generateDpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../examples/express/app.js';
import { fixedClock, NOW } from '../support/clock.js';
import { type RedisServer, skipWithoutRedis, startRedisServer } from '../support/redis-server.js';
import { rejectionOf } from '../support/rejection.js';

/**
 * RFC 9449 §11.1 across a cluster: several instances of one API, each with its own verifier and
 * its own Redis connection, share one replay store, so a proof spent on one is refused by all.
 */

/** The URL clients use; the load balancer in front of the instances answers on it. */
const PUBLIC_BASE_URL = 'https://api.example.test';
const PUBLIC_URL = `${PUBLIC_BASE_URL}/api/private`;

function redisClient(url: string) {
  return createClient({ url });
}
type Client = ReturnType<typeof redisClient>;

let redis: RedisServer | undefined;
const clients: Client[] = [];
let issuer: TestIssuer;
let key: DpopKey;
let token: string;

/** One API instance's verifier options: its own Redis connection, the shared Redis server. */
async function instanceOptions(): Promise<VerifierOptions> {
  const client = redisClient(redis?.url ?? '');
  await client.connect();
  clients.push(client);
  return {
    issuer: issuer.issuer,
    audience: issuer.audience,
    keySet: issuer.jwks(),
    clock: fixedClock,
    dpop: {
      replayStore: createRedisReplayStore({ client, clock: fixedClock }),
      publicBaseUrl: PUBLIC_BASE_URL,
    },
  };
}

function proof(jti?: string): Promise<string> {
  return createDpopProof({ key, method: 'GET', url: PUBLIC_URL, accessToken: token, iat: NOW, jti });
}

function request(dpop: string): ResourceRequest {
  return fromNodeRequest({
    method: 'GET',
    url: '/api/private',
    headers: { host: 'instance.internal', authorization: `DPoP ${token}`, dpop },
  });
}

describe.skipIf(skipWithoutRedis)(
  'RFC 9449 §11.1 replay detection across instances sharing one Redis',
  () => {
    let instanceA: Verifier;
    let instanceB: Verifier;

    beforeAll(async () => {
      redis = await startRedisServer();
      issuer = await createTestIssuer({ clock: fixedClock });
      key = await generateDpopKey();
      token = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
      instanceA = createVerifier(await instanceOptions());
      instanceB = createVerifier(await instanceOptions());
    });

    afterAll(async () => {
      await Promise.all(clients.map((client) => client.quit()));
      await issuer?.close();
      await redis?.stop();
    });

    it('refuses on instance B a proof instance A accepted', async () => {
      const dpop = await proof();
      const accepted = await instanceA.authenticate(request(dpop));
      expect(accepted?.dpop?.thumbprint).toBe(key.thumbprint);
      const error = await rejectionOf(instanceB.authenticate(request(dpop)));
      expect(error.code).toBe('dpop_proof_invalid');
      expect(error.message).toMatch(/already used/);
      expect(error.wwwAuthenticate).toContain('DPoP error="invalid_dpop_proof"');
    });

    it('keeps the spent proof in Redis, under the tokenwarden prefix', async () => {
      const dpop = await proof();
      const [client] = clients;
      const before = await client?.keys('tokenwarden:dpop:*');
      await instanceA.authenticate(request(dpop));
      expect(await client?.keys('tokenwarden:dpop:*')).toHaveLength((before?.length ?? 0) + 1);
    });

    it('still accepts a fresh proof from the same client on the other instance', async () => {
      await instanceA.authenticate(request(await proof()));
      await expect(instanceB.authenticate(request(await proof()))).resolves.toMatchObject({ scheme: 'DPoP' });
    });

    it('lets exactly one of two instances accept a proof sent to both at once', async () => {
      const dpop = await proof();
      const outcomes = await Promise.allSettled([
        instanceA.authenticate(request(dpop)),
        instanceB.authenticate(request(dpop)),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const [refused] = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect((refused as PromiseRejectedResult).reason).toMatchObject({ code: 'dpop_proof_invalid' });
    });

    describe('over HTTP: two Express instances behind one public URL', () => {
      let first: Awaited<ReturnType<typeof listen>>;
      let second: Awaited<ReturnType<typeof listen>>;

      beforeAll(async () => {
        first = await listen(await instanceOptions(), 0, '127.0.0.1');
        second = await listen(await instanceOptions(), 0, '127.0.0.1');
      });

      afterAll(async () => {
        await first?.close();
        await second?.close();
      });

      it('answers 200 on the first instance and 401 invalid_dpop_proof on the second', async () => {
        const headers = { authorization: `DPoP ${token}`, dpop: await proof() };
        const accepted = await fetch(`${first.url}/api/private`, { headers });
        expect(accepted.status).toBe(200);
        const replayed = await fetch(`${second.url}/api/private`, { headers });
        expect(replayed.status).toBe(401);
        expect(await replayed.json()).toEqual({
          error: 'invalid_dpop_proof',
          error_description: 'The DPoP proof was already used',
        });
        expect(replayed.headers.get('www-authenticate')).toBe(
          'Bearer, DPoP error="invalid_dpop_proof", error_description="The DPoP proof was already used", algs="ES256 RS256 PS256 EdDSA Ed25519"',
        );
      });

      it('refuses the replay on the instance that accepted it too', async () => {
        const headers = { authorization: `DPoP ${token}`, dpop: await proof() };
        expect((await fetch(`${second.url}/api/private`, { headers })).status).toBe(200);
        expect((await fetch(`${second.url}/api/private`, { headers })).status).toBe(401);
        expect((await fetch(`${first.url}/api/private`, { headers })).status).toBe(401);
      });
    });
  },
);
