import {
  createDpopProof,
  createTestIssuer,
  type DpopKey,
  generateDpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { now, type Run, tokenwarden } from './run-cli.js';

const API_URL = 'https://api.example.test/orders';

let issuer: TestIssuer;
let key: DpopKey;
let otherKey: DpopKey;
let boundToken: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  [key, otherKey] = await Promise.all([generateDpopKey('ES256'), generateDpopKey('ES256')]);
  boundToken = await issuer.signToken({ cnf: { jkt: key.thumbprint } });
});
afterAll(() => issuer.close());

/**
 * A proof for a GET to {@link API_URL} with the bound token, made now: the proof window is 120 s
 * each way, far more than a run of the CLI takes.
 */
function proof(overrides: Partial<Parameters<typeof createDpopProof>[0]> = {}): Promise<string> {
  return createDpopProof({
    key,
    method: 'GET',
    url: API_URL,
    accessToken: boundToken,
    iat: now(),
    ...overrides,
  });
}

/** `tokenwarden explain <token>` against the test issuer and audience, with `extra` arguments. */
function explainToken(token: string, ...extra: string[]): Promise<Run> {
  return tokenwarden(['explain', token, '--issuer', issuer.issuer, '--audience', issuer.audience, ...extra]);
}

function explainDpop(proofText: string, ...extra: string[]): Promise<Run> {
  return explainToken(
    boundToken,
    '--dpop',
    proofText,
    '--method',
    'GET',
    '--url',
    `${API_URL}?page=2`,
    ...extra,
  );
}

describe('tokenwarden explain --dpop (RFC 9449)', () => {
  it('says VALID for a bound token with its proof, one line per proof check', async () => {
    const run = await explainDpop(await proof());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/✓ proof header +typ dpop\+jwt, alg ES256/);
    expect(run.stdout).toContain(`✓ cnf.jkt      the token is bound to the proof's key ${key.thumbprint}`);
    for (const name of ['proof sig', 'htm', 'htu', 'proof iat', 'ath', 'nonce']) {
      expect(run.stdout).toMatch(new RegExp(`✓ ${name} `));
    }
    expect(run.stdout).toContain('VALID: tokenwarden accepts this token');
  });

  it('shows the method and URI the proof was made for, pointing at the proxy settings for another host', async () => {
    const run = await explainDpop(await proof({ method: 'POST', url: 'http://10.0.0.7:8080/orders' }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /✗ htm +The DPoP proof was made for another HTTP method\n +expected: "GET"\n +actual: +"POST"/,
    );
    expect(run.stdout).toMatch(
      /✗ htu +The DPoP proof was made for another URI\n +expected: "https:\/\/api\.example\.test\/orders"\n +actual: +"http:\/\/10\.0\.0\.7:8080\/orders"/,
    );
    expect(run.stdout).toMatch(
      /fix: The proof's htu names http:\/\/10\.0\.0\.7:8080, .*dpop\.trustedProxies/,
    );
    expect(run.stdout).toContain('REJECTED (dpop_proof_invalid)');
  });

  it("shows a stale proof's iat against the server clock and the window", async () => {
    const run = await explainDpop(await proof({ iat: now() - 600 }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /✗ proof iat +The DPoP proof is too old\n +expected: "within 120 s of the server clock \(iatWindow 60 s \+ clockTolerance 60 s\)"\n +actual: +\S+ \(10 min ago\)\n +server clock: .*, tolerance 60 s/,
    );
  });

  it('shows the ath of a proof made for another token', async () => {
    const run = await explainDpop(await proof({ accessToken: 'a-refreshed-token' }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ ath +The DPoP proof was made for another access token/);
    expect(run.stdout).toMatch(/fix: The proof was made for another access token/);
  });

  it("shows the token's cnf.jkt and the thumbprint of the key that signed the proof", async () => {
    const run = await explainDpop(await proof({ key: otherKey }));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `✗ cnf.jkt      The access token is bound to a different DPoP key\n      expected: "${key.thumbprint}"\n      actual:   "${otherKey.thumbprint}"`,
    );
    expect(run.stdout).toContain('REJECTED (dpop_binding_mismatch)');
  });

  it('refuses a proof without the nonce given with --nonce, and accepts one with it', async () => {
    const missing = await explainDpop(await proof(), '--nonce', 'server-nonce-1');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/✗ nonce +The DPoP proof must carry a nonce/);
    expect(missing.stdout).toMatch(/fix: This API requires a server nonce: .*DPoP-Nonce/);
    expect(missing.stdout).toContain('REJECTED (dpop_nonce_required)');
    const carried = await explainDpop(await proof({ nonce: 'server-nonce-1' }), '--nonce', 'server-nonce-1');
    expect(carried.code).toBe(0);
    expect(carried.stdout).toMatch(/✓ nonce +the proof carries the nonce the API requires/);
  });

  it('says a DPoP-bound token explained without --dpop needs its proof', async () => {
    const run = await explainToken(boundToken);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ dpop +The token is DPoP-bound \(cnf\.jkt\)/);
    expect(run.stdout).toMatch(/fix: The client must send Authorization: DPoP <token> and a DPoP header/);
    expect(run.stdout).toContain('REJECTED (dpop_binding_mismatch)');
  });

  it('says a proof sent with an unbound token is no use, and how to get a bound one', async () => {
    const plain = await issuer.signToken();
    const run = await explainToken(
      plain,
      '--dpop',
      await proof({ accessToken: plain }),
      '--method',
      'GET',
      '--url',
      API_URL,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ cnf\.jkt +The access token is not bound to a DPoP key/);
    expect(run.stdout).toMatch(/fix: The token has no cnf\.jkt/);
  });

  it("writes the proof's claims and checks with --json, never the proof itself", async () => {
    const proofText = await proof({ method: 'DELETE' });
    const run = await explainDpop(proofText, '--json');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      verdict: string;
      proof: { alg: string; thumbprint: string; claims: { htm: string } };
      checks: { name: string; ok: boolean; detail?: { expected?: unknown; actual?: unknown } }[];
    };
    expect(report.verdict).toBe('rejected');
    expect(report.proof).toMatchObject({
      alg: 'ES256',
      thumbprint: key.thumbprint,
      claims: { htm: 'DELETE' },
    });
    expect(report.checks.find((check) => check.name === 'htm')).toMatchObject({
      ok: false,
      detail: { expected: 'GET', actual: 'DELETE' },
    });
    expect(run.stdout).not.toContain(proofText.split('.')[2]);
  });

  it('exits 2 when --dpop comes without --method and --url', async () => {
    const run = await explainToken(boundToken, '--dpop', await proof());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--dpop needs --method and --url');
  });
});
