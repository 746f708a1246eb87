import { connect } from 'node:net';
import fc from 'fast-check';
import type { VerifierOptions } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameworks, type RunningServer } from '../conformance/frameworks.js';
import { assembleJws } from '../support/jws.js';
import { fuzzRuns, fuzzTimeout } from './campaign.js';

/** Cases per framework in `npm test`; `npm run fuzz` raises it through FUZZ_RUNS. */
const RUNS = fuzzRuns(100);
/** Real milliseconds after which a request that got no complete answer counts as a hang. */
const HANG_AFTER_MS = 10_000;
/** Node's default limit on the header section (`--max-http-header-size`), in bytes. */
const NODE_MAX_HEADER_BYTES = 16 * 1024;
/** What a refusal may be: RFC 6750 §3.1 codes, or Node's own 431 for an oversized header section. */
const REFUSAL_STATUSES = [400, 401, 403, 431];
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Every byte Node lets through in a header value (RFC 9110 §5.5: field-vchar, SP, HTAB, obs-text).
 * CR, LF, NUL and the other controls end the request at the parser, before any adapter runs.
 */
const HEADER_VALUE_BYTES = [
  '\t',
  ...Array.from({ length: 0x7f - 0x20 }, (_, index) => String.fromCharCode(0x20 + index)),
  ...Array.from({ length: 0x100 - 0x80 }, (_, index) => String.fromCharCode(0x80 + index)),
];

const anyHeaderText = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...HEADER_VALUE_BYTES), maxLength });
const base64url = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...BASE64URL_ALPHABET.split('')), maxLength });

/** Schemes real clients send, their case and spelling variants, and random words. */
const scheme = fc.oneof(
  fc.constantFrom(
    'Bearer',
    'bearer',
    'BEARER',
    'DPoP',
    'dpop',
    'DPOP',
    'Basic',
    'Digest',
    'Token',
    'JWT',
    '',
  ),
  fc.constantFrom('Bearer:', 'Bearer,', 'Bearer=', 'DPoP;'),
  base64url(12),
);
const separator = fc.constantFrom(' ', '  ', '\t', '', ', ', ' \t ');

/** Dot-separated base64url: two to six parts, some padded or sprinkled with foreign bytes. */
const tokenLike = fc.oneof(
  fc.array(base64url(120), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')),
  fc
    .tuple(base64url(80), base64url(200), base64url(120), fc.constantFrom('', '=', '==', '%3D', '+/'))
    .map(([header, payload, signature, tail]) => `${header}${tail}.${payload}.${signature}${tail}`),
  // A JSON header that parses, so the value reaches key selection and the JWKS (unknown kids included).
  fc
    .tuple(
      fc.record(
        {
          alg: fc.oneof(fc.constantFrom('RS256', 'ES256', 'EdDSA', 'PS256', 'HS256', 'none'), fc.string()),
          kid: fc.oneof(fc.string({ maxLength: 40 }), fc.integer()),
          typ: fc.constantFrom('at+jwt', 'JWT', 'dpop+jwt'),
          crit: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
        },
        { requiredKeys: ['alg'] },
      ),
      fc.dictionary(fc.constantFrom('iss', 'aud', 'exp', 'nbf', 'scope', 'cnf', '__proto__'), fc.jsonValue()),
      base64url(200),
    )
    .map(([header, payload, signature]) => assembleJws(header, payload, signature)),
);

/** A credential header value: random text, a scheme and a token-like value, or something huge. */
const headerValue = fc.oneof(
  { weight: 2, arbitrary: anyHeaderText(300) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(scheme, separator, fc.oneof(tokenLike, anyHeaderText(200)))
      .map(([name, gap, credential]) => `${name}${gap}${credential}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        scheme,
        fc.integer({ min: 4 * 1024, max: 40 * 1024 }),
        fc.constantFrom(...BASE64URL_ALPHABET.split('')),
      )
      .map(([name, length, filler]) => `${name} ${filler.repeat(length)}`),
  },
);

/** One request: credential headers (each may be absent or repeated) on a guarded route. */
const fuzzedRequest = fc.record({
  path: fc.constantFrom('/api/private', '/api/private-scoped'),
  authorization: fc.array(headerValue, { maxLength: 2 }),
  dpop: fc.array(headerValue, { maxLength: 2 }),
});

/** A response read off the wire; `status` is undefined when the server closed without answering. */
interface RawResponse {
  readonly status: number | undefined;
  readonly text: string;
  /** No complete answer within {@link HANG_AFTER_MS}. */
  readonly hung: boolean;
}

/** Sends the request byte for byte (latin1) on a fresh connection and reads until the server closes. */
function rawGet(baseUrl: string, path: string, headerLines: readonly string[]): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    let hung = false;
    socket.setTimeout(HANG_AFTER_MS, () => {
      hung = true;
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match === null ? undefined : Number(match[1]), text, hung });
    });
    const head = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headerLines, 'Connection: close'];
    socket.write(`${head.join('\r\n')}\r\n\r\n`, 'latin1');
  });
}

describe.each(frameworks)(
  'fuzzing: random Authorization and DPoP headers over real HTTP to the $name example',
  (framework) => {
    let issuer: TestIssuer;
    let app: RunningServer;

    beforeAll(async () => {
      issuer = await createTestIssuer();
      const auth: VerifierOptions = { issuer: issuer.issuer, audience: issuer.audience };
      app = await framework.listen(auth, 0, '127.0.0.1');
    });

    afterAll(async () => {
      await app?.close();
      await issuer?.close();
    });

    it(
      'answers every request with 400, 401, 403 or 431: never a 5xx, a hang or a stack trace',
      async () => {
        await fc.assert(
          fc.asyncProperty(fuzzedRequest, async ({ path, authorization, dpop }) => {
            const headerLines = [
              ...authorization.map((value) => `Authorization: ${value}`),
              ...dpop.map((value) => `DPoP: ${value}`),
            ];
            const response = await rawGet(app.url, path, headerLines);
            expect(response.hung).toBe(false);
            if (response.status === undefined) {
              // Node may drop, rather than answer, a request whose header section is over its limit.
              expect(headerLines.join('\r\n').length).toBeGreaterThan(NODE_MAX_HEADER_BYTES);
            } else {
              expect(REFUSAL_STATUSES).toContain(response.status);
            }
            expect(response.text).not.toMatch(/\bat \S+ \(|\.ts:\d+|node:internal|Error:/);
          }),
          { numRuns: RUNS },
        );
      },
      Math.max(60_000, fuzzTimeout(RUNS, 100)),
    );

    it('answers 200 to a valid token (the control: the fuzzed route can say yes)', async () => {
      const token = await issuer.signToken({ scope: 'read:messages' });
      const response = await rawGet(app.url, '/api/private-scoped', [`Authorization: Bearer ${token}`]);
      expect(response.status).toBe(200);
    });
  },
);
