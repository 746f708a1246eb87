import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, type JWK } from 'jose';
import {
  type AsymmetricAlgorithm,
  createVerifier,
  fromNodeRequest,
  type ResourceRequest,
  type Verifier,
  type VerifierOptions,
} from 'tokenwarden';
import { generateTestKey, type TestKey } from 'tokenwarden/testing';
import { fixedClock, NOW } from '../support/clock.js';

/** The issuer every fixture token claims, with the trailing slash Auth0 uses. */
export const ISSUER = 'https://issuer.example.test/';

/** The API identifier the fixture verifier accepts. */
export const AUDIENCE = 'https://api.example.test';

/** One signing key per algorithm the tests exercise, all published in {@link KeyRing.keySet}. */
export interface KeyRing {
  readonly keys: Readonly<Record<RingAlgorithm, TestKey>>;
  /** The public JWKs of every key, as an issuer would publish them. */
  readonly keySet: { keys: JWK[] };
}

/** The algorithms a {@link KeyRing} holds: the four defaults plus opt-in 384/512 variants. */
export type RingAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'RS384' | 'ES384' | 'PS512';

const RING_ALGORITHMS: readonly RingAlgorithm[] = [
  'RS256',
  'PS256',
  'ES256',
  'EdDSA',
  'RS384',
  'ES384',
  'PS512',
];

/** Generates a fresh key per {@link RingAlgorithm}; call once per test file (RSA generation is slow). */
export async function createKeyRing(): Promise<KeyRing> {
  const generated = await Promise.all(RING_ALGORITHMS.map((alg) => generateTestKey(alg, `kid-${alg}`)));
  const keys = Object.fromEntries(generated.map((key) => [key.alg, key])) as Record<RingAlgorithm, TestKey>;
  return { keys, keySet: { keys: generated.map((key) => key.publicJwk) } };
}

/** A verifier over the ring's static key set with the fixed clock; `overrides` win. */
export function verifierFor(ring: KeyRing, overrides: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keySet: ring.keySet,
    clock: fixedClock,
    ...overrides,
  });
}

/** Claims of a valid access token at {@link NOW}; a claim set to `undefined` in `overrides` is left out. */
export function claimsWith(overrides: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    client_id: 'client-1',
    iat: NOW - 10,
    exp: NOW + 3600,
    ...overrides,
  };
  for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name];
  return claims;
}

/**
 * Signs `claims` (defaults from {@link claimsWith}) with `key` through jose. The header defaults to
 * the key's `alg` and `kid` with `typ: at+jwt`; a header member set to `undefined` is left out.
 */
export async function signToken(
  key: TestKey,
  claimOverrides: Readonly<Record<string, unknown>> = {},
  headerOverrides: Readonly<Record<string, unknown>> = {},
): Promise<string> {
  const header: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...headerOverrides };
  for (const name of Object.keys(header)) if (header[name] === undefined) delete header[name];
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claimsWith(claimOverrides))))
    .setProtectedHeader(header as { alg: string })
    .sign(key.privateKey);
}

/** A framework-neutral request with the given headers (lower-case names) and URL. */
export function requestWith(
  headers: Readonly<Record<string, string | readonly string[]>> = {},
  url = '/api/private',
): ResourceRequest {
  return fromNodeRequest({ method: 'GET', url, headers });
}

/** A request carrying `Authorization: Bearer <token>`. */
export function bearerRequest(token: string): ResourceRequest {
  return requestWith({ authorization: `Bearer ${token}` });
}

/** An HTTP server on 127.0.0.1 that counts requests and answers each with `body` as JSON. */
export interface CountingServer {
  readonly url: string;
  readonly requestCount: () => number;
  readonly close: () => Promise<void>;
}

/** Starts a {@link CountingServer} on a free port. */
export async function startCountingServer(body: unknown): Promise<CountingServer> {
  let count = 0;
  const server: Server = createServer((_req, res) => {
    count += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requestCount: () => count,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The asymmetric algorithms verified by default. */
export const DEFAULT_ALGORITHM_LIST: readonly AsymmetricAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
