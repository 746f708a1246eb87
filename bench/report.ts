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

const FRAMEWORK_TITLES: Readonly<Record<string, string>> = {
  express: 'Express 5',
  fastify: 'Fastify 5',
  hono: 'Hono 4',
  koa: 'Koa 3',
};

/**
 * The README's HTTP summary: per framework and token mode, tokenwarden ÷ no auth, ÷ the do-nothing
 * middleware and ÷ each peer ({@link pairedRatio}). Printed by the bench so the README's table is
 * copied from its output, never typed by hand.
 */
export function summaryHttpTable(results: readonly HttpResult[]): string {
  const lines = [
    '| framework | tokens | ÷ no auth | ÷ do-nothing middleware | ÷ peer |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  const groups = new Map<string, HttpResult[]>();
  for (const r of results)
    groups.set(`${r.framework} ${r.mode}`, [...(groups.get(`${r.framework} ${r.mode}`) ?? []), r]);
  for (const rows of groups.values()) {
    const tokenwarden = rows.find((r) => r.kind === 'tokenwarden');
    if (tokenwarden === undefined) continue;
    const ratioTo = (kind: HttpResult['kind']) => {
      const row = rows.find((r) => r.kind === kind);
      return row === undefined ? '—' : pairedRatio(tokenwarden, row).toFixed(2);
    };
    const peers = rows
      .filter((r) => r.kind === 'peer')
      .map((r) => `${pairedRatio(tokenwarden, r).toFixed(2)} (${r.subject})`)
      .join(', ');
    const tokens =
      tokenwarden.mode === 'repeated'
        ? '1 repeated'
        : `${tokenwarden.tokens} distinct${tokenwarden.mode === 'miss' ? ', cache misses' : ''}`;
    const framework = FRAMEWORK_TITLES[tokenwarden.framework] ?? tokenwarden.framework;
    lines.push(`| ${framework} | ${tokens} | ${ratioTo('none')} | ${ratioTo('baseline')} | ${peers} |`);
  }
  return lines.join('\n');
}

/** Cold `verify()` ÷ the best of these peers, per round. */
const PEERS = ['aws-jwt-verify (cached JWKS)', 'fast-jwt (cache off)', 'jose.jwtVerify (local JWKS)'];
const COLD = 'tokenwarden verify(), cold (cache off)';

/**
 * The README's cold-path summary: per algorithm and concurrency, cold `verify()` ÷ raw node:crypto
 * `verify` and ÷ the fastest of aws-jwt-verify, fast-jwt and `jose.jwtVerify` in the same round
 * (median over the rounds, with the lowest and highest round).
 */
export function summaryMicroTable(results: readonly MicroResult[]): string {
  const lines = [
    '| alg | in flight | ÷ node:crypto verify | ÷ best peer (median, rounds' + "' range) |",
    '| --- | ---: | ---: | ---: |',
  ];
  for (const cold of results.filter((r) => r.subject === COLD)) {
    const peers = results.filter(
      (r) => r.alg === cold.alg && r.concurrency === cold.concurrency && PEERS.includes(r.subject),
    );
    const ratios = cold.rounds.map(
      (ops, round) => ops / Math.max(...peers.map((peer) => peer.rounds[round] ?? Number.NaN)),
    );
    const low = Math.min(...ratios).toFixed(2);
    const high = Math.max(...ratios).toFixed(2);
    lines.push(
      `| ${cold.alg} | ${cold.concurrency} | ${cold.ratioToFloor.toFixed(2)} | ${median(ratios).toFixed(2)} (${low}–${high}) |`,
    );
  }
  return lines.join('\n');
}
