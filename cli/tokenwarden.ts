#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { normaliseHttpUri } from '../src/dpop/htu.js';
import { checkMetadataUrlOption } from '../src/jwks/metadata-url.js';
import { type ExplainReport, explain } from './explain.js';
import type { DpopRequest } from './explain-dpop.js';
import { listKeys } from './keys.js';
import { formatKeysReport, formatReport } from './report-text.js';

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

process.exitCode = await main(process.argv.slice(2));
