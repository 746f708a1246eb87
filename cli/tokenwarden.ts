#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { normaliseHttpUri } from '../src/dpop/htu.js';
import { checkMetadataUrlOption } from '../src/jwks/metadata-url.js';
import { type CheckReport, type ExplainReport, explain, relative } from './explain.js';
import type { DpopRequest } from './explain-dpop.js';
import { type KeyReport, type KeysReport, listKeys } from './keys.js';

const USAGE = `Usage: tokenwarden explain <token | -> --issuer <url> --audience <aud> [--client-id <id>] [--jwks-uri <url>] [--scope <scope>]
                           [--dpop <proof> --method <method> --url <url> [--nonce <nonce>]] [--json]

Explains why tokenwarden accepts or refuses an access token: decodes it, fetches the issuer's
discovery document and key set, and runs every check of the verifier.
  <token> or - (read from stdin)
  --issuer     a trusted issuer, exactly as configured (repeatable)
  --audience   this API's audience (repeatable)
  --client-id  an accepted client id, as the clientIds option (Amazon Cognito; repeatable)
  --jwks-uri   the key set URL, instead of discovery
  --scope      a scope the route requires (repeatable)
  --dpop       the DPoP header sent with the token (RFC 9449), checked against it
  --method     with --dpop: the request's method
  --url        with --dpop: the request's URL, as the client addressed it
  --nonce      with --dpop: the nonce the API requires (its DPoP-Nonce), when it requires one
  --json       a JSON report instead of text
Exit code: 0 valid, 1 rejected, 2 could not check.

Usage: tokenwarden keys <issuer> [--jwks-uri <url>] [--json]

Lists an issuer's signing keys as tokenwarden sees them: fetches discovery (unless --jwks-uri) and
the key set with the verifier's own fetching rules, and says of each key whether tokenwarden uses
it or ignores it and why, and how long it keeps the set (from its cache headers).
Exit code: 0 at least one usable key, 2 no usable key or no key set.`;

/** Exit codes: the token is valid, refused, or could not be checked (usage, keys unreachable). */
const EXIT = { valid: 0, rejected: 1, unchecked: 2 } as const;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'keys') return keys(rest);
  if (command !== 'explain') {
    process.stderr.write(`${USAGE}\n`);
    return command === '--help' || command === '-h' ? 0 : EXIT.unchecked;
  }
  let parsed: ReturnType<typeof parseExplainArgs>;
  try {
    parsed = parseExplainArgs(rest);
  } catch (error) {
    process.stderr.write(`tokenwarden: ${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT.unchecked;
  }
  const token = (parsed.token === '-' ? await readStdin() : parsed.token).trim().replace(/^Bearer\s+/i, '');
  const now = Math.floor(Date.now() / 1000);
  let report: ExplainReport;
  try {
    report = await explain({ ...parsed, token, now });
  } catch (error) {
    process.stderr.write(`tokenwarden: could not check the token: ${(error as Error).message}\n`);
    return EXIT.unchecked;
  }
  process.stdout.write(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, now));
  return EXIT[report.verdict];
}

function parseExplainArgs(args: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      issuer: { type: 'string', multiple: true },
      audience: { type: 'string', multiple: true },
      'client-id': { type: 'string', multiple: true },
      'jwks-uri': { type: 'string' },
      scope: { type: 'string', multiple: true },
      dpop: { type: 'string' },
      method: { type: 'string' },
      url: { type: 'string' },
      nonce: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [token] = positionals;
  if (token === undefined || positionals.length > 1)
    throw new Error('give one token, or - to read it from stdin');
  if (values.issuer === undefined) throw new Error('--issuer is required');
  if (values.audience === undefined && values['client-id'] === undefined)
    throw new Error('--audience is required (or --client-id for Amazon Cognito access tokens)');
  return {
    dpop: dpopRequest(values),
    token,
    issuers: values.issuer,
    audiences: values.audience ?? [],
    clientIds: values['client-id'],
    jwksUri: values['jwks-uri'],
    scopes: (values.scope ?? []).flatMap((scope) => scope.split(' ')).filter((scope) => scope !== ''),
    json: values.json === true,
  };
}

async function keys(args: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseKeysArgs>;
  try {
    parsed = parseKeysArgs(args);
  } catch (error) {
    const message = (error as Error).message.replace(/^tokenwarden: /, '');
    process.stderr.write(`tokenwarden: ${message}\n\n${USAGE}\n`);
    return EXIT.unchecked;
  }
  const report = await listKeys(parsed);
  process.stdout.write(parsed.json ? `${JSON.stringify(report, null, 2)}\n` : formatKeysReport(report));
  return report.verdict === 'usable' ? 0 : EXIT.unchecked;
}

function parseKeysArgs(args: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { 'jwks-uri': { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [issuer] = positionals;
  const jwksUri = values['jwks-uri'];
  if (positionals.length > 1) throw new Error('give one issuer');
  if (issuer === undefined && jwksUri === undefined) throw new Error('give the issuer, or --jwks-uri');
  // The verifier's own rules for these options: https (http only to loopback), no user information.
  if (issuer !== undefined) checkMetadataUrlOption(issuer, 'the issuer', { query: false });
  if (jwksUri !== undefined) checkMetadataUrlOption(jwksUri, '--jwks-uri', { query: true });
  return { issuer, jwksUri, json: values.json === true };
}

/** --dpop with the request it came with; --method, --url and --nonce belong to it. */
function dpopRequest(values: {
  dpop?: string | undefined;
  method?: string | undefined;
  url?: string | undefined;
  nonce?: string | undefined;
}): DpopRequest | undefined {
  const { dpop, method, url, nonce } = values;
  if (dpop === undefined) {
    if (method !== undefined || url !== undefined || nonce !== undefined)
      throw new Error('--method, --url and --nonce go with --dpop');
    return undefined;
  }
  if (method === undefined || url === undefined) throw new Error('--dpop needs --method and --url');
  if (normaliseHttpUri(url) === undefined) throw new Error('--url must be an absolute http(s) URL');
  return { proof: dpop.trim(), method, url, nonce };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const colours = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: number) => (text: string) => (colours ? `\u001b[${code}m${text}\u001b[0m` : text);
const green = paint(32);
const red = paint(31);
const yellow = paint(33);
const dim = paint(2);

function formatReport(report: ExplainReport, now: number): string {
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

function formatKeysReport(report: KeysReport): string {
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

process.exitCode = await main(process.argv.slice(2));
