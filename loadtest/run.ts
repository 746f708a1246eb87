/**
 * `npm run loadtest`: the long load run of issue 6 against the Express and Fastify examples on
 * 127.0.0.1, six phases of `LOAD_REQUESTS_PER_PHASE` requests each (default 2000, so 12 000 per
 * framework): a token mix while keys rotate, the key server stops, and comes back on the same port.
 * Prints, per framework and phase, the statuses by token category and the event-loop delay, then
 * exits non-zero on any unexpected status, any 5xx but the intended 503, any transport error, any
 * event-loop stall over 100 ms, or a heap that grew past its bound.
 */
import {
  LOAD_FRAMEWORKS,
  type LoadFramework,
  type LoadReport,
  runLoadScenario,
} from '../test/load/load-scenario.js';

const REQUESTS_PER_PHASE = Number(process.env.LOAD_REQUESTS_PER_PHASE ?? 2000);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 20);
/** An event-loop delay above this is a stall. */
const STALL_MS = 100;
/**
 * How far the retained heap may grow over a run, in MB: the verified-token cache and the key import
 * cache are bounded LRUs, so retained memory must level off however many requests pass.
 */
const HEAP_GROWTH_BOUND_MB = 32;

function printReport(report: LoadReport): string[] {
  const failures: string[] = [];
  console.log(`\n${report.framework}: ${report.totalRequests} requests`);
  for (const phase of report.phases) {
    const mix = Object.entries(phase.statuses)
      .map(([category, statuses]) => `${category} ${JSON.stringify(statuses)}`)
      .join(', ');
    console.log(`  ${phase.name}: event-loop max ${phase.eventLoopMaxMs.toFixed(1)} ms`);
    console.log(`    ${mix}`);
    for (const [mismatch, count] of Object.entries(phase.unexpected)) {
      failures.push(`${report.framework} / ${phase.name}: ${count} x ${mismatch}`);
    }
    if (phase.unintendedServerErrors > 0) {
      failures.push(`${report.framework} / ${phase.name}: ${phase.unintendedServerErrors} unintended 5xx`);
    }
    if (phase.transportErrors > 0) {
      failures.push(`${report.framework} / ${phase.name}: ${phase.transportErrors} errors or timeouts`);
    }
    if (phase.requests !== REQUESTS_PER_PHASE) {
      failures.push(
        `${report.framework} / ${phase.name}: ${phase.requests} of ${REQUESTS_PER_PHASE} answered`,
      );
    }
  }
  const { start, peak, end } = report.heapMb;
  console.log(
    `  event-loop delay: max ${report.eventLoopMaxMs.toFixed(1)} ms, p99 ${report.eventLoopP99Ms.toFixed(1)} ms` +
      ` (server and load generator share the process)`,
  );
  console.log(
    `  heap${report.heapAfterGc ? ' after full GC' : ' (run with --expose-gc for retained heap)'}: ` +
      `${start.toFixed(1)} MB at start, ${peak.toFixed(1)} MB peak, ${end.toFixed(1)} MB at end`,
  );
  if (report.eventLoopMaxMs > STALL_MS) {
    failures.push(`${report.framework}: event-loop stall of ${report.eventLoopMaxMs.toFixed(1)} ms`);
  }
  if (report.heapAfterGc && peak - start > HEAP_GROWTH_BOUND_MB) {
    failures.push(`${report.framework}: heap grew by ${(peak - start).toFixed(1)} MB`);
  }
  return failures;
}

const failures: string[] = [];
for (const framework of Object.keys(LOAD_FRAMEWORKS) as LoadFramework[]) {
  const report = await runLoadScenario({
    framework,
    requestsPerPhase: REQUESTS_PER_PHASE,
    connections: CONNECTIONS,
  });
  failures.push(...printReport(report));
}
if (failures.length === 0) {
  console.log(
    '\nPASS: every valid request 200, every invalid one its 4xx, 503 only where intended, no stalls.',
  );
} else {
  console.log(`\nFAIL:\n${failures.map((failure) => `  ${failure}`).join('\n')}`);
  process.exitCode = 1;
}
