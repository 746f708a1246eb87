import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { now, type Run, tokenwarden } from './run-cli.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
});
afterAll(() => issuer.close());

function explain(token: string, ...extra: string[]): Promise<Run> {
  return tokenwarden(['explain', token, '--issuer', issuer.issuer, '--audience', issuer.audience, ...extra]);
}

describe('tokenwarden explain', () => {
  it('says VALID, shows each URL it fetched and exits 0 for a good token', async () => {
    const run = await explain(await issuer.signToken({ scope: 'read:messages' }));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`200 ${issuer.issuer}.well-known/openid-configuration`);
    expect(run.stdout).toContain(`200 ${issuer.jwksUri}`);
    expect(run.stdout).toMatch(/✓ signature/);
    expect(run.stdout).toContain('VALID: tokenwarden accepts this token');
  });

  it('shows an expired token with its dates and how long ago, and exits 1', async () => {
    const run = await explain(await issuer.signToken({}, { expiresIn: -3 * 3600 }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ exp +The token has expired/);
    expect(run.stdout).toMatch(/actual: +\d{4}-\d\d-\d\dT.* \(3 h ago\)/);
    expect(run.stdout).toContain('REJECTED (token_expired)');
  });

  it('points at a trailing slash when the issuers differ only by one', async () => {
    const bare = issuer.issuer.replace(/\/$/, '');
    const run = await tokenwarden([
      'explain',
      await issuer.signToken(),
      '--issuer',
      bare,
      '--audience',
      issuer.audience,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`expected: ["${bare}"]`);
    expect(run.stdout).toContain(`actual:   "${issuer.issuer}"`);
    expect(run.stdout).toMatch(/fix: The issuers differ only by a trailing slash/);
    expect(run.stdout).toMatch(/– signature +not checked/);
  });

  it('recognises an ID token sent instead of an access token', async () => {
    const run = await explain(
      await issuer.signToken({ aud: 'web-client', azp: 'web-client', nonce: 'n-0S6_WzA2Mj', at_hash: 'x' }),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /✗ token type +This looks like an ID token \(it has a nonce, it has an at_hash/,
    );
    expect(run.stdout).toMatch(/fix: An ID token was sent instead of the access token/);
  });

  it('explains an encrypted Auth0 token requested without an audience', async () => {
    const run = await explain('eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aaaa.bbbb.cccc');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /Auth0 issues an encrypted or opaque token when the authorization request has no audience/,
    );
  });

  it('explains an opaque token', async () => {
    const run = await explain('8xLOxBtZp8');
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/An opaque token, not a JWT/);
  });

  it("recognises Keycloak's default audience", async () => {
    const run = await explain(await issuer.signToken({ aud: 'account' }));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('actual:   ["account"]');
    expect(run.stdout).toMatch(/fix: Keycloak's default aud is "account"/);
  });

  it('reads Okta scopes from scp for --scope', async () => {
    const okta = await explain(
      await issuer.signToken({ scp: ['read:messages'] }),
      '--scope',
      'read:messages',
    );
    expect(okta.code).toBe(0);
    expect(okta.stdout).toMatch(/✓ scope +has read:messages \(from scp \(Okta, Azure AD\)\)/);
    const missing = await explain(await issuer.signToken({ scope: 'profile' }), '--scope', 'read:messages');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/✗ scope +lacks read:messages/);
  });

  it('points at clock skew for a token issued minutes in the future', async () => {
    const run = await explain(await issuer.signToken({ iat: now() + 180, nbf: now() + 180 }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/fix: The token's clock runs ahead of this server's/);
    expect(run.stdout).toMatch(/server clock: /);
  });

  it('names the kids of the key set when the token names another', async () => {
    const run = await explain(await issuer.signToken({}, { kid: 'rotated-away' }));
    expect(run.code).toBe(1);
    const kids = issuer
      .jwks()
      .keys.map((key) => key.kid)
      .join(', ');
    expect(run.stdout).toContain(`fix: The key set holds ${kids}, not rotated-away`);
  });

  it('exits 2 when the keys cannot be had, naming the URL and the cause', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const jwksUri = `http://127.0.0.1:${port}/jwks.json`;
    const run = await explain(await issuer.signToken(), '--jwks-uri', jwksUri);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`failed ${jwksUri}  network error (ECONNREFUSED)`);
    expect(run.stdout).toContain(`(${jwksUri}: network error (ECONNREFUSED))`);
    expect(run.stdout).toContain('NOT CHECKED (jwks_unavailable)');
  });

  it('writes a JSON report with --json, reads the token from stdin with -, and never prints the token', async () => {
    const token = await issuer.signToken({ aud: 'elsewhere' });
    const run = await tokenwarden(
      ['explain', '-', '--issuer', issuer.issuer, '--audience', issuer.audience, '--json'],
      `Bearer ${token}\n`,
    );
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      verdict: string;
      code: string;
      checks: { name: string; ok: boolean }[];
    };
    expect(report).toMatchObject({ verdict: 'rejected', code: 'audience_invalid' });
    expect(report.checks.find((check) => check.name === 'aud')?.ok).toBe(false);
    expect(run.stdout).not.toContain(token.split('.')[2]);
  });

  it('checks an Amazon Cognito access token (no aud) by its client_id with --client-id', async () => {
    const token = await issuer.signToken({ aud: undefined, client_id: 'app-client-1', token_use: 'access' });
    const accepted = await tokenwarden([
      'explain',
      token,
      '--issuer',
      issuer.issuer,
      '--client-id',
      'app-client-1',
    ]);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/✓ aud +client_id is app-client-1/);
    const refused = await tokenwarden([
      'explain',
      token,
      '--issuer',
      issuer.issuer,
      '--client-id',
      'app-client-2',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('REJECTED (audience_invalid)');
    expect(refused.stdout).toMatch(/expected: \["app-client-2"\]\n +actual: +"app-client-1"/);
  });

  it('prints no colours when stdout is not a terminal, and exits 2 on a usage error', async () => {
    const run = await explain(await issuer.signToken());
    expect(run.stdout).not.toContain('\u001b[');
    const usage = await tokenwarden(['explain', 'token-only']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--issuer is required');
  });
});
