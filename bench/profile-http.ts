import { fork } from 'node:child_process';
import autocannon from 'autocannon';
import { createTestIssuer } from 'tokenwarden/testing';
import { type Framework, serverScript } from './http.js';

// The repeated-token HTTP case on one framework (PROFILE_FRAMEWORK, default express), for a CPU
// profile of what authentication adds per request: the bench's compiled server of that framework in
// its own process, loaded by autocannon with one RS256 token, alternating the `no auth` and
// tokenwarden routes. With PROFILE_DIR set the server runs under `node --cpu-prof` and writes its
// profile there when the run ends. Build first (npm run bench does both):
//   npm run build && npx tsc -p bench/tsconfig.servers.json
//   PROFILE_DIR=/tmp/prof PROFILE_FRAMEWORK=koa npx tsx bench/profile-http.ts
// PROFILE_SECONDS per measurement [5], PROFILE_ROUNDS of (no auth, tokenwarden) pairs [2].
const seconds = Number(process.env.PROFILE_SECONDS ?? 5);
const rounds = Number(process.env.PROFILE_ROUNDS ?? 2);
const profileDir = process.env.PROFILE_DIR;

const issuer = await createTestIssuer({ algorithms: ['RS256'] });
const token = await issuer.signToken();
const framework = process.env.PROFILE_FRAMEWORK ?? 'express';
const server = fork(serverScript(framework as Framework), [], {
  execArgv: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  env: {
    ...process.env,
    NODE_ENV: 'production',
    BENCH_ISSUER: issuer.issuer,
    BENCH_AUDIENCE: issuer.audience,
    BENCH_JWKS_URI: issuer.jwksUri,
  },
});
const port = await new Promise<number>((resolve) =>
  server.once('message', (message) => resolve((message as { port: number }).port)),
);

async function requestsPerSecond(path: string): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: 32,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  return result.requests.average;
}

await requestsPerSecond('/tokenwarden');
for (let round = 1; round <= rounds; round += 1) {
  const none = await requestsPerSecond('/none');
  const tokenwarden = await requestsPerSecond('/tokenwarden');
  console.log(
    `round ${round}: no auth ${Math.round(none)} req/s, tokenwarden ${Math.round(tokenwarden)} req/s, ` +
      `ratio ${(tokenwarden / none).toFixed(3)}`,
  );
}
// The server exits when its IPC channel closes, which lets --cpu-prof write the profile.
server.disconnect();
await new Promise((resolve) => server.once('exit', resolve));
await issuer.close();
