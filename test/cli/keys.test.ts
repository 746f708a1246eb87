import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenwarden } from './run-cli.js';

const jwkOf = (key: KeyObject) => key.export({ format: 'jwk' }) as Record<string, unknown>;

let issuer: TestIssuer;
let server: Server;
let origin: string;
/** What the key set URL answers; each test sets it. */
let answer: { status: number; headers: OutgoingHttpHeaders; body: unknown };

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: `${origin}/`, jwks_uri: `${origin}/jwks.json` }));
    } else if (req.url === '/jwks.json') {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await issuer.close();
});

/** A key set with one good key and one of each kind tokenwarden ignores. */
function mixedKeySet() {
  return {
    keys: [
      ...issuer.jwks().keys,
      {
        ...jwkOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey),
        kid: 'legacy-1024',
        alg: 'RS256',
      },
      { ...jwkOf(generateKeyPairSync('ed448').publicKey), kid: 'ed448-key' },
      {
        ...jwkOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
        kid: 'leaked-private',
      },
      { kty: 'oct', kid: 'hmac-secret', k: 'c2VjcmV0' },
    ],
  };
}

describe('tokenwarden keys', () => {
  it('lists each key with what tokenwarden makes of it, the URLs fetched and the cache headers', async () => {
    answer = {
      status: 200,
      headers: { 'cache-control': 'public, max-age=300', etag: '"v42"', age: '12' },
      body: mixedKeySet(),
    };
    const run = await tokenwarden(['keys', `${origin}/`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `200 ${origin}/.well-known/openid-configuration  jwks_uri ${origin}/jwks.json`,
    );
    expect(run.stdout).toContain(`200 ${origin}/jwks.json  5 keys, 1 usable`);
    const [good] = issuer.jwks().keys;
    expect(run.stdout).toContain(`✓ kid=${good?.kid}  EC P-256  alg=ES256  use=sig\n      used for ES256`);
    expect(run.stdout).toMatch(/✗ kid=legacy-1024 +RSA 1024 bits .*\n +ignored: RSA modulus under 2048 bits/);
    expect(run.stdout).toMatch(/✗ kid=ed448-key +OKP Ed448 .*\n +ignored: curve Ed448 is not supported/);
    expect(run.stdout).toMatch(/✗ kid=leaked-private .*\n +ignored: has private key members/);
    expect(run.stdout).toMatch(/✗ kid=hmac-secret +oct .*\n +ignored: not an asymmetric key/);
    expect(run.stdout).toMatch(/Cache-Control +public, max-age=300/);
    expect(run.stdout).toMatch(/ETag +"v42"/);
    expect(run.stdout).toMatch(
      /keeps the set 288 s \(max-age less Age 12 s: 288 s\), refetches in the background after 230\.4 s/,
    );
    expect(run.stdout).toContain('USABLE: tokenwarden verifies tokens with 1 of 5 keys');
  });

  it('says how a max-age under the minimum and a missing one are read, in --json', async () => {
    answer = { status: 200, headers: { 'cache-control': 'max-age=5' }, body: issuer.jwks() };
    const short = await tokenwarden(['keys', '--jwks-uri', `${origin}/jwks.json`, '--json']);
    expect(short.code).toBe(0);
    const report = JSON.parse(short.stdout) as {
      verdict: string;
      fetches: { url: string; status: number }[];
      cache: { maxAge: number; freshness: { ttl: number }; notes: string[] };
    };
    expect(report.verdict).toBe('usable');
    expect(report.fetches).toEqual([{ url: `${origin}/jwks.json`, status: 200, note: '1 keys, 1 usable' }]);
    expect(report.cache).toMatchObject({
      maxAge: 5,
      freshness: { ttl: 60, refreshAfter: 48, staleIfError: 3600 },
    });
    expect(report.cache.notes[0]).toMatch(/raised to the minimum, 60 s/);
    answer = { status: 200, headers: {}, body: issuer.jwks() };
    const none = await tokenwarden(['keys', '--jwks-uri', `${origin}/jwks.json`]);
    expect(none.stdout).toMatch(/Cache-Control +\(none\)/);
    expect(none.stdout).toMatch(/keeps the set 600 s \(no max-age: the default 600 s\)/);
  });

  it('exits 2 when no key of the set is usable', async () => {
    answer = { status: 200, headers: {}, body: { keys: mixedKeySet().keys.slice(1) } };
    const run = await tokenwarden(['keys', `${origin}/`]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('NO USABLE KEY: tokenwarden ignores all 4 keys');
  });

  it('exits 2 with each URL and its status when the key set cannot be had', async () => {
    answer = { status: 503, headers: {}, body: {} };
    const run = await tokenwarden(['keys', `${origin}/`]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`503 ${origin}/jwks.json  unexpected HTTP status 503`);
    expect(run.stdout).toContain('NO KEY SET');
  });

  it('shows both discovery URLs when the issuer is not the one the documents name', async () => {
    const run = await tokenwarden(['keys', origin]);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(
      `200 ${origin}/.well-known/openid-configuration  discovery document names a different issuer ("${origin}/", expected "${origin}")`,
    );
    expect(run.stdout).toContain(
      `404 ${origin}/.well-known/oauth-authorization-server  unexpected HTTP status 404`,
    );
    expect(run.stdout).toContain('NO KEY SET: no discovery document names a jwks_uri');
  });

  it("holds the URLs to the verifier's rules: https, plain http only to loopback", async () => {
    const run = await tokenwarden(['keys', 'http://issuer.example.test/']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('tokenwarden: the issuer must use https');
  });
});
