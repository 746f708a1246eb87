import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VerifierOptions } from 'tokenwarden';
import { createTestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameworks, type RunningServer } from './frameworks.js';
import {
  bearerChallengeParams,
  type ConformanceFixture,
  conformanceTable,
  EXAMPLE_ROUTES,
  NOW,
} from './table.js';

let fixture: ConformanceFixture;
let auth: VerifierOptions;
let downServer: Server;

beforeAll(async () => {
  // An issuer this API trusts whose discovery and keys answer 500: the keys cannot be had at all.
  downServer = createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((resolve) => downServer.listen(0, '127.0.0.1', () => resolve()));
  const issuer = await createTestIssuer({ clock: () => NOW });
  const downIssuer = `http://127.0.0.1:${(downServer.address() as AddressInfo).port}/`;
  fixture = { issuer, downIssuer };
  auth = { issuer: [issuer.issuer, downIssuer], audience: issuer.audience, clock: () => NOW };
});

afterAll(async () => {
  await fixture?.issuer.close();
  await new Promise<void>((resolve) => downServer?.close(() => resolve()));
});

describe.each(frameworks.map((framework) => [framework.name, framework] as const))(
  'RFC 6750 conformance over HTTP: %s',
  (_name, framework) => {
    let example: RunningServer;
    let extras: RunningServer;

    beforeAll(async () => {
      example = await framework.listen(auth, 0, '127.0.0.1');
      extras = await framework.listenExtras(auth);
    });

    afterAll(async () => {
      await example?.close();
      await extras?.close();
    });

    it.each(conformanceTable.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
      const authorization = row.authorization === undefined ? undefined : await row.authorization(fixture);
      const base = EXAMPLE_ROUTES.has(row.route) ? example.url : extras.url;
      const response = await fetch(`${base}${row.route}`, {
        headers: authorization === undefined ? {} : { authorization },
      });
      const text = await response.text();

      expect(response.status).toBe(row.status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = JSON.parse(text) as Record<string, unknown>;
      if (row.error === undefined) expect(body).not.toHaveProperty('error');
      else expect(body.error).toBe(row.error);
      if (row.body !== undefined) expect(body).toMatchObject(row.body);

      const challenge = response.headers.get('www-authenticate');
      if (row.challenge === null) {
        expect(challenge).toBeNull();
      } else {
        const params = bearerChallengeParams(challenge ?? '');
        expect(params, `Bearer challenge in ${String(challenge)}`).toBeDefined();
        if (row.challenge.error === undefined) {
          // RFC 6750 §3.1: a request that sent no credentials is challenged without an error code.
          expect(params).toEqual({});
        } else {
          expect(params?.error).toBe(row.challenge.error);
          expect(params?.scope).toBe(row.challenge.scope);
        }
      }

      if (row.status >= 400 && body.handled_by === undefined) {
        expect(body.error_description).toEqual(expect.any(String));
        expect(response.headers.get('cache-control')).toBe('no-store');
      }
      // Nothing the client sent comes back: a token must never be echoed into a response.
      const credential = authorization?.split(' ')[1];
      if (credential !== undefined && credential.length > 20) {
        expect(text).not.toContain(credential);
        expect(challenge ?? '').not.toContain(credential);
      }
    });
  },
);
