import type { HttpResult } from './http.js';
import type { MicroResult } from './micro.js';

/**
 * The micro results as a markdown table, each row beside the `crypto.subtle.verify` floor of its
 * algorithm: the median of the per-round ratios, each round's cases having run back to back.
 */
export function microTable(results: readonly MicroResult[]): string {
  const lines = ['| alg | subject | ops/s | ÷ crypto.subtle.verify |', '| --- | --- | ---: | ---: |'];
  for (const r of results) {
    lines.push(`| ${r.alg} | ${r.subject} | ${Math.round(r.opsPerSecond)} | ${r.ratioToFloor.toFixed(2)} |`);
  }
  return lines.join('\n');
}

/**
 * The HTTP results as one markdown table. The last column divides the tokenwarden route's req/s by
 * this row's, within the same framework and token mode: on the no-auth row it is tokenwarden ÷ no
 * auth, on each peer's row tokenwarden ÷ that peer.
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
      r.kind === 'tokenwarden' || tokenwarden === undefined
        ? '—'
        : (tokenwarden.requestsPerSecond / r.requestsPerSecond).toFixed(2);
    const token = r.mode === 'repeated' ? '1 repeated' : `${r.tokens} distinct`;
    lines.push(
      `| ${r.framework} | ${r.subject} | ${token} | ${Math.round(r.requestsPerSecond)} | ` +
        `${r.latencyP50Ms.toFixed(2)} | ${r.latencyP99Ms.toFixed(2)} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}
