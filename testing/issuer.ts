import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, type JSONWebKeySet } from 'jose';
import type { AsymmetricAlgorithm } from '../src/index.js';
import { generateTestKey, type TestKey } from './keys.js';

/** Options for {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** Default `aud` of minted tokens. [`'https://api.example.test'`] */
  readonly audience?: string | undefined;
  /** Algorithms to hold a key for; the first is the default for `signToken`. [RS256, PS256, ES256, EdDSA] */
  readonly algorithms?: readonly AsymmetricAlgorithm[] | undefined;
  /** Port on 127.0.0.1. [0: any free port] */
  readonly port?: number | undefined;
  /** `Cache-Control` sent with the key set. [`'max-age=600'`] */
  readonly cacheControl?: string | undefined;
  /** Seconds since the epoch, used for `iat`/`exp` of minted tokens. [system clock] */
  readonly clock?: (() => number) | undefined;
}

/** How {@link TestIssuer.signToken} signs. */
export interface SignTokenOptions {
  /** Signature algorithm; the issuer must hold a key for it. [the first configured algorithm] */
  readonly alg?: AsymmetricAlgorithm | undefined;
  /** Override the `kid` header; `null` leaves it out. [the signing key's kid] */
  readonly kid?: string | null | undefined;
  /** `typ` header; `null` leaves it out. [`'at+jwt'`] */
  readonly typ?: string | null | undefined;
  /** Extra protected header parameters. */
  readonly header?: Readonly<Record<string, unknown>> | undefined;
  /** Seconds from now to `exp`; negative for an expired token. [3600] */
  readonly expiresIn?: number | undefined;
  /**
   * Sign with a key that is not in the published key set (same `kid` and algorithm), producing a
   * token whose signature does not verify. [false]
   */
  readonly untrustedKey?: boolean | undefined;
}

/** A running issuer for tests: discovery, a key set and a token minting function. */
export interface TestIssuer {
  /** The issuer identifier, `http://127.0.0.1:<port>/`. */
  readonly issuer: string;
  /** The key set URL. */
  readonly jwksUri: string;
  /** The default audience of minted tokens. */
  readonly audience: string;
  /** How many times each endpoint was requested. */
  readonly requests: { readonly discovery: number; readonly jwks: number };
  /**
   * Mints an access token. Default claims: `iss`, `aud`, `sub`, `client_id`, `iat`, `exp`, `jti`;
   * `claims` override them, and a claim set to `undefined` is left out.
   */
  signToken(claims?: Readonly<Record<string, unknown>>, options?: SignTokenOptions): Promise<string>;
  /** Replaces every key with a new one (new `kid`s); `keepPrevious` publishes the old ones too. */
  rotateKeys(options?: { readonly keepPrevious?: boolean }): Promise<void>;
  /** The published key set. */
  jwks(): JSONWebKeySet;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Starts an OAuth 2.0 authorization server stand-in on 127.0.0.1 that serves
 * `/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server` and `/jwks.json`,
 * and mints access tokens with keys for each requested algorithm.
 *
 * @example
 * ```ts
 * const issuer = await createTestIssuer();
 * const token = await issuer.signToken({ scope: 'read:messages' });
 * const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience });
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const algorithms = options.algorithms ?? ['RS256', 'PS256', 'ES256', 'EdDSA'];
  const audience = options.audience ?? 'https://api.example.test';
  const clock = options.clock ?? (() => Math.floor(Date.now() / 1000));
  const cacheControl = options.cacheControl ?? 'max-age=600';
  const requests = { discovery: 0, jwks: 0 };
  let current = await generateKeys(algorithms);
  let previous: TestKey[] = [];

  const server = createServer((req, res) => answer(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const issuer = `${origin}/`;
  const jwksUri = `${origin}/jwks.json`;

  function publishedJwks(): JSONWebKeySet {
    return { keys: [...current, ...previous].map((key) => key.publicJwk) };
  }

  function answer(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server') {
      requests.discovery += 1;
      sendJson(res, { issuer, jwks_uri: jwksUri, token_endpoint: `${origin}/token` }, 'max-age=3600');
    } else if (path === '/jwks.json') {
      requests.jwks += 1;
      sendJson(res, publishedJwks(), cacheControl);
    } else {
      res.writeHead(404).end();
    }
  }

  async function signToken(
    claims: Readonly<Record<string, unknown>> = {},
    signOptions: SignTokenOptions = {},
  ): Promise<string> {
    const alg = signOptions.alg ?? (algorithms[0] as AsymmetricAlgorithm);
    const key = current.find((candidate) => candidate.alg === alg);
    if (key === undefined) throw new Error(`the test issuer has no ${alg} key`);
    const signingKey =
      signOptions.untrustedKey === true ? (await generateTestKey(alg, key.kid)).privateKey : key.privateKey;
    const now = clock();
    const payload: Record<string, unknown> = {
      iss: issuer,
      aud: audience,
      sub: 'test-user',
      client_id: 'test-client',
      iat: now,
      exp: now + (signOptions.expiresIn ?? 3600),
      jti: randomUUID(),
      ...claims,
    };
    for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
    const header: Record<string, unknown> = { alg, kid: key.kid, typ: 'at+jwt', ...signOptions.header };
    if (signOptions.kid !== undefined) header.kid = signOptions.kid;
    if (signOptions.typ !== undefined) header.typ = signOptions.typ;
    for (const name of ['kid', 'typ']) if (header[name] === null) delete header[name];
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader(header as { alg: string })
      .sign(signingKey);
  }

  return {
    issuer,
    jwksUri,
    audience,
    requests,
    signToken,
    async rotateKeys(rotateOptions = {}) {
      previous = rotateOptions.keepPrevious === true ? current : [];
      current = await generateKeys(algorithms);
    },
    jwks: publishedJwks,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function generateKeys(algorithms: readonly AsymmetricAlgorithm[]): Promise<TestKey[]> {
  return Promise.all(algorithms.map((alg) => generateTestKey(alg)));
}

function sendJson(res: ServerResponse, body: unknown, cacheControl: string): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheControl });
  res.end(JSON.stringify(body));
}
