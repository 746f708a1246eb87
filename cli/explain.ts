import type { ProtectedHeaderParameters } from 'jose';
import { DEFAULT_ALGORITHMS } from '../src/algorithms.js';
import {
  type AccessTokenClaims,
  checkAudience,
  checkClaimTypes,
  checkExpiry,
  checkIssuedAt,
  checkIssuer,
  checkNotBefore,
  checkTokenUse,
} from '../src/claims.js';
import { TokenError } from '../src/errors.js';
import { checkHeader } from '../src/header.js';
import { discoveryUrls } from '../src/jwks/discovery.js';
import { fromWebRequest } from '../src/request.js';
import { DEFAULT_MAX_TOKEN_SIZE, decodeToken } from '../src/token.js';
import { createVerifier } from '../src/verifier.js';
import { type CheckReport, failed, messageOf, passed, relative, rule } from './explain-checks.js';
import {
  boundWithoutProof,
  type DpopRequest,
  explainProof,
  givenNonce,
  type ProofSummary,
} from './explain-dpop.js';

export type { CheckReport } from './explain-checks.js';
export { relative } from './explain-checks.js';

/**
 * `tokenwarden explain`: why a verifier configured with these options accepts or refuses a token.
 * The verdict is the real verifier's; the per-check lines call the same rule functions it runs, so
 * every failing rule is shown, not only the first.
 */
export interface ExplainOptions {
  readonly token: string;
  readonly issuers: readonly string[];
  readonly audiences: readonly string[];
  /** The `clientIds` option (Amazon Cognito), when the API uses it. */
  readonly clientIds?: readonly string[] | undefined;
  readonly jwksUri?: string | undefined;
  readonly scopes: readonly string[];
  /** The DPoP proof sent with the token, and the request it was sent with. */
  readonly dpop?: DpopRequest | undefined;
  /** Seconds since the epoch. */
  readonly now: number;
}

/** One HTTP request made to find the keys, and how it went. */
export interface FetchReport {
  readonly url: string;
  readonly status: number | string;
  readonly note?: string | undefined;
}

export interface ExplainReport {
  /** `valid`, `rejected`, or `unchecked` when the keys could not be had. */
  readonly verdict: 'valid' | 'rejected' | 'unchecked';
  /** The verifier's code when it refused the token. */
  readonly code?: string | undefined;
  readonly format: string;
  readonly header?: ProtectedHeaderParameters | undefined;
  readonly claims?: AccessTokenClaims | undefined;
  readonly times: readonly { readonly claim: string; readonly iso: string; readonly relative: string }[];
  readonly fetches: readonly FetchReport[];
  /** With --dpop: what the proof holds (never its text, signature or key). */
  readonly proof?: ProofSummary | undefined;
  readonly checks: readonly CheckReport[];
}

const CLOCK_TOLERANCE = 60;

export async function explain(options: ExplainOptions): Promise<ExplainReport> {
  const { token, now } = options;
  const parts = token.split('.');
  const checks: CheckReport[] = [];
  if (parts.length === 5) {
    checks.push(
      failed('format', 'An encrypted token (JWE, 5 parts): a resource server cannot read it', undefined, [
        'Auth0 issues an encrypted or opaque token when the authorization request has no audience: request the token with audience=<your API identifier>',
      ]),
    );
    return {
      verdict: 'rejected',
      code: 'token_malformed',
      format: 'JWE (5 parts)',
      times: [],
      fetches: [],
      checks,
    };
  }
  let header: ProtectedHeaderParameters;
  let claims: AccessTokenClaims;
  try {
    ({ header, claims } = decodeToken(token, DEFAULT_MAX_TOKEN_SIZE));
  } catch (error) {
    const opaque = parts.length !== 3;
    checks.push(
      failed(
        'format',
        messageOf(error),
        undefined,
        opaque
          ? [
              'An opaque token, not a JWT: Auth0 issues one when the authorization request has no audience (request it with audience=<your API identifier>); other servers need introspection (docs/introspection.md)',
            ]
          : [],
      ),
    );
    return {
      verdict: 'rejected',
      code: 'token_malformed',
      format: opaque ? 'opaque' : 'JWS (unreadable)',
      times: [],
      fetches: [],
      checks,
    };
  }
  checks.push(passed('format', 'A signed JWT (JWS compact serialization)'));

  const fetches = await fetchKeySources(options);
  const { verdict, code, error } = await verdictOf(options);

  checks.push(
    rule(
      'header',
      () => checkHeader(header, new Set(DEFAULT_ALGORITHMS)),
      `alg ${String(header.alg)} accepted`,
    ),
  );
  checks.push(typCheck(header));
  checks.push(
    rule('iss', () => checkIssuer(claims, new Set(options.issuers)), `iss ${String(claims.iss)} is trusted`),
  );
  checks.push(
    rule(
      'aud',
      () => checkAudience(claims, options.audiences, options.clientIds),
      options.clientIds === undefined
        ? `aud includes ${options.audiences.join(' or ')}`
        : `client_id is ${options.clientIds.join(' or ')}${options.audiences.length === 0 ? '' : `; an aud includes ${options.audiences.join(' or ')}`}`,
      audienceHints(claims),
    ),
  );
  checks.push(
    rule(
      'token type',
      () => {
        checkTokenUse(claims);
        const idHints = idTokenSigns(claims);
        if (idHints.length > 0)
          throw new TokenError('type_invalid', `This looks like an ID token (${idHints.join(', ')})`);
      },
      'An access token, not an ID token',
      [
        'An ID token was sent instead of the access token: send the access_token of the token response, not the id_token',
      ],
    ),
  );
  checks.push(
    rule('claim types', () => checkClaimTypes(claims), 'sub, scope, client_id... have their types'),
  );
  checks.push(
    rule('exp', () => checkExpiry(claims, now, CLOCK_TOLERANCE), `expires ${relative(claims.exp, now)}`),
  );
  checks.push(
    rule(
      'nbf',
      () => checkNotBefore(claims, now, CLOCK_TOLERANCE),
      claims.nbf === undefined ? 'no nbf' : `valid since ${relative(claims.nbf, now)}`,
    ),
  );
  checks.push(
    rule(
      'iat',
      () => checkIssuedAt(claims, now, CLOCK_TOLERANCE, undefined),
      claims.iat === undefined ? 'no iat' : `issued ${relative(claims.iat, now)}`,
    ),
  );
  checks.push(keyCheck(code, error));
  let proof: ProofSummary | undefined;
  if (options.dpop !== undefined) {
    const explained = await explainProof(options.dpop, token, claims, now, CLOCK_TOLERANCE);
    checks.push(...explained.checks);
    proof = explained.proof;
  } else {
    const bound = boundWithoutProof(claims);
    if (bound !== undefined) checks.push(bound);
  }
  if (options.scopes.length > 0) checks.push(scopeCheck(claims, options.scopes));

  const times = (['iat', 'nbf', 'exp', 'auth_time'] as const)
    .filter((claim) => typeof claims[claim] === 'number')
    .map((claim) => {
      const value = claims[claim] as number;
      return { claim, iso: new Date(value * 1000).toISOString(), relative: relative(value, now) };
    });
  const scopeFailed = checks.some((check) => check.name === 'scope' && !check.ok);
  return {
    verdict: verdict === 'valid' && scopeFailed ? 'rejected' : verdict,
    code: verdict === 'valid' && scopeFailed ? 'scope_insufficient' : code,
    format: 'JWS',
    header,
    claims,
    times,
    fetches,
    proof,
    checks,
  };
}

/** The real verifier's answer, and its error (with `detail`) when it refuses. */
async function verdictOf(options: ExplainOptions): Promise<{
  verdict: ExplainReport['verdict'];
  code: string | undefined;
  error: TokenError | undefined;
}> {
  const verifier = createVerifier({
    issuer: options.issuers,
    ...(options.audiences.length === 0 ? {} : { audience: options.audiences }),
    ...(options.clientIds === undefined ? {} : { clientIds: options.clientIds }),
    ...(options.jwksUri === undefined ? {} : { jwksUri: options.jwksUri }),
    clock: () => options.now,
    clockTolerance: CLOCK_TOLERANCE,
    cache: false,
    logger: false,
    ...(options.dpop?.nonce !== undefined && { dpop: { nonces: givenNonce(options.dpop.nonce) } }),
  });
  try {
    const { dpop } = options;
    if (dpop === undefined) await verifier.verify(options.token);
    else {
      // The request the API saw: its URL as the client addressed it, the token under DPoP, the proof.
      const request = new Request(dpop.url, {
        method: dpop.method,
        headers: { authorization: `DPoP ${options.token}`, dpop: dpop.proof },
      });
      await verifier.authenticate(fromWebRequest(request));
    }
    return { verdict: 'valid', code: undefined, error: undefined };
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    const unchecked = error.code === 'jwks_unavailable';
    return { verdict: unchecked ? 'unchecked' : 'rejected', code: error.code, error };
  }
}

/** What the key sources answer, for display: each discovery URL and the key set URL with its status. */
async function fetchKeySources(options: ExplainOptions): Promise<FetchReport[]> {
  const reports: FetchReport[] = [];
  let jwksUri = options.jwksUri;
  if (jwksUri === undefined) {
    for (const issuer of options.issuers) {
      for (const url of discoveryUrls(issuer)) {
        const answer = await getJson(url);
        const document = answer.body as { issuer?: unknown; jwks_uri?: unknown } | undefined;
        let note: string | undefined;
        if (document !== undefined && document.issuer !== issuer) {
          note = `names issuer ${JSON.stringify(document.issuer)}, configured ${JSON.stringify(issuer)}`;
        } else if (document !== undefined) note = `jwks_uri ${String(document.jwks_uri)}`;
        reports.push({ url, status: answer.status, note });
        if (document !== undefined && document.issuer === issuer && typeof document.jwks_uri === 'string') {
          jwksUri = document.jwks_uri;
          break;
        }
      }
    }
  }
  if (jwksUri !== undefined) {
    const answer = await getJson(jwksUri);
    const keys = (answer.body as { keys?: unknown } | undefined)?.keys;
    const kids = Array.isArray(keys)
      ? keys.map(
          (key: { kid?: unknown; alg?: unknown }) =>
            `${String(key.kid ?? '(no kid)')}${key.alg === undefined ? '' : ` ${String(key.alg)}`}`,
        )
      : undefined;
    reports.push({
      url: jwksUri,
      status: answer.status,
      note: kids === undefined ? undefined : `keys: ${kids.join(', ') || 'none'}`,
    });
  }
  return reports;
}

async function getJson(url: string): Promise<{ status: number | string; body: unknown }> {
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    let body: unknown;
    try {
      body = response.status === 200 ? await response.json() : undefined;
    } catch {
      return { status: `${response.status} (not JSON)`, body: undefined };
    }
    return { status: response.status, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    return { status: typeof cause === 'string' ? cause : 'network error', body: undefined };
  }
}

function typCheck(header: ProtectedHeaderParameters): CheckReport {
  const typ = header.typ;
  if (typeof typ === 'string' && /^(application\/)?at\+jwt$/i.test(typ))
    return passed('typ', `typ ${typ} (RFC 9068)`);
  // Not checked unless the verifier's typ option asks: most providers send JWT.
  return passed(
    'typ',
    `typ ${typ === undefined ? 'absent' : String(typ)}: not RFC 9068's at+jwt; accepted unless the typ option is set`,
  );
}

function audienceHints(claims: AccessTokenClaims): string[] {
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const hints: string[] = [];
  if (aud.includes('account')) {
    hints.push(
      'Keycloak\'s default aud is "account": add an Audience mapper to the client scope so tokens name your API',
    );
  }
  if (claims.azp !== undefined && aud.includes(claims.azp as string)) {
    hints.push(
      'aud is the client id: this is an ID token, or the token was requested without the API as audience',
    );
  }
  return hints;
}

/** The marks of an OpenID Connect ID token (OIDC Core §2, §3.1.3.6), and Cognito's token_use. */
function idTokenSigns(claims: AccessTokenClaims): string[] {
  const signs: string[] = [];
  if (Object.hasOwn(claims, 'nonce')) signs.push('it has a nonce');
  if (Object.hasOwn(claims, 'at_hash')) signs.push('it has an at_hash');
  if (claims.token_use === 'id') signs.push('token_use is id');
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (typeof claims.azp === 'string' && aud.length === 1 && aud[0] === claims.azp)
    signs.push('aud is the client id');
  return signs;
}

/** Codes the verifier returns before it looks for a key: the signature was not checked. */
const BEFORE_KEY = new Set(['token_malformed', 'algorithm_not_allowed', 'issuer_invalid']);

function keyCheck(code: string | undefined, error: TokenError | undefined): CheckReport {
  if (code !== undefined && BEFORE_KEY.has(code)) {
    return {
      name: 'signature',
      ok: false,
      skipped: true,
      message: 'not checked: the verifier stops at the first failure above',
      hints: [],
    };
  }
  if (code === undefined || !['key_not_found', 'signature_invalid', 'jwks_unavailable'].includes(code)) {
    return passed('signature', "The signature verifies with a key of the issuer's key set");
  }
  const detail = error?.detail;
  const hints: string[] = [];
  if (code === 'key_not_found' && detail?.kid !== undefined) {
    hints.push(
      `The key set holds ${detail.availableKids?.join(', ') || 'no kid'}, not ${detail.kid}: a token from another tenant or environment, or keys rotated away`,
    );
  }
  if (code === 'jwks_unavailable')
    hints.push('Check the issuer URL (exact, trailing slash included) or pass --jwks-uri');
  if (detail?.hint !== undefined) hints.push(detail.hint);
  return failed(
    'signature',
    `${error?.message ?? code}${detail?.reason === undefined ? '' : ` (${detail.uri}: ${detail.reason})`}`,
    detail,
    hints,
  );
}

function scopeCheck(claims: AccessTokenClaims, required: readonly string[]): CheckReport {
  const scope = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
  const scp = Array.isArray(claims.scp)
    ? claims.scp
    : typeof claims.scp === 'string'
      ? claims.scp.split(' ')
      : [];
  const held = new Set([...scope, ...scp]);
  const missing = required.filter((name) => !held.has(name));
  const from = scp.length > 0 && scope.length === 0 ? 'scp (Okta, Azure AD)' : 'scope';
  if (missing.length === 0) return passed('scope', `has ${required.join(' ')} (from ${from})`);
  return failed(
    'scope',
    `lacks ${missing.join(' ')}`,
    { claim: from, expected: required, actual: [...held] },
    held.size === 0
      ? ['The token has neither scope nor scp: request the scopes in the authorization request']
      : [],
  );
}
