import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIntrospector, createVerifier, type TokenwardenEvent } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';

let issuer: TestIssuer;
const clock = createManualClock();
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'], clock: clock.now });
});
afterAll(() => issuer.close());
afterEach(() => vi.restoreAllMocks());

/** A URL on 127.0.0.1 where nothing listens. */
async function closedPortUrl(path: string): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

function recordingLogger() {
  const lines: string[] = [];
  return { lines, logger: { warn: (line: string) => lines.push(line) } };
}

describe('the logger option: configuration failures are written, token rejections are not', () => {
  it('writes one line naming the key set URL and the cause when the key server is unreachable', async () => {
    const jwksUri = await closedPortUrl('/jwks.json');
    const { lines, logger } = recordingLogger();
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      clock: clock.now,
      logger,
    });
    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(lines).toEqual([
      `tokenwarden: cannot fetch the signing keys from ${jwksUri}: network error (ECONNREFUSED); tokens are refused with 503 jwks_unavailable until it works`,
    ]);
  });

  it('says so when the key set URL answers 404', async () => {
    const jwksUri = new URL('/missing-keys.json', issuer.issuer).href;
    const { lines, logger } = recordingLogger();
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      clock: clock.now,
      logger,
    });
    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(lines).toEqual([expect.stringContaining(`${jwksUri}: unexpected HTTP status 404`)]);
  });

  it('writes the same cause once per 5 minutes, then again', async () => {
    const jwksUri = await closedPortUrl('/jwks.json');
    const { lines, logger } = recordingLogger();
    const ownClock = createManualClock();
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      clock: ownClock.now,
      logger,
      jwksOptions: { cooldown: 1 },
    });
    const token = await issuer.signToken();
    await expectRejection(verifier.verify(token), 'jwks_unavailable');
    ownClock.advance(60);
    await expectRejection(verifier.verify(token), 'jwks_unavailable');
    expect(lines).toHaveLength(1);
    ownClock.advance(300);
    await expectRejection(verifier.verify(token), 'jwks_unavailable');
    expect(lines).toHaveLength(2);
  });

  it('never writes a rejected token', async () => {
    const { lines, logger } = recordingLogger();
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keySet: issuer.jwks(),
      clock: clock.now,
      logger,
    });
    await expectRejection(verifier.verify(await issuer.signToken({ aud: 'elsewhere' })), 'audience_invalid');
    await expectRejection(verifier.verify(await issuer.signToken({}, { expiresIn: -3600 })), 'token_expired');
    await expectRejection(verifier.verify('not-a-token'), 'token_malformed');
    expect(lines).toEqual([]);
  });

  it('writes to console.warn by default', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const jwksUri = await closedPortUrl('/jwks.json');
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      clock: clock.now,
    });
    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]?.[0]).toContain(jwksUri);
  });

  it('is silent with logger: false, while onEvent still hears the failure', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const events: TokenwardenEvent[] = [];
    const jwksUri = await closedPortUrl('/jwks.json');
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      clock: clock.now,
      logger: false,
      onEvent: (event) => events.push(event),
    });
    await expectRejection(verifier.verify(await issuer.signToken()), 'jwks_unavailable');
    expect(warn).not.toHaveBeenCalled();
    expect(events.map((event) => event.type)).toEqual(['jwks_fetch_failed', 'token_rejected']);
  });

  it('writes when the authorization server refuses the introspection credentials', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
      const { lines, logger } = recordingLogger();
      const introspector = createIntrospector({
        endpoint,
        clientId: 'orders-api',
        clientAuthentication: { method: 'client_secret_basic', clientSecret: 'wrong-secret-wrong-secret' },
        clock: clock.now,
        logger,
      });
      await expectRejection(introspector.introspect('opaque-token'), 'introspection_unavailable');
      expect(lines).toEqual([expect.stringMatching(/refused this API's own credentials \(HTTP 401\)/)]);
      expect(lines.join('')).not.toContain('wrong-secret');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the logger option is checked when the verifier is created', () => {
  it.each([
    ['true', true],
    ['a string', 'console'],
    ['an object without warn', { info: () => undefined }],
  ])('refuses %s', (_name, logger) => {
    expect(() =>
      createVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keySet: issuer.jwks(),
        logger,
      } as never),
    ).toThrow(/logger must be/);
  });

  it('accepts any object with a warn method, as pino is', () => {
    const pinoLike = { warn: () => undefined, error: () => undefined, info: () => undefined };
    expect(() =>
      createVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keySet: issuer.jwks(),
        logger: pinoLike,
      }),
    ).not.toThrow();
  });
});
