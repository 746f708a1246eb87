// Runs the core and the Hono adapter on a non-Node runtime (`npm run test:runtimes`: Bun and Deno): no
// Node API may be needed for verifying tokens, DPoP proofs or answering errors, and the `#signature`
// import must pick the Web Crypto backend. Prints a pass/fail count; exits 1 on any failure.
import { Hono } from 'hono';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { createIntrospector, createVerifier, fromWebRequest, TokenError } from 'tokenwarden';
import { jwtAuth, requireScope, type TokenwardenEnv } from 'tokenwarden/hono';
import { base64urlDecoder } from '#base64url';
import { signatureBackend } from '#signature';
import { NOW } from '../support/clock.js';
import { AUDIENCE, assert, createSmokeChecks, ISSUER, sign } from './smoke-checks.js';

const { check, report } = createSmokeChecks();

const keys: JWK[] = [];
const signers: Record<string, CryptoKey> = {};
for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  keys.push({ ...(await exportJWK(publicKey)), kid: alg, alg, use: 'sig' });
  signers[alg] = privateKey;
}
const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'user', iat: NOW, exp: NOW + 600, scope: 'read:messages' };
const verifier = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keySet: { keys }, clock: () => NOW });

for (const alg of Object.keys(signers)) {
  await check(`verifies a token signed with ${alg}`, async () => {
    const token = await sign(signers[alg] as CryptoKey, { alg, kid: alg, typ: 'at+jwt' }, claims);
    const auth = await verifier.verify(token);
    assert(auth.scopes.includes('read:messages'), 'scopes missing');
  });
}

await check('picks the Web Crypto signature backend (the #signature import)', async () => {
  assert(signatureBackend === 'web', `got the ${signatureBackend} backend`);
});

await check('picks the atob base64url decoder (the #base64url import)', async () => {
  assert(base64urlDecoder === 'atob', `got the ${base64urlDecoder} decoder`);
});

await check('refuses a token whose signature does not verify with signature_invalid', async () => {
  const token = await sign(signers.ES256 as CryptoKey, { alg: 'ES256', kid: 'ES256' }, claims);
  const [header, payload] = token.split('.');
  const other = await sign(
    signers.ES256 as CryptoKey,
    { alg: 'ES256', kid: 'ES256' },
    { ...claims, sub: 'x' },
  );
  const outcome = await verifier.verify(`${header}.${payload}.${other.split('.')[2]}`).then(
    () => 'accepted',
    (error: unknown) => (error instanceof TokenError ? error.code : 'other'),
  );
  assert(outcome === 'signature_invalid', `got ${outcome}`);
});

await check('refuses an expired token with token_expired', async () => {
  const token = await sign(
    signers.ES256 as CryptoKey,
    { alg: 'ES256', kid: 'ES256' },
    { ...claims, exp: NOW - 120 },
  );
  const outcome = await verifier.verify(token).then(
    () => 'accepted',
    (error: unknown) => (error instanceof TokenError ? error.code : 'other'),
  );
  assert(outcome === 'token_expired', `got ${outcome}`);
});

await check('accepts a DPoP-bound token with its proof through authenticate', async () => {
  const dpopKey = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(dpopKey.publicKey);
  const jkt = await calculateJwkThumbprint(jwk);
  const token = await sign(
    signers.ES256 as CryptoKey,
    { alg: 'ES256', kid: 'ES256' },
    { ...claims, cnf: { jkt } },
  );
  const ath = base64url.encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))),
  );
  const url = 'https://api.example.test/api/private';
  const proof = await sign(
    dpopKey.privateKey,
    { typ: 'dpop+jwt', alg: 'ES256', jwk },
    { jti: crypto.randomUUID(), htm: 'GET', htu: url, iat: NOW, ath },
  );
  const request = new Request(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
  const auth = await verifier.authenticate(fromWebRequest(request));
  assert(auth?.dpop?.thumbprint === jkt, 'thumbprint mismatch');
});

await check('Hono adapter: 200 with the scope, 403 without, 401 without a token', async () => {
  const app = new Hono<TokenwardenEnv>();
  app.get('/scoped', jwtAuth(verifier), requireScope('read:messages'), (c) =>
    c.json({ sub: c.get('auth')?.claims.sub }),
  );
  const scoped = await sign(signers.RS256 as CryptoKey, { alg: 'RS256', kid: 'RS256' }, claims);
  const unscoped = await sign(
    signers.RS256 as CryptoKey,
    { alg: 'RS256', kid: 'RS256' },
    { ...claims, scope: 'x' },
  );
  const ok = await app.request('/scoped', { headers: { authorization: `Bearer ${scoped}` } });
  const forbidden = await app.request('/scoped', { headers: { authorization: `Bearer ${unscoped}` } });
  const missing = await app.request('/scoped');
  assert(ok.status === 200, `scoped: ${ok.status}`);
  assert(forbidden.status === 403, `unscoped: ${forbidden.status}`);
  assert(
    missing.status === 401 && missing.headers.get('www-authenticate') !== null,
    `missing: ${missing.status}`,
  );
});

await check('introspects an opaque token (RFC 7662) through the Hono adapter, no Node API', async () => {
  const answers: Record<string, Record<string, unknown>> = {
    'opaque-token': { active: true, ...claims, token_type: 'Bearer' },
  };
  const introspectionFetch: typeof fetch = async (_input, init) => {
    const token = new URLSearchParams(String(init?.body)).get('token') ?? '';
    return Response.json(answers[token] ?? { active: false });
  };
  const app = new Hono<TokenwardenEnv>();
  app.get(
    '/scoped',
    jwtAuth({
      issuer: ISSUER,
      audience: AUDIENCE,
      keySet: { keys },
      clock: () => NOW,
      introspection: createIntrospector({
        endpoint: 'https://issuer.example.test/introspect',
        clientId: 'api',
        clientAuthentication: { method: 'client_secret_basic', clientSecret: 'an introspection secret' },
        fetch: introspectionFetch,
        clock: () => NOW,
      }),
    }),
    requireScope('read:messages'),
    (c) => c.json({ sub: c.get('auth')?.claims.sub }),
  );
  const ok = await app.request('/scoped', { headers: { authorization: 'Bearer opaque-token' } });
  const inactive = await app.request('/scoped', { headers: { authorization: 'Bearer revoked-token' } });
  assert(ok.status === 200, `active: ${ok.status}`);
  assert(inactive.status === 401, `inactive: ${inactive.status}`);
});

// Bun and Deno both set navigator.userAgent (`Bun/1.x`, `Deno/2.x`); Node 20 has no navigator.
const runtime = globalThis.navigator?.userAgent ?? `Node.js/${process.versions.node}`;
if (!report(`${runtime} (${signatureBackend} signature backend)`)) process.exit(1);
