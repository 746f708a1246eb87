import type { HttpResult } from './http.js';
import type { MicroResult } from './micro.js';

/**
 * The micro results as a markdown table, each row beside the node:crypto `verify` floor of its
 * algorithm and concurrency: the median of the per-round ratios, each round's cases having run back
 * to back.
 */
export function microTable(results: readonly MicroResult[]): string {
  const lines = [
    '| alg | in flight | subject | ops/s | ÷ node:crypto verify |',
    '| --- | ---: | --- | ---: | ---: |',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.alg} | ${r.concurrency} | ${r.subject} | ${Math.round(r.opsPerSecond)} | ${r.ratioToFloor.toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The median over the rounds of the tokenwarden route's req/s ÷ this row's in the same round: slices
 * of one round ran back to back, so each ratio compares the routes under the same machine conditions.
 */
export function pairedRatio(tokenwarden: HttpResult, row: HttpResult): number {
  const ratios = row.roundRequestsPerSecond.map(
    (rps, round) => (tokenwarden.roundRequestsPerSecond[round] ?? Number.NaN) / rps,
  );
  return median(ratios);
}

/**
 * The HTTP results as one markdown table. The last column compares the tokenwarden route with this
 * row, within the same framework and token mode ({@link pairedRatio}): on the no-auth row it is
 * tokenwarden ÷ no auth, on each peer's row tokenwarden ÷ that peer.
 */
export function httpTable(results: readonly HttpResult[]): string {
  const lines = [
    '| framework | route | tokens | req/s | p50 ms | p99 ms | tokenwarden ÷ this row |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    const tokenwarden = results.find(
      (other) => other.framework === r.framework && other.mode === r.mode && other.kind === 'tokenwarden',
    );
    const ratio =
      r.kind === 'tokenwarden' || tokenwarden === undefined ? '—' : pairedRatio(tokenwarden, r).toFixed(2);
    const token =
      r.mode === 'repeated'
        ? '1 repeated'
        : `${r.tokens} distinct${r.mode === 'miss' ? ' (cache misses)' : ''}`;
    lines.push(
      `| ${r.framework} | ${r.subject} | ${token} | ${Math.round(r.requestsPerSecond)} | ` +
        `${r.latencyP50Ms.toFixed(2)} | ${r.latencyP99Ms.toFixed(2)} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}
