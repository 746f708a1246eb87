import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { CHART_FILE, captionOf, drawChart } from './chart.js';
import { FRAMEWORKS, type Framework, type HttpResult, runHttp } from './http.js';
import { type MicroResult, runMicro } from './micro.js';
import { httpTable, microTable, summaryHttpTable, summaryMicroTable } from './report.js';

// npm run bench: verify() micro benchmarks, then each framework over HTTP. Settings (docs/benchmarks.md):
//   BENCH_ONLY=micro,express,…  sections to run [all]
//   BENCH_SECONDS               measured seconds per HTTP row [10]
//   BENCH_SLICE_SECONDS         length of the slices in which a framework's routes take turns [0.25]
//   BENCH_WARMUP_SECONDS        unrecorded seconds on each route before its first slice [1]
//   BENCH_CONNECTIONS           autocannon connections [32]
//   BENCH_DISTINCT_TOKENS       tokens in the distinct rotation [10000]
//   BENCH_MISS_TOKENS           tokens in the cache-miss rotation, above cache.maxEntries [12000]
//   BENCH_MICRO_SECONDS         seconds per micro case [2, or BENCH_SECONDS if shorter]
//   BENCH_CONCURRENCY           verify() calls in flight in the micro cases, comma-separated [1,64]
//   BENCH_MICRO_ROUNDS          round-robin rounds each micro case's time is split into [10]
const started = performance.now();
const SECTIONS = ['micro', ...FRAMEWORKS] as const;
type Section = (typeof SECTIONS)[number];

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function numbersFromEnv(name: string, fallback: readonly number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  return raw.split(',').map((part) => {
    const value = Number(part);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${name} must list positive integers, got "${raw}"`);
    return value;
  });
}

function sectionsFromEnv(): Section[] {
  const raw = process.env.BENCH_ONLY;
  if (raw === undefined || raw.trim() === '') return [...SECTIONS];
  const wanted = raw.split(',').map((name) => name.trim().toLowerCase());
  const unknown = wanted.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')}; use ${SECTIONS.join(', ')}`);
  return SECTIONS.filter((section) => wanted.includes(section));
}

const sections = sectionsFromEnv();
const httpSeconds = numberFromEnv('BENCH_SECONDS', 10);
const settings = {
  only: sections,
  http: {
    seconds: httpSeconds,
    sliceSeconds: numberFromEnv('BENCH_SLICE_SECONDS', 0.25),
    warmupSeconds: numberFromEnv('BENCH_WARMUP_SECONDS', 1),
    connections: numberFromEnv('BENCH_CONNECTIONS', 32),
    distinctTokens: numberFromEnv('BENCH_DISTINCT_TOKENS', 10_000),
    missTokens: numberFromEnv('BENCH_MISS_TOKENS', 12_000),
  },
  micro: {
    seconds: numberFromEnv('BENCH_MICRO_SECONDS', Math.min(2, httpSeconds)),
    concurrencies: numbersFromEnv('BENCH_CONCURRENCY', [1, 64]),
    rounds: numberFromEnv('BENCH_MICRO_ROUNDS', 10),
    tokens: 2000,
  },
};
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown CPU',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  // Other work on the machine skews every number; the load average at start and end shows how much.
  loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
};
const date = new Date().toISOString();

let micro: MicroResult[] | undefined;
if (sections.includes('micro')) {
  micro = await runMicro(settings.micro);
  console.log(
    `\n## verify() — cold cases rotate ${settings.micro.tokens} tokens, concurrency ${settings.micro.concurrencies.join(' and ')}, ` +
      `${settings.micro.seconds} s per case in ${settings.micro.rounds} interleaved rounds, ` +
      'ratios are medians of per-round ratios\n',
  );
  console.log(microTable(micro));
  console.log(`\n### Summary (README)\n\n${summaryMicroTable(micro)}`);
}

const frameworks = sections.filter((section): section is Framework => section !== 'micro');
let http: HttpResult[] | undefined;
if (frameworks.length > 0) {
  http = await runHttp({ ...settings.http, frameworks });
  const { seconds, sliceSeconds, warmupSeconds, connections } = settings.http;
  console.log(
    `\n## HTTP — server in its own process, autocannon ${connections} connections, ${seconds} s per row ` +
      `in ${sliceSeconds} s slices taking turns with the framework's other routes, after ${warmupSeconds} s ` +
      'of warm-up; ratios are medians of per-round ratios\n',
  );
  console.log(httpTable(http));
  console.log(`\n### Summary (README)\n\n${summaryHttpTable(http)}`);
  console.log(
    "\nLast column: the median over the rounds of the tokenwarden route's req/s ÷ this row's in the " +
      'same round, same framework and tokens (on a no-auth row tokenwarden ÷ no auth, on the ' +
      'do-nothing middleware row tokenwarden ÷ a route whose middleware only hands over, on a peer ' +
      'row tokenwarden ÷ that peer).',
  );
}

const totalSeconds = Math.round((performance.now() - started) / 100) / 10;
const endMachine = { ...machine, loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))) };
const filtered = sections.length < SECTIONS.length;
// A BENCH_ONLY run gets its own file so a quick check never replaces the day's full run.
const name = `${date.slice(0, 10)}${filtered ? `-${sections.join('-')}` : ''}.json`;
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(`./results/${name}`, import.meta.url),
  `${JSON.stringify({ date, machine: endMachine, totalSeconds, settings, micro, http }, null, 2)}\n`,
);
if (micro !== undefined) {
  writeFileSync(CHART_FILE, drawChart(micro, captionOf({ date, machine })));
  console.log('Chart drawn: bench/results/cold-path.svg.');
}
console.log(
  `\n${machine.cores} × ${machine.cpu}, Node ${machine.node}, ${date}; load average ` +
    `${machine.loadAverageAtStart[0]} at start, ${endMachine.loadAverageAtEnd[0]} at end. ` +
    `Total ${totalSeconds} s. Results written to bench/results/${name}.`,
);
