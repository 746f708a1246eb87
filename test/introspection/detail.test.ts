import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIntrospector, createVerifier, type TokenwardenEvent, toErrorResponse } from 'tokenwarden';
import { describe, expect, it } from 'vitest';
import { activeAnswer, CLIENT_ID, CLIENT_SECRET, expectRejection, setUpIntrospection } from './fixtures.js';

const AUDIENCE = 'https://api.example.test';
const OPAQUE = 'opaque-access-token-1';

/** An authorization server answering `answer` for {@link OPAQUE}, and a verifier asking it. */
async function setUp(answer?: Record<string, unknown>) {
  const setup = await setUpIntrospection();
  if (answer !== undefined) setup.server.answers.set(OPAQUE, answer);
  const events: TokenwardenEvent[] = [];
  const verifier = createVerifier({
    issuer: setup.server.issuer,
    audience: AUDIENCE,
    clock: setup.clock.now,
    introspection: setup.introspector,
    onEvent: (event) => events.push(event),
  });
  /** The refusal of {@link OPAQUE}, checked against the `token_rejected` event it was reported with. */
  async function refusal(code: Parameters<typeof expectRejection>[1]) {
    const error = await expectRejection(verifier.verify(OPAQUE), code);
    expect(events.filter((event) => event.type === 'token_rejected')).toEqual([
      { type: 'token_rejected', code, detail: error.detail },
    ]);
    expect(JSON.stringify(toErrorResponse(error))).not.toContain(setup.server.endpoint);
    return error;
  }
  return { ...setup, refusal };
}

describe('TokenError.detail of introspection refusals (RFC 7662)', () => {
  it('says the answer was inactive, and which endpoint gave it', async () => {
    const { server, refusal } = await setUp({ active: false });
    const error = await refusal('token_inactive');
    expect(error.detail).toEqual({
      claim: 'active',
      expected: 'true',
      actual: 'false',
      uri: server.endpoint,
      hint: expect.stringMatching(/expired, revoked/),
    });
  });

  it('names a claim the rules require that the answer lacks', async () => {
    const { server, refusal } = await setUp();
    server.answers.set(OPAQUE, { ...activeAnswer(server), exp: undefined });
    const error = await refusal('claim_invalid');
    expect(error.detail).toEqual({ claim: 'exp', actual: 'absent' });
  });

  it('names an answer member of the wrong type', async () => {
    const { server, refusal } = await setUp();
    server.answers.set(OPAQUE, activeAnswer(server, { username: 42 }));
    const error = await refusal('claim_invalid');
    expect(error.detail).toEqual({ claim: 'username', expected: 'string', actual: '42' });
  });

  it('names the token_type of an answer about a refresh token', async () => {
    const { server, refusal } = await setUp();
    server.answers.set(OPAQUE, activeAnswer(server, { token_type: 'refresh_token' }));
    const error = await refusal('type_invalid');
    expect(error.detail).toMatchObject({ claim: 'token_type', actual: 'refresh_token' });
  });

  it('gives the endpoint, its HTTP status and the reason when it fails, with the failure as cause', async () => {
    const { server, refusal } = await setUp();
    server.fault = 'status-500';
    const error = await refusal('introspection_unavailable');
    expect(error.detail).toEqual({ uri: server.endpoint, status: 500, reason: 'unexpected HTTP status 500' });
    expect(error.cause).toMatchObject({ name: 'FetchFailure', status: 500 });
  });

  it("points at this API's credentials when the endpoint refuses them", async () => {
    const { server, refusal } = await setUp();
    server.fault = 'status-403';
    const error = await refusal('introspection_unavailable');
    expect(error.detail).toMatchObject({
      uri: server.endpoint,
      status: 403,
      hint: expect.stringMatching(/clientId and clientAuthentication/),
    });
  });

  it('gives the URL and the network error of an endpoint nothing listens on', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/introspect`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const introspector = createIntrospector({
      endpoint,
      clientId: CLIENT_ID,
      clientAuthentication: { method: 'client_secret_basic', clientSecret: CLIENT_SECRET },
    });
    const error = await expectRejection(introspector.introspect(OPAQUE), 'introspection_unavailable');
    expect(error.detail).toEqual({ uri: endpoint, reason: 'network error (ECONNREFUSED)' });
    expect(error.cause).toMatchObject({ name: 'FetchFailure' });
  });
});
