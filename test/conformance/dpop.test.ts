import { request } from 'node:http';
import { createDpopNonces, type DpopMode, type DpopOptions, type VerifierOptions } from 'tokenwarden';
import { createTestIssuer, generateDpopKey } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DpopExchange,
  type DpopFixture,
  type DpopServerKind,
  dpopTable,
  type ExpectedAnswer,
  type HttpAnswer,
  parseChallenges,
} from './dpop-table.js';
import { frameworks, type RunningServer } from './frameworks.js';
import { NOW } from './table.js';

const NONCE_SECRET = 'conformance nonce secret, 32 bytes or more';
const ROTATION_PERIOD = 300;

let fixture: DpopFixture;
let auth: VerifierOptions;

beforeAll(async () => {
  const clock = () => NOW;
  const issuer = await createTestIssuer({ clock });
  const nonces = createDpopNonces({ secret: NONCE_SECRET, rotationPeriod: ROTATION_PERIOD, clock });
  const earlier = createDpopNonces({
    secret: NONCE_SECRET,
    rotationPeriod: ROTATION_PERIOD,
    clock: () => NOW - ROTATION_PERIOD,
  });
  fixture = {
    issuer,
    key: await generateDpopKey(),
    otherKey: await generateDpopKey(),
    nonces,
    previousNonce: await earlier.current(),
  };
  auth = { issuer: issuer.issuer, audience: issuer.audience, clock };
});

afterAll(() => fixture?.issuer.close());

/** The `dpop` option of each kind of server; every instance keeps its own in-memory replay store. */
function dpopOptions(kind: DpopServerKind): DpopOptions {
  if (kind === 'required') return { mode: 'required' };
  if (kind === 'nonces') return { nonces: fixture.nonces };
  return {};
}

/** A GET over a plain Node socket, so that repeated headers really are sent as separate lines. */
function get(
  url: string,
  headers: Readonly<Record<string, string | readonly string[]>>,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'GET', agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text }),
      );
      response.on('error', reject);
    });
    for (const [name, value] of Object.entries(headers)) outgoing.setHeader(name, value);
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function expectAnswer(answer: HttpAnswer, expected: ExpectedAnswer, sent: readonly string[]) {
  expect(answer.status).toBe(expected.status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  if (expected.error === undefined) expect(body).not.toHaveProperty('error');
  else expect(body.error).toBe(expected.error);
  if (expected.reason !== undefined) expect(body.error_description).toMatch(expected.reason);
  if (expected.body !== undefined) expect(body).toMatchObject(expected.body);

  const header = answer.headers['www-authenticate'];
  if (expected.challenges === null) {
    expect(header).toBeUndefined();
  } else {
    expect(typeof header).toBe('string');
    const challenges = parseChallenges(header as string);
    const withoutDescription = challenges.map(([scheme, { error_description, ...params }]) => {
      // RFC 6750 §3: a description accompanies every error code, and only an error code.
      expect(error_description === undefined).toBe(params.error === undefined);
      return [scheme, params];
    });
    expect(withoutDescription).toEqual(Object.entries(expected.challenges));
  }

  const nonce = answer.headers['dpop-nonce'];
  if (expected.dpopNonce === 'current') expect(nonce).toBe(await fixture.nonces.current());
  else expect(nonce).toBeUndefined();

  if (expected.status >= 400) expect(answer.headers['cache-control']).toBe('no-store');
  // A token or proof must never be echoed back into a response.
  for (const credential of sent) {
    expect(answer.text).not.toContain(credential);
    expect(String(header ?? '')).not.toContain(credential);
  }
}

describe.each(frameworks.map((framework) => [framework.name, framework] as const))(
  'RFC 9449 DPoP over HTTP: %s',
  (_name, framework) => {
    const servers = new Map<DpopServerKind, RunningServer>();

    beforeAll(async () => {
      for (const kind of ['allowed', 'nonces', 'required'] as const) {
        servers.set(kind, await framework.listen({ ...auth, dpop: dpopOptions(kind) }, 0, '127.0.0.1'));
      }
    });

    afterAll(async () => {
      await Promise.all([...servers.values()].map((server) => server.close()));
    });

    it.each(dpopTable.map((row) => [row.name, row] as const))('%s', async (_rowName, row) => {
      const server = servers.get(row.server) as RunningServer;
      const sent: string[] = [];
      const exchange: DpopExchange = {
        fixture,
        url: (route) => `${server.url}${route}`,
        send: (path, headers) => {
          for (const value of [headers.authorization, headers.dpop].flat()) {
            const credential = value?.replace(/^(Bearer|DPoP) /, '');
            if (credential !== undefined && credential.length > 20) sent.push(credential);
          }
          return get(`${server.url}${path}`, headers);
        },
      };
      const answers = await row.exchange(exchange);
      expect(answers).toHaveLength(row.expected.length);
      for (const [index, expected] of row.expected.entries()) {
        await expectAnswer(answers[index] as HttpAnswer, expected, sent);
      }
    });
  },
);

/** Options that could only fail per request (as a 503, or a misspelt mode as `allowed`) fail at start. */
const MISCONFIGURED: readonly [string, DpopOptions][] = [
  ['a misspelt mode', { mode: 'require' as DpopMode }],
  ['a symmetric proof algorithm', { algorithms: ['HS256' as never] }],
  ['no proof algorithm', { algorithms: [] }],
  ['a negative iatWindow', { iatWindow: -1 }],
  ['a publicBaseUrl that is not an absolute URL', { publicBaseUrl: 'api.example.com' }],
  ['a replayStoreTimeoutMs of 0', { replayStoreTimeoutMs: 0 }],
];

describe.each(frameworks.map((framework) => [framework.name, framework] as const))(
  'the dpop option is checked at start-up: %s',
  (_name, framework) => {
    it.each(MISCONFIGURED)('refuses %s with a TypeError', async (_problem, dpop) => {
      const started = framework.listen({ ...auth, dpop }, 0, '127.0.0.1');
      await expect(started).rejects.toThrow(TypeError);
    });
  },
);
