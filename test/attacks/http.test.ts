import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { VerifierOptions } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../support/clock.js';

/** What every example app exports: `listen(auth, port, host)`. */
interface ExampleModule {
  listen(auth: VerifierOptions, port: number, host: string): Promise<{ url: string; close(): Promise<void> }>;
}

/** The example apps present in this checkout; Express always, the others once they exist. */
const frameworks = ['express', 'fastify', 'hono', 'koa'].filter((name) =>
  existsSync(new URL(`../../examples/${name}/app.ts`, import.meta.url)),
);

/** A response read off the wire, or `undefined` status when the server closed without answering. */
interface RawResponse {
  readonly status: number | undefined;
  /** Status line, headers and body exactly as received. */
  readonly text: string;
}

/**
 * Sends one GET with the given header lines, byte for byte (repeated headers, odd schemes and
 * oversized values included), and reads until the server closes. A reset after a partial
 * write is an answer too: Node drops a connection whose headers exceed its limit.
 */
function rawGet(baseUrl: string, path: string, headerLines: readonly string[]): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    const finish = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match === null ? undefined : Number(match[1]), text });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', () => socket.destroy());
    const head = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headerLines, 'Connection: close'];
    socket.write(`${head.join('\r\n')}\r\n\r\n`, 'latin1');
  });
}

/** Asserts what every refused request shares: no 5xx, no echo of the credential, no stack trace. */
function expectSafeRefusal(response: RawResponse, secrets: readonly string[]): void {
  if (response.status !== undefined) expect(response.status).toBeLessThan(500);
  expect(response.status).not.toBe(200);
  for (const secret of secrets) expect(response.text).not.toContain(secret);
  expect(response.text).not.toMatch(/\bat \S+ \(|\.ts:\d+|node:internal|TokenError:|TypeError:/);
}

describe.each(frameworks)('Authorization header attacks over real HTTP: the %s example', (framework) => {
  let issuer: TestIssuer;
  let app: { url: string; close(): Promise<void> };
  let valid: string;
  let otherValid: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ clock: fixedClock });
    const auth: VerifierOptions = { issuer: issuer.issuer, audience: issuer.audience, clock: fixedClock };
    const example = (await import(`../../examples/${framework}/app.ts`)) as ExampleModule;
    app = await example.listen(auth, 0, '127.0.0.1');
    valid = await issuer.signToken({ scope: 'read:messages' });
    otherValid = await issuer.signToken({ sub: 'someone-else' }, { alg: 'ES256' });
  });

  afterAll(async () => {
    await app?.close();
    await issuer?.close();
  });

  const get = (headerLines: readonly string[], path = '/api/private') => rawGet(app.url, path, headerLines);

  it('answers 200 to a valid Bearer token (the control)', async () => {
    const response = await get([`Authorization: Bearer ${valid}`]);
    expect(response.status).toBe(200);
  });

  it('refuses a 1 MB Authorization header without a 5xx (Node answers 431 or drops the connection)', async () => {
    const huge = 'A'.repeat(1024 * 1024);
    const response = await get([`Authorization: Bearer ${huge}`]);
    if (response.status !== undefined) expect(response.status).toBe(431);
    expectSafeRefusal(response, [huge.slice(0, 64)]);
  });

  it('refuses a 12 KB Bearer credential that reaches the verifier with 401 invalid_token', async () => {
    const big = `${'A'.repeat(6 * 1024)}.${'B'.repeat(6 * 1024)}.C`;
    const response = await get([`Authorization: Bearer ${big}`]);
    expect(response.status).toBe(401);
    expect(response.text).toMatch(/invalid_token/);
    expectSafeRefusal(response, ['A'.repeat(64), 'B'.repeat(64)]);
  });

  it.each([
    ['Basic credentials', () => 'Basic dXNlcjpwYXNzd29yZA=='],
    ['a made-up scheme carrying the token', () => `Token ${valid}`],
    ['"Bearer:" glued to the token', () => `Bearer:${valid}`],
    ['a tab instead of a space after Bearer', () => `Bearer\t${valid}`],
  ])('treats %s as no token: 401 with a challenge carrying no error code', async (_case, value) => {
    const response = await get([`Authorization: ${value()}`]);
    expect(response.status).toBe(401);
    // RFC 6750 §3.1: a request without credentials gets a challenge with no error code.
    const challenge = /^www-authenticate: (.*)$/im.exec(response.text)?.[1];
    expect(challenge).toMatch(/^Bearer\b/);
    expect(challenge).not.toMatch(/error=/);
    expectSafeRefusal(response, [valid.split('.')[2] as string]);
  });

  it.each([
    ['Bearer with no credential', () => 'Bearer'],
    ['two tokens separated by a space', () => `Bearer ${valid} ${otherValid}`],
    ['two Bearer credentials separated by a comma', () => `Bearer ${valid}, Bearer ${otherValid}`],
    ['a token with a trailing comma', () => `Bearer ${valid},`],
    ['a token followed by a quoted parameter', () => `Bearer ${valid} realm="x"`],
    ['non-ASCII bytes in the credential', () => `Bearer ${valid}\u00e9`],
  ])('refuses %s with 400 invalid_request', async (_case, value) => {
    const response = await get([`Authorization: ${value()}`]);
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/invalid_request/);
    expectSafeRefusal(response, [valid.split('.')[2] as string, otherValid.split('.')[2] as string]);
  });

  it('refuses two Authorization headers whose first is not a valid token', async () => {
    const response = await get(['Authorization: Bearer not-a-token', `Authorization: Bearer ${valid}`]);
    expect([400, 401]).toContain(response.status);
    expectSafeRefusal(response, [valid.split('.')[2] as string]);
  });

  it('never lets a second Authorization header override the first', async () => {
    // Node's parser keeps only the first Authorization header (Express, Fastify, Koa, and Hono on
    // @hono/node-server: 403 on the scope check of the first token); Web Headers, as on Bun, Deno
    // and Workers, join both, which the core refuses (400).
    const unscoped = await issuer.signToken({ scope: 'profile' });
    const response = await get(
      [`Authorization: Bearer ${unscoped}`, `Authorization: Bearer ${valid}`],
      '/api/private-scoped',
    );
    expect([400, 403]).toContain(response.status);
    expectSafeRefusal(response, [valid.split('.')[2] as string, unscoped.split('.')[2] as string]);
  });

  it('answers 403 insufficient_scope to the unscoped token alone (the control for the rule above)', async () => {
    const unscoped = await issuer.signToken({ scope: 'profile' });
    const response = await get([`Authorization: Bearer ${unscoped}`], '/api/private-scoped');
    expect(response.status).toBe(403);
    expect(response.text).toMatch(/insufficient_scope/);
  });

  it('refuses an Authorization header carrying a NUL byte without a 5xx', async () => {
    const response = await get([`Authorization: Bearer ${valid}\u0000${otherValid}`]);
    expectSafeRefusal(response, [valid.split('.')[2] as string, otherValid.split('.')[2] as string]);
  });

  it('ignores ?access_token= (query tokens are off by default) and uses the header', async () => {
    const response = await get([`Authorization: Bearer ${valid}`], `/api/private?access_token=${otherValid}`);
    expect(response.status).toBe(200);
  });

  it('refuses a query-string token on its own with 401 (it is not read at all)', async () => {
    const response = await get([], `/api/private?access_token=${valid}`);
    expect(response.status).toBe(401);
    expectSafeRefusal(response, [valid.split('.')[2] as string]);
  });

  it('refuses a forged token without echoing it: alg none over the real claims', async () => {
    const [, payload] = valid.split('.');
    const forged = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    const response = await get([`Authorization: Bearer ${forged}`]);
    expect(response.status).toBe(401);
    expectSafeRefusal(response, [forged, payload as string]);
  });
});
