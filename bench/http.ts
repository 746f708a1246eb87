import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import autocannon, { type RawRequest, type Result } from 'autocannon';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { type BenchRoute, ENV, type ListeningMessage, type RouteKind } from './servers/protocol.js';

/** The frameworks measured, each with a server script in `bench/servers/<name>.ts`. */
export const FRAMEWORKS = ['express', 'fastify', 'hono', 'koa'] as const;

/** One of {@link FRAMEWORKS}. */
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * `repeated`: every request carries the same token. `distinct`: each request takes the next of the
 * distinct tokens, shared by all connections, wrapping around at the end. `miss`: the same with more
 * tokens than the verified-token cache holds (`cache.maxEntries`), so that every request of the
 * rotation misses it and pays a signature verification.
 */
export type TokenMode = 'repeated' | 'distinct' | 'miss';

/** Options for {@link runHttp}. */
export interface HttpOptions {
  /** Frameworks to measure, in order. */
  readonly frameworks: readonly Framework[];
  /** Measured seconds per row, split into slices. */
  readonly seconds: number;
  /**
   * Length of one slice, in seconds. The routes of one framework and token mode take turns slice by
   * slice (forwards, then backwards), so a fast or slow spell of the machine, which on a shared
   * 2-core machine lasts from a fraction of a second to a few seconds, falls on neighbouring slices
   * of every route alike; each ratio is then the median of the per-round ratios.
   */
  readonly sliceSeconds: number;
  /** Length of the unrecorded run on each route before its first slice, in seconds. */
  readonly warmupSeconds: number;
  /** Concurrent keep-alive connections autocannon holds open. */
  readonly connections: number;
  /** How many distinct tokens the `distinct` mode rotates through. */
  readonly distinctTokens: number;
  /** How many the `miss` mode rotates through: more than tokenwarden's default `cache.maxEntries`. */
  readonly missTokens: number;
  /** Progress lines go here (stderr by default, keeping stdout for the table). */
  readonly log?: ((line: string) => void) | undefined;
}

/** One measured (framework, route, token mode). */
export interface HttpResult {
  readonly framework: Framework;
  readonly path: string;
  readonly kind: RouteKind;
  readonly subject: string;
  readonly mode: TokenMode;
  /** How many distinct tokens the requests rotated through. */
  readonly tokens: number;
  /** Completed 2xx responses per second over the measurement. */
  readonly requestsPerSecond: number;
  /** Median latency, in milliseconds. */
  readonly latencyP50Ms: number;
  /** 99th percentile latency, in milliseconds. */
  readonly latencyP99Ms: number;
  /** Completed responses in the measurement. */
  readonly requests: number;
  /** Measured duration, in seconds. */
  readonly seconds: number;
  /** Req/s of each round's slice, in order; rounds line up across the rows of a framework and mode. */
  readonly roundRequestsPerSecond: readonly number[];
}

const MODES: readonly TokenMode[] = ['repeated', 'distinct', 'miss'];
const SERVER_START_TIMEOUT_MS = 60_000;
const SAMPLE_INTERVAL_MS = 25;

/**
 * Measures every route of every framework's server, each server in its own child process and the
 * load generator (autocannon) in this one, against a test issuer this process serves on 127.0.0.1.
 */
export async function runHttp(options: HttpOptions): Promise<HttpResult[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const issuer = await createTestIssuer({ algorithms: ['RS256'] });
  const results: HttpResult[] = [];
  try {
    const signed = Math.max(options.distinctTokens, options.missTokens);
    log(`signing ${signed} distinct RS256 tokens…`);
    const distinct = await signDistinctTokens(issuer, signed);
    const tokens = {
      repeated: [await issuer.signToken()],
      distinct: distinct.slice(0, options.distinctTokens),
      miss: distinct.slice(0, options.missTokens),
    } satisfies Record<TokenMode, string[]>;
    for (const framework of options.frameworks) {
      const server = await startServer(framework, issuer);
      try {
        await checkRoutes(framework, server.port, server.routes, issuer, tokens.repeated[0] as string);
        for (const mode of MODES) {
          const rows = server.routes.map((route) => ({
            route,
            url: `http://127.0.0.1:${server.port}${route.path}`,
            nextToken: rotation(tokens[mode]),
            measured: { requests: 0, seconds: 0, latencyMicros: createHistogram(), rounds: [] as number[] },
          }));
          log(`${framework}, ${mode} token: warming up ${rows.length} routes…`);
          for (const row of rows) {
            await load(row.url, row.nextToken, options.warmupSeconds, options.connections);
          }
          const rounds = Math.max(1, Math.round(options.seconds / options.sliceSeconds));
          log(`${framework}, ${mode} token: ${rounds} rounds of ${options.sliceSeconds} s per route…`);
          for (let round = 0; round < rounds; round += 1) {
            for (const row of round % 2 === 0 ? rows : [...rows].reverse()) {
              const { result, latencyMicros } = await load(
                row.url,
                row.nextToken,
                options.sliceSeconds,
                options.connections,
              );
              row.measured.requests += result.requests.total;
              row.measured.seconds += result.duration;
              row.measured.latencyMicros.add(latencyMicros);
              row.measured.rounds.push(result.requests.total / result.duration);
            }
          }
          for (const row of rows) {
            results.push(toHttpResult(framework, row.route, mode, tokens[mode].length, row.measured));
          }
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    await issuer.close();
  }
  return results;
}

async function signDistinctTokens(issuer: TestIssuer, count: number): Promise<string[]> {
  const tokens: string[] = [];
  // Batches keep Web Crypto's thread pool busy without queueing thousands of promises at once.
  const batch = 64;
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    tokens.push(...(await Promise.all(Array.from({ length: size }, () => issuer.signToken()))));
  }
  return tokens;
}

/** A fresh cursor over `tokens` for one route, so every route starts its rotation cold. */
function rotation(tokens: readonly string[]): () => string {
  let next = 0;
  return () => {
    const token = tokens[next] as string;
    next = next + 1 === tokens.length ? 0 : next + 1;
    return token;
  };
}

/**
 * One autocannon run. Both token modes build each request through `setupRequest`, so the load
 * generator does the same work per request whichever mode is measured.
 */
async function load(
  url: string,
  nextToken: () => string,
  seconds: number,
  connections: number,
): Promise<{ result: Result; latencyMicros: RecordableHistogram }> {
  const path = new URL(url).pathname;
  const setupRequest = (request: RawRequest): RawRequest => ({
    ...request,
    headers: { ...request.headers, authorization: `Bearer ${nextToken()}` },
  });
  // autocannon's own latency histogram keeps whole milliseconds, too coarse for 1-3 ms responses.
  const latencyMicros = createHistogram();
  const run = autocannon({
    url,
    connections,
    duration: seconds,
    // autocannon stops only at a sample; its default of one per second would stretch a 0.25 s slice.
    sampleInt: SAMPLE_INTERVAL_MS,
    requests: [{ method: 'GET', path, setupRequest }],
  });
  run.on('response', (_client, _status, _bytes, responseTime) => {
    latencyMicros.record(Math.max(1, Math.round(responseTime * 1000)));
  });
  const result = await run;
  // A rejected or failed request means the route is not doing what is measured: stop, loudly.
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${url}: ${result.non2xx} non-2xx responses, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return { result, latencyMicros };
}

function toHttpResult(
  framework: Framework,
  route: BenchRoute,
  mode: TokenMode,
  tokens: number,
  measured: { requests: number; seconds: number; latencyMicros: RecordableHistogram; rounds: number[] },
): HttpResult {
  return {
    framework,
    path: route.path,
    kind: route.kind,
    subject: route.subject,
    mode,
    tokens,
    requestsPerSecond: measured.requests / measured.seconds,
    latencyP50Ms: measured.latencyMicros.percentile(50) / 1000,
    latencyP99Ms: measured.latencyMicros.percentile(99) / 1000,
    requests: measured.requests,
    seconds: measured.seconds,
    roundRequestsPerSecond: measured.rounds,
  };
}

interface RunningServer {
  readonly port: number;
  readonly routes: readonly BenchRoute[];
  stop(): Promise<void>;
}

/**
 * The compiled server script of `framework`: `npm run bench` compiles `bench/servers/` first
 * (`bench/tsconfig.servers.json`), and the servers import tokenwarden's built package, so every
 * library runs as plain JavaScript on plain Node, as it would in production.
 */
export function serverScript(framework: Framework): URL {
  return new URL(`./servers/.build/${framework}.js`, import.meta.url);
}

/** Forks the compiled server of `framework` and waits for its port. */
function startServer(framework: Framework, issuer: TestIssuer): Promise<RunningServer> {
  const script = serverScript(framework);
  if (!existsSync(script)) {
    throw new Error(`${script.pathname} is missing: run the bench through npm run bench, which builds it`);
  }
  const child = fork(script, [], {
    execArgv: [],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      [ENV.issuer]: issuer.issuer,
      [ENV.audience]: issuer.audience,
      [ENV.jwksUri]: issuer.jwksUri,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`the ${framework} server did not start within ${SERVER_START_TIMEOUT_MS} ms`));
    }, SERVER_START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the ${framework} server exited before listening (${signal ?? `code ${code}`})`));
    });
    child.once('message', (message: ListeningMessage) => {
      clearTimeout(timer);
      resolve({ port: message.port, routes: message.routes, stop: () => stopChild(child) });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill();
  });
}

/**
 * A request the preflight makes and what it must get: an exact status, or `refused` for any 4xx/5xx
 * (peers differ there: @fastify/jwt + get-jwks answers 500 to a token from an issuer not whitelisted).
 */
interface Expectation {
  readonly what: string;
  readonly token: string | undefined;
  readonly expected: 200 | 401 | 'refused';
}

/**
 * Before measuring, proves each route guards what it claims to: a valid token is accepted, no token
 * is answered 401, and a forged, expired, foreign-audience or foreign-issuer token is refused. A peer
 * set up to accept anything would otherwise win the comparison.
 */
async function checkRoutes(
  framework: Framework,
  port: number,
  routes: readonly BenchRoute[],
  issuer: TestIssuer,
  validToken: string,
): Promise<void> {
  const invalid: Expectation[] = [
    { what: 'no token', token: undefined, expected: 401 },
    {
      what: 'a forged signature',
      token: await issuer.signToken({}, { untrustedKey: true }),
      expected: 'refused',
    },
    {
      what: 'an expired token',
      token: await issuer.signToken({}, { expiresIn: -3600 }),
      expected: 'refused',
    },
    {
      what: 'another audience',
      token: await issuer.signToken({ aud: 'https://other-api.example.test' }),
      expected: 'refused',
    },
    {
      what: 'another issuer',
      token: await issuer.signToken({ iss: 'https://other-issuer.example.test/' }),
      expected: 'refused',
    },
  ];
  const failures: string[] = [];
  for (const route of routes) {
    const expectations: Expectation[] =
      route.kind === 'none' || route.kind === 'baseline'
        ? [{ what: 'no token', token: undefined, expected: 200 }]
        : [{ what: 'a valid token', token: validToken, expected: 200 }, ...invalid];
    for (const { what, token, expected } of expectations) {
      const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
      const response = await fetch(`http://127.0.0.1:${port}${route.path}`, { headers });
      const body = await response.text();
      const met = expected === 'refused' ? response.status >= 400 : response.status === expected;
      if (!met) {
        failures.push(
          `${framework} ${route.path} (${route.subject}) answered ${response.status} to ${what}, expected ${expected}`,
        );
      } else if (expected === 200 && !isRouteBody(body)) {
        failures.push(`${framework} ${route.path} (${route.subject}) answered 200 without its JSON body`);
      }
    }
  }
  if (failures.length > 0) throw new Error(`route checks failed:\n  ${failures.join('\n  ')}`);
}

function isRouteBody(text: string): boolean {
  try {
    return (JSON.parse(text) as { ok?: unknown }).ok === true;
  } catch {
    return false;
  }
}
