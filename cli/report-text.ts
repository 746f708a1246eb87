import type { CheckReport, ExplainReport } from './explain.js';
import { relative } from './explain.js';
import type { KeyReport, KeysReport } from './keys.js';

/**
 * The text form of the `tokenwarden` reports (`explain`, `keys`): one line per check or key, the
 * expected and actual values of a failure and its likely fix. Colours only on a terminal, and never
 * with `NO_COLOR` set.
 */

const colours = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: number) => (text: string) => (colours ? `\u001b[${code}m${text}\u001b[0m` : text);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);
const dim = paint(2);

/** `tokenwarden explain`'s report as text; `now` (seconds) dates the time claims. */
export function formatReport(report: ExplainReport, now: number): string {
  const lines: string[] = [];
  lines.push(`Token: ${report.format}`);
  if (report.header !== undefined) {
    const { alg, kid, typ } = report.header;
    lines.push(`  header  alg=${String(alg)} kid=${String(kid ?? '(none)')} typ=${String(typ ?? '(none)')}`);
  }
  if (report.claims !== undefined) {
    const { iss, sub, aud, client_id, azp, scope, scp } = report.claims;
    const shown = { iss, sub, aud, client_id, azp, scope, scp };
    for (const [name, value] of Object.entries(shown)) {
      if (value !== undefined) lines.push(`  ${name.padEnd(7)} ${JSON.stringify(value)}`);
    }
  }
  for (const time of report.times) lines.push(`  ${time.claim.padEnd(7)} ${time.iso} (${time.relative})`);
  if (report.proof !== undefined) lines.push(...formatProof(report.proof, now));
  if (report.fetches.length > 0) {
    lines.push('', 'Keys:');
    for (const fetched of report.fetches) {
      const ok = fetched.status === 200;
      lines.push(
        `  ${(ok ? green : red)(String(fetched.status))} ${fetched.url}${fetched.note === undefined ? '' : dim(`  ${fetched.note}`)}`,
      );
    }
  }
  lines.push('', 'Checks:');
  for (const check of report.checks) lines.push(...formatCheck(check, now));
  lines.push('');
  const verdict =
    report.verdict === 'valid'
      ? green('VALID: tokenwarden accepts this token')
      : report.verdict === 'rejected'
        ? red(`REJECTED (${report.code}): tokenwarden refuses this token`)
        : yellow(`NOT CHECKED (${report.code}): the keys could not be had`);
  lines.push(verdict, '');
  return lines.join('\n');
}

/** `tokenwarden keys`' report as text. */
export function formatKeysReport(report: KeysReport): string {
  const lines = ['Fetched:'];
  for (const fetched of report.fetches) {
    const ok = fetched.status === 200;
    lines.push(
      `  ${(ok ? green : red)(String(fetched.status))} ${fetched.url}${fetched.note === undefined ? '' : dim(`  ${fetched.note}`)}`,
    );
  }
  const cache = report.cache;
  if (cache !== undefined) {
    lines.push('', 'Cache:');
    const shown = {
      'Cache-Control': cache.cacheControl,
      Expires: cache.expires,
      Age: cache.age,
      ETag: cache.etag,
    };
    for (const [name, value] of Object.entries(shown))
      lines.push(`  ${name.padEnd(14)} ${value ?? dim('(none)')}`);
    const { ttl, refreshAfter, staleIfError } = cache.freshness;
    lines.push(
      `  tokenwarden    keeps the set ${ttl} s (${cache.notes.join('; ')}), refetches in the background after ${refreshAfter} s, and uses it ${staleIfError} s longer while refetching fails`,
    );
  }
  if (report.keys.length > 0) {
    lines.push('', 'Keys:');
    for (const key of report.keys) lines.push(formatKey(key));
  }
  lines.push('');
  const usable = report.keys.filter((key) => key.usable).length;
  lines.push(
    report.verdict === 'usable'
      ? green(`USABLE: tokenwarden verifies tokens with ${usable} of ${report.keys.length} keys`)
      : report.verdict === 'unusable'
        ? red(`NO USABLE KEY: tokenwarden ignores all ${report.keys.length} keys`)
        : yellow(`NO KEY SET: ${report.reason ?? 'the keys could not be had'}`),
    '',
  );
  return lines.join('\n');
}

function formatKey(key: KeyReport): string {
  const size = key.modulusBits !== undefined ? `${key.modulusBits} bits` : (key.crv ?? '');
  const facts = [
    `kid=${key.kid ?? '(none)'}`,
    `${key.kty ?? '?'} ${size}`.trim(),
    `alg=${key.alg ?? '(none)'}`,
    `use=${key.use ?? '(none)'}`,
  ].join('  ');
  if (!key.usable) return `  ${red('✗')} ${facts}\n      ignored: ${key.reason}`;
  const caveat = key.reason === undefined ? '' : `\n      ${yellow('note:')} ${key.reason}`;
  return `  ${green('✓')} ${facts}\n      used for ${key.algorithms?.join(', ')}${caveat}`;
}

function formatProof(proof: NonNullable<ExplainReport['proof']>, now: number): string[] {
  const lines = ['', 'DPoP proof:'];
  lines.push(`  header  alg=${String(proof.alg ?? '(unread)')} typ=${String(proof.typ ?? '(none)')}`);
  if (proof.thumbprint !== undefined) lines.push(`  jkt     ${proof.thumbprint}`);
  const claims = proof.claims;
  if (claims !== undefined) {
    lines.push(`  htm     ${JSON.stringify(claims.htm)}`, `  htu     ${JSON.stringify(claims.htu)}`);
    lines.push(`  iat     ${new Date(claims.iat * 1000).toISOString()} (${relative(claims.iat, now)})`);
    if (claims.nonce !== undefined) lines.push(`  nonce   ${JSON.stringify(claims.nonce)}`);
  }
  return lines;
}

function formatCheck(check: CheckReport, now: number): string[] {
  const mark = check.skipped === true ? dim('–') : check.ok ? green('✓') : red('✗');
  const lines = [`  ${mark} ${check.name.padEnd(12)} ${check.message}`];
  const detail = check.detail;
  if (!check.ok && detail !== undefined) {
    if (detail.expected !== undefined) lines.push(`      expected: ${JSON.stringify(detail.expected)}`);
    if (detail.actual !== undefined) {
      const time = typeof detail.actual === 'number' && detail.now !== undefined;
      lines.push(
        `      actual:   ${time ? `${new Date((detail.actual as number) * 1000).toISOString()} (${relative(detail.actual, now)})` : JSON.stringify(detail.actual)}`,
      );
    }
    if (detail.now !== undefined)
      lines.push(
        `      server clock: ${new Date(detail.now * 1000).toISOString()}, tolerance ${detail.clockTolerance ?? 0} s`,
      );
  }
  for (const hint of check.hints) lines.push(`      ${yellow('fix:')} ${hint}`);
  return lines;
}
