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
import { audienceHints, idTokenSigns, keyCheck, scopeCheck, typCheck } from './explain-token-checks.js';
import { discoverKeySetUrl, type FetchReport, fetchReported } from './key-source-fetch.js';

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

/**
 * What the key sources answer, for display: each discovery URL and the key set URL with its status,
 * fetched as the verifier fetches them. The verdict does not depend on these: it comes from the
 * verifier itself.
 */
async function fetchKeySources(options: ExplainOptions): Promise<FetchReport[]> {
  const reports: FetchReport[] = [];
  let jwksUri = options.jwksUri;
  for (const issuer of options.issuers) {
    if (jwksUri !== undefined) break;
    jwksUri = await discoverKeySetUrl(issuer, reports);
  }
  if (jwksUri === undefined) return reports;
  const fetched = await fetchReported(jwksUri, reports);
  if (fetched === undefined) return reports;
  const keys = (fetched.body as { keys?: unknown } | null)?.keys;
  const kids = Array.isArray(keys)
    ? keys.map((key: { kid?: unknown; alg?: unknown } | null) =>
        key === null || typeof key !== 'object'
          ? '(not a key)'
          : `${String(key.kid ?? '(no kid)')}${key.alg === undefined ? '' : ` ${String(key.alg)}`}`,
      )
    : undefined;
  reports.push({
    url: jwksUri,
    status: 200,
    note: kids === undefined ? 'not a JWK set (no keys list)' : `keys: ${kids.join(', ') || 'none'}`,
  });
  return reports;
}
