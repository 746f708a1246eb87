import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createVerifier } from 'tokenwarden';

// npm run bench:memory: many distinct valid tokens through one verifier, heap measured after a forced
// GC at intervals. The verified-token cache must keep the heap bounded by its limits however many
// tokens go by. HS256 tokens, built by hand with node:crypto's HMAC, keep minting cheap; the verifier
// still checks every signature (node:crypto on Node, the #signature backend). Settings:
//   BENCH_MEMORY_TOKENS        distinct tokens [1000000]
//   BENCH_MEMORY_SAMPLES       heap samples over the run [20]
//   BENCH_MEMORY_MAX_ENTRIES   the cache's maxEntries [10000, the default]
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:memory does)');

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

const tokenCount = numberFromEnv('BENCH_MEMORY_TOKENS', 1_000_000);
const samples = numberFromEnv('BENCH_MEMORY_SAMPLES', 20);
const maxEntries = numberFromEnv('BENCH_MEMORY_MAX_ENTRIES', 10_000);
/** verify() calls in flight at once, so the run is not bound by one round trip to Web Crypto. */
const IN_FLIGHT = 64;

const issuer = 'https://issuer.example.test/';
const audience = 'https://api.example.test';
const secret = randomBytes(32);
const verifier = createVerifier({ issuer, audience, secret, algorithms: ['HS256'], cache: { maxEntries } });
const encodedHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' })).toString('base64url');
const now = Math.floor(Date.now() / 1000);

/** A valid HS256 access token, distinct for each `n` (RFC 7515 §7.1 compact serialisation). */
function tokenFor(n: number): string {
  const claims = { iss: issuer, aud: audience, sub: `user-${n}`, iat: now, exp: now + 3600, jti: `${n}` };
  const signingInput = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const MiB = 2 ** 20;
const baseline = heapAfterGc();
const heap: { tokens: number; heapUsedMiB: number }[] = [];
const interval = Math.ceil(tokenCount / samples);
const started = performance.now();
for (let next = 0; next < tokenCount; ) {
  const batch: Promise<unknown>[] = [];
  for (let i = 0; i < IN_FLIGHT && next < tokenCount; i += 1, next += 1) {
    batch.push(verifier.verify(tokenFor(next)));
  }
  await Promise.all(batch);
  if (next % interval < IN_FLIGHT || next === tokenCount) {
    heap.push({ tokens: next, heapUsedMiB: heapAfterGc() / MiB });
    process.stderr.write(`memory: ${next} tokens, heap ${heap.at(-1)?.heapUsedMiB.toFixed(1)} MiB\n`);
  }
}
const seconds = (performance.now() - started) / 1000;
const peak = Math.max(...heap.map((sample) => sample.heapUsedMiB));
// After the cache is full (maxEntries tokens), the heap must stop growing.
const afterFull = heap.filter((sample) => sample.tokens >= maxEntries * 2);
const growthAfterFull =
  afterFull.length > 1 ? (afterFull.at(-1)?.heapUsedMiB ?? 0) - (afterFull[0]?.heapUsedMiB ?? 0) : 0;

console.log('\n## Memory — distinct HS256 tokens through one verifier, heap after forced GC\n');
console.log('| tokens | heapUsed MiB |\n| ---: | ---: |');
for (const sample of heap) console.log(`| ${sample.tokens} | ${sample.heapUsedMiB.toFixed(1)} |`);
console.log(
  `\nBaseline ${(baseline / MiB).toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB, growth from twice the ` +
    `cache size to the end ${growthAfterFull.toFixed(1)} MiB; cache maxEntries ${maxEntries}; ` +
    `${tokenCount} tokens in ${seconds.toFixed(1)} s on ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}.`,
);
const date = new Date().toISOString();
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const name = `${date.slice(0, 10)}-memory.json`;
writeFileSync(
  new URL(`./results/${name}`, import.meta.url),
  `${JSON.stringify(
    {
      date,
      node: process.version,
      settings: { tokenCount, maxEntries, inFlight: IN_FLIGHT },
      baselineMiB: baseline / MiB,
      peakMiB: peak,
      growthAfterFullMiB: growthAfterFull,
      seconds,
      heap,
    },
    null,
    2,
  )}\n`,
);
console.log(`Results written to bench/results/${name}.`);
