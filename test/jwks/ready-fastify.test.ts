import Fastify from 'fastify';
import tokenwarden from 'tokenwarden/fastify';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../support/clock.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
});
afterAll(() => issuer.close());

describe('Fastify preload: the key set fetched in onReady', () => {
  it('fetches the key set when the app gets ready, before any request', async () => {
    const before = issuer.requests.jwks;
    const app = Fastify();
    try {
      await app.register(tokenwarden, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        clock: fixedClock,
        logger: false,
        preload: true,
      });
      await app.ready();
      expect(issuer.requests.jwks).toBe(before + 1);
    } finally {
      await app.close();
    }
  });

  it('makes ready() fail when the key set cannot be had', async () => {
    const jwksUri = new URL('/nothing-here.json', issuer.issuer).href;
    const app = Fastify();
    try {
      await app.register(tokenwarden, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUri,
        logger: false,
        preload: true,
      });
      await expect(app.ready()).rejects.toThrow(`${jwksUri}: unexpected HTTP status 404`);
    } finally {
      await app.close();
    }
  });

  it('fetches nothing at start-up without preload', async () => {
    const before = issuer.requests.jwks;
    const app = Fastify();
    try {
      await app.register(tokenwarden, { issuer: issuer.issuer, audience: issuer.audience, logger: false });
      await app.ready();
      expect(issuer.requests.jwks).toBe(before);
    } finally {
      await app.close();
    }
  });
});
