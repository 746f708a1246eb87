import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { runMicro } from './micro.js';

// npm run bench: micro benchmarks of verify(). The HTTP comparison against peer libraries is not
// written yet; this prints and records only the per-operation numbers.
const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 1);
const micro = await runMicro({ seconds, concurrency, tokens: 2000 });

const floor = new Map(
  micro.filter((r) => r.subject.startsWith('crypto.subtle')).map((r) => [r.alg, r.opsPerSecond]),
);
console.log(`\n## verify() — distinct tokens, concurrency ${concurrency}, ${seconds} s per case\n`);
console.log('| alg | subject | ops/s | ÷ crypto.subtle.verify |');
console.log('| --- | --- | ---: | ---: |');
for (const r of micro) {
  const ratio = r.opsPerSecond / (floor.get(r.alg) ?? Number.NaN);
  console.log(`| ${r.alg} | ${r.subject} | ${Math.round(r.opsPerSecond)} | ${ratio.toFixed(2)} |`);
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
const stamp = new Date().toISOString();
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/micro-${stamp.slice(0, 10)}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify({ date: stamp, machine, seconds, concurrency, micro }, null, 2)}\n`);
console.log(`\n${machine}. Results written to bench/results/.`);
