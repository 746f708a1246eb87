import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon, { type RawRequest } from 'autocannon';
import type { VerifierOptions } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import * as expressExample from '../../examples/express/app.js';
import * as fastifyExample from '../../examples/fastify/app.js';
import { createManualClock } from '../support/clock.js';

// The declarations in bench/autocannon.d.ts cover what the bench needs; the load test also bounds a
// run by request count and reads each response, to check its status against the token sent.
declare module 'autocannon' {
  interface Options {
    /** Total requests of the run; it ends when they are answered. */
    amount?: number;
  }
  interface RequestStep {
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  }
}

/** The example apps under load. */
export const LOAD_FRAMEWORKS = {
  express: expressExample.listen,
  fastify: fastifyExample.listen,
} as const;

/** A framework of {@link LOAD_FRAMEWORKS}. */
export type LoadFramework = keyof typeof LOAD_FRAMEWORKS;

/** The kinds of token in the mix, each with one expected status per phase. */
export type TokenCategory =
  | 'valid'
  | 'valid-previous-key'
  | 'withdrawn-key'
  | 'expired'
  | 'wrong-audience'
  | 'bad-signature'
  | 'missing-scope';

/** Options for {@link runLoadScenario}. */
export interface LoadScenarioOptions {
  readonly framework: LoadFramework;
  /** Requests sent in each of the six phases. */
  readonly requestsPerPhase: number;
  /** Concurrent keep-alive connections. [10] */
  readonly connections?: number | undefined;
  /** Distinct tokens minted per category and phase, so the verified-token cache sees misses too. [25] */
  readonly tokensPerCategory?: number | undefined;
}

/** What one phase sent and got back. */
export interface PhaseReport {
  readonly name: string;
  readonly requests: number;
  /** Responses by category and status. */
  readonly statuses: Readonly<Record<string, Readonly<Record<number, number>>>>;
  /** Responses whose status differs from the expected one, by `category: expected -> got`. */
  readonly unexpected: Readonly<Record<string, number>>;
  /** 5xx answers other than the intended 503 of a phase with no usable key. */
  readonly unintendedServerErrors: number;
  /** Connection errors and timeouts reported by autocannon. */
  readonly transportErrors: number;
  /** Longest event-loop delay while the phase's requests were served, in ms. */
  readonly eventLoopMaxMs: number;
  /** 99th percentile of the same, in ms. */
  readonly eventLoopP99Ms: number;
}

/** The outcome of a whole scenario. */
export interface LoadReport {
  readonly framework: LoadFramework;
  readonly phases: readonly PhaseReport[];
  readonly totalRequests: number;
  /** Whether every response had its expected status and nothing failed on the wire. */
  readonly passed: boolean;
  /**
   * Longest event-loop delay while requests were served, in ms. The app and autocannon share this
   * process, so this bounds the server's own delay from above. Setup between phases (minting tokens,
   * generating keys) is not measured: a real server does none of it.
   */
  readonly eventLoopMaxMs: number;
  /** The highest of the phases' 99th percentile event-loop delays, in ms. */
  readonly eventLoopP99Ms: number;
  /**
   * Heap in use before the run, at its highest after a phase, and at the end, in MB. With
   * `node --expose-gc` each reading follows a full collection, so it is the heap retained;
   * without, it includes garbage not yet collected.
   */
  readonly heapMb: { readonly start: number; readonly peak: number; readonly end: number };
  /** Whether the heap readings follow a full collection. */
  readonly heapAfterGc: boolean;
}

/** The test issuer serves `max-age=600`: moving past it makes the next request refetch. */
const PAST_FRESHNESS = 601;
/** Past the default `staleIfError` (3600 s) on top of freshness: no usable key set remains. */
const PAST_STALE_IF_ERROR = 3601;
/** The default refetch cooldown, plus one second. */
const PAST_COOLDOWN = 31;
const SCOPED_ROUTE = '/api/private-scoped';

interface Phase {
  readonly name: string;
  /** Moves the world into this phase: rotates keys, stops or restarts the issuer, moves the clock. */
  readonly enter: () => Promise<void>;
  /** The tokens to send and the status each must get. */
  readonly mix: () => Promise<Readonly<Partial<Record<TokenCategory, { tokens: string[]; status: number }>>>>;
}

/**
 * Runs six phases against one example app, each a bounded autocannon run over a round-robin mix of
 * token categories: steady state; a rotation that keeps the previous keys published; a rotation
 * that withdraws them; the key server down while the cached set is still within stale-if-error; the
 * key server down past it (the intended 503); the key server back on the same port with new keys.
 * Time moves by an injected clock, so each phase's expected statuses are exact.
 */
export async function runLoadScenario(options: LoadScenarioOptions): Promise<LoadReport> {
  const connections = options.connections ?? 10;
  const tokensPerCategory = options.tokensPerCategory ?? 25;
  const clock = createManualClock();
  let issuer: TestIssuer = await createTestIssuer({ algorithms: ['RS256', 'ES256'], clock: clock.now });
  const issuerPort = Number(new URL(issuer.issuer).port);
  let issuerRunning = true;
  const auth: VerifierOptions = { issuer: issuer.issuer, audience: issuer.audience, clock: clock.now };
  const app = await LOAD_FRAMEWORKS[options.framework](auth, 0, '127.0.0.1');

  const mint = (count: number, sign: (index: number) => Promise<string>) =>
    Promise.all(Array.from({ length: count }, (_, index) => sign(index)));
  const algOf = (index: number) => (index % 2 === 0 ? 'RS256' : 'ES256');
  const scoped = { scope: 'read:messages' };
  /** Tokens of every category that the current issuer keys can produce. */
  const currentKeyMix = async (validStatus: number, refusedStatus: number, scopeStatus: number) => ({
    valid: {
      tokens: await mint(tokensPerCategory, (i) => issuer.signToken(scoped, { alg: algOf(i) })),
      status: validStatus,
    },
    expired: {
      tokens: await mint(tokensPerCategory, (i) =>
        issuer.signToken(scoped, { alg: algOf(i), expiresIn: -60 }),
      ),
      status: refusedStatus,
    },
    'wrong-audience': {
      tokens: await mint(tokensPerCategory, (i) =>
        issuer.signToken({ ...scoped, aud: 'https://other.example.test' }, { alg: algOf(i) }),
      ),
      status: refusedStatus,
    },
    'bad-signature': {
      tokens: (await mint(tokensPerCategory, (i) => issuer.signToken(scoped, { alg: algOf(i) }))).map(
        withAlteredSignature,
      ),
      status: refusedStatus,
    },
    'missing-scope': {
      tokens: await mint(tokensPerCategory, (i) => issuer.signToken({ scope: 'profile' }, { alg: algOf(i) })),
      status: scopeStatus,
    },
  });

  let previousKeyTokens: string[] = [];
  const phases: Phase[] = [
    {
      name: 'steady state',
      enter: async () => {},
      mix: async () => {
        const mix = await currentKeyMix(200, 401, 403);
        previousKeyTokens = mix.valid.tokens;
        return mix;
      },
    },
    {
      name: 'rotation, previous keys still published',
      enter: async () => {
        await issuer.rotateKeys({ keepPrevious: true });
        clock.advance(PAST_FRESHNESS);
      },
      mix: async () => ({
        ...(await currentKeyMix(200, 401, 403)),
        'valid-previous-key': { tokens: previousKeyTokens, status: 200 },
      }),
    },
    {
      name: 'rotation, previous keys withdrawn',
      enter: async () => {
        await issuer.rotateKeys();
        clock.advance(PAST_FRESHNESS);
        // A due key set keeps answering while it is refreshed in the background, so the withdrawn
        // keys are refused once that refresh is done. A token with a new key waits for it.
        await fetch(`${app.url}${SCOPED_ROUTE}`, {
          headers: { authorization: `Bearer ${await issuer.signToken(scoped)}` },
        });
      },
      mix: async () => ({
        ...(await currentKeyMix(200, 401, 403)),
        'withdrawn-key': { tokens: previousKeyTokens, status: 401 },
      }),
    },
    {
      name: 'key server down, cached keys within stale-if-error',
      enter: async () => {
        // Mint before stopping: the issuer's keys live in its process object, not its server.
        await issuer.close();
        issuerRunning = false;
        clock.advance(PAST_FRESHNESS);
      },
      mix: () => currentKeyMix(200, 401, 403),
    },
    {
      name: 'key server down past stale-if-error (intended 503)',
      enter: async () => {
        clock.advance(PAST_STALE_IF_ERROR);
      },
      // RFC 6750 §3.1 leaves no client error to give: the key is needed before any claim is judged.
      mix: () => currentKeyMix(503, 503, 503),
    },
    {
      name: 'key server restarted on the same port with new keys',
      enter: async () => {
        issuer = await createTestIssuer({
          algorithms: ['RS256', 'ES256'],
          clock: clock.now,
          port: issuerPort,
        });
        issuerRunning = true;
        clock.advance(PAST_COOLDOWN);
      },
      mix: () => currentKeyMix(200, 401, 403),
    },
  ];

  const collectGarbage = (globalThis as { gc?: () => void }).gc;
  const heapMb = () => {
    collectGarbage?.();
    return process.memoryUsage().heapUsed / 1024 / 1024;
  };
  const heapStart = heapMb();
  let heapPeak = heapStart;
  const reports: PhaseReport[] = [];
  try {
    for (const phase of phases) {
      await phase.enter();
      const mix = await phase.mix();
      // A histogram per phase: re-enabling one would count the pause between phases as a delay.
      const eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });
      eventLoopDelay.enable();
      const report = await runPhase(phase.name, app.url, mix, options.requestsPerPhase, connections);
      eventLoopDelay.disable();
      reports.push({
        ...report,
        eventLoopMaxMs: eventLoopDelay.max / 1e6,
        eventLoopP99Ms: eventLoopDelay.percentile(99) / 1e6,
      });
      heapPeak = Math.max(heapPeak, heapMb());
    }
  } finally {
    await app.close();
    if (issuerRunning) await issuer.close();
  }
  const totalRequests = reports.reduce((sum, report) => sum + report.requests, 0);
  const passed = reports.every(
    (report) =>
      Object.keys(report.unexpected).length === 0 &&
      report.unintendedServerErrors === 0 &&
      report.transportErrors === 0 &&
      report.requests === options.requestsPerPhase,
  );
  return {
    framework: options.framework,
    phases: reports,
    totalRequests,
    passed,
    eventLoopMaxMs: Math.max(...reports.map((report) => report.eventLoopMaxMs)),
    eventLoopP99Ms: Math.max(...reports.map((report) => report.eventLoopP99Ms)),
    heapMb: { start: heapStart, peak: heapPeak, end: heapMb() },
    heapAfterGc: collectGarbage !== undefined,
  };
}

/**
 * The token with one character in the middle of its signature changed: every bit of a middle
 * base64url character is significant, so the signature bytes differ. (Signing with a fresh untrusted
 * key instead would cost an RSA key generation per token.)
 */
function withAlteredSignature(token: string): string {
  const signatureStart = token.lastIndexOf('.') + 1;
  const position = signatureStart + Math.floor((token.length - signatureStart) / 2);
  const replacement = token[position] === 'A' ? 'B' : 'A';
  return `${token.slice(0, position)}${replacement}${token.slice(position + 1)}`;
}

async function runPhase(
  name: string,
  url: string,
  mix: Readonly<Partial<Record<TokenCategory, { tokens: string[]; status: number }>>>,
  amount: number,
  connections: number,
): Promise<Omit<PhaseReport, 'eventLoopMaxMs' | 'eventLoopP99Ms'>> {
  const categories = Object.entries(mix) as [TokenCategory, { tokens: string[]; status: number }][];
  const statuses: Record<string, Record<number, number>> = {};
  const unexpected: Record<string, number> = {};
  let requests = 0;
  let unintendedServerErrors = 0;
  let next = 0;
  const result = await autocannon({
    url,
    connections,
    amount,
    timeout: 10,
    requests: [
      {
        method: 'GET',
        setupRequest: (request: RawRequest, context?: Record<string, unknown>) => {
          const [category, { tokens }] = categories[next % categories.length] as (typeof categories)[number];
          const token = tokens[Math.floor(next / categories.length) % tokens.length] as string;
          next += 1;
          if (context !== undefined) context.category = category;
          return {
            ...request,
            path: SCOPED_ROUTE,
            headers: { ...request.headers, authorization: `Bearer ${token}` },
          };
        },
        onResponse: (status, _body, context) => {
          const category = context.category as TokenCategory;
          const expected = mix[category]?.status;
          requests += 1;
          statuses[category] ??= {};
          const byStatus = statuses[category];
          byStatus[status] = (byStatus[status] ?? 0) + 1;
          if (status !== expected) {
            const key = `${category}: ${expected} -> ${status}`;
            unexpected[key] = (unexpected[key] ?? 0) + 1;
          }
          if (status >= 500 && expected !== 503) unintendedServerErrors += 1;
        },
      },
    ],
  });
  return {
    name,
    requests,
    statuses,
    unexpected,
    unintendedServerErrors,
    transportErrors: result.errors + result.timeouts,
  };
}
