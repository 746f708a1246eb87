// Runs the core and the Hono adapter on Cloudflare's workerd (`npm run test:runtimes`): bundles
// `worker.ts` the way Workers tooling does (esbuild, the `workerd` condition, no Node built-in
// allowed), serves it with `workerd serve` on 127.0.0.1 with no compatibility flags and no network,
// and checks its answers from Node. Prints a pass/fail count; exits 1 on any failure.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { base64url, exportJWK, generateKeyPair, type JWK } from 'jose';
import { NOW } from '../support/clock.js';
import { AUDIENCE, assert, createSmokeChecks, ISSUER, sign } from './smoke-checks.js';

// A date this workerd release supports; no compatibility flag, so no Node API (nodejs_compat is off).
const COMPATIBILITY_DATE = '2026-11-01';
const START_TIMEOUT_MS = 15_000;
const { check, fail, report } = createSmokeChecks();

/** A port free on 127.0.0.1 a moment ago (workerd's config names its socket's port up front). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const started = performance.now();
const keys: JWK[] = [];
const signers: Record<string, CryptoKey> = {};
for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  keys.push({ ...(await exportJWK(publicKey)), kid: alg, alg, use: 'sig' });
  signers[alg] = privateKey;
}
const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'user', iat: NOW, exp: NOW + 600, scope: 'read:messages' };

/** Bundles `worker.ts` as Workers tooling does; the esbuild inputs say which files went in. */
async function bundleWorker(): Promise<{ code: string; inputs: string[] }> {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    // The conditions Workers tooling (wrangler) resolves with, plus the one that picks this
    // repository's sources. A Node built-in would fail the build: platform 'neutral' has none.
    conditions: ['workerd', 'worker', 'browser', 'tokenwarden-source'],
    mainFields: ['browser', 'module', 'main'],
    define: { WORKER_SETTINGS: JSON.stringify({ issuer: ISSUER, audience: AUDIENCE, keys }) },
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  return { code: bundle.outputFiles[0]?.text ?? '', inputs: Object.keys(bundle.metafile.inputs) };
}

/** Serves `code` with `workerd serve`; resolves once the Worker answers, with its URL and a stopper. */
async function serve(code: string): Promise<{ base: string; stop: () => Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'tokenwarden-workerd-'));
  const port = await freePort();
  await writeFile(join(directory, 'worker.js'), code);
  await writeFile(
    join(directory, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "offline", network = (allow = [])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  globalOutbound = "offline",
);
`,
  );
  let stderr = '';
  let stopped: string | undefined;
  const workerd: ChildProcess = spawn('workerd', ['serve', join(directory, 'config.capnp')], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  workerd.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  workerd.on('error', (error) => {
    stopped = `workerd did not start: ${error.message}`;
  });
  workerd.on('exit', (code, signal) => {
    stopped = `workerd exited (${code ?? signal}): ${stderr.trim()}`;
  });
  const stop = async () => {
    if (stopped === undefined) {
      const exit = once(workerd, 'exit');
      workerd.kill();
      await exit;
    }
    await rm(directory, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (stopped === undefined && Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/api/public`)).ok) return { base, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(stopped ?? `workerd did not answer within ${START_TIMEOUT_MS} ms: ${stderr.trim()}`);
}

let base = '';
function get(path: string, token?: string): Promise<Response> {
  return fetch(
    `${base}${path}`,
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  );
}

let server: { base: string; stop: () => Promise<void> } | undefined;
try {
  const { code, inputs } = await bundleWorker();
  await check('bundles signature-web, not signature-node, and no Node built-in', async () => {
    assert(
      inputs.some((input) => /src\/signature-web\.[jt]s$/.test(input)),
      'signature-web not in the bundle',
    );
    assert(!inputs.some((input) => /src\/signature-node\.[jt]s$/.test(input)), 'signature-node bundled');
    assert(!/\bfrom\s*["']node:/.test(code), 'the bundle imports a Node built-in');
  });

  const start = performance.now();
  server = await serve(code);
  base = server.base;
  console.log(`workerd answered ${(performance.now() - start).toFixed(0)} ms after it was started`);
  await check('runs on workerd with the Web Crypto signature backend', async () => {
    const { userAgent, signatureBackend } = (await (await get('/runtime')).json()) as Record<string, string>;
    assert(userAgent === 'Cloudflare-Workers', `navigator.userAgent is ${userAgent}`);
    assert(signatureBackend === 'web', `got the ${signatureBackend} backend`);
  });

  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
    await check(`200 for a token signed with ${alg} and holding the scope`, async () => {
      const token = await sign(signers[alg] as CryptoKey, { alg, kid: alg, typ: 'at+jwt' }, claims);
      const response = await get('/api/private-scoped', token);
      assert(response.status === 200, `status ${response.status}`);
      const body = (await response.json()) as { sub?: string };
      assert(body.sub === 'user', `body ${JSON.stringify(body)}`);
    });
  }

  await check('401 with WWW-Authenticate for a signature from a key outside the set', async () => {
    const stranger = await generateKeyPair('RS256');
    const token = await sign(stranger.privateKey, { alg: 'RS256', kid: 'RS256' }, claims);
    const response = await get('/api/private', token);
    const challenge = response.headers.get('www-authenticate') ?? '';
    assert(response.status === 401, `status ${response.status}`);
    assert(/^Bearer\b.*error="invalid_token"/.test(challenge), `WWW-Authenticate: ${challenge}`);
  });

  await check('403 insufficient_scope for a valid token without the scope', async () => {
    const token = await sign(
      signers.ES256 as CryptoKey,
      { alg: 'ES256', kid: 'ES256' },
      { ...claims, scope: 'x' },
    );
    const response = await get('/api/private-scoped', token);
    const challenge = response.headers.get('www-authenticate') ?? '';
    assert(response.status === 403, `status ${response.status}`);
    assert(challenge.includes('error="insufficient_scope"'), `WWW-Authenticate: ${challenge}`);
    assert((await get('/api/private', token)).status === 200, 'refused where no scope is required');
  });

  await check('401 for an unsigned token (alg: none, RFC 8725 §3.1)', async () => {
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    const token = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(claims)}.`;
    const response = await get('/api/private', token);
    assert(response.status === 401, `status ${response.status}`);
    assert(response.headers.get('www-authenticate') !== null, 'no WWW-Authenticate');
  });

  await check('401 with a bare Bearer challenge without a token', async () => {
    const response = await get('/api/private');
    assert(response.status === 401, `status ${response.status}`);
    assert(response.headers.get('www-authenticate')?.startsWith('Bearer') === true, 'no Bearer challenge');
  });
} catch (error) {
  fail('bundles and serves the Worker', error);
} finally {
  await server?.stop();
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (!report('workerd', ` (${seconds} s)`)) process.exit(1);
