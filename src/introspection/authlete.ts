/**
 * The Authlete introspection API as a token introspector: the request, the mapping of each `action`,
 * and the answer's members onto claims. Over 300 lines because that mapping is one published
 * contract, read top to bottom beside its reference.
 */
import type { AccessTokenClaims } from '../claims.js';
import { systemClock } from '../clock.js';
import { normaliseHttpUri } from '../dpop/htu.js';
import { TokenError } from '../errors.js';
import { type FetchLimits, postForResponse } from '../jwks/fetch-json.js';
import { checkMetadataUrlOption } from '../jwks/metadata-url.js';
import {
  checkKnownKeys,
  integerAtLeast,
  integerInRange,
  optionalFunction,
  optionalString,
  optionKeys,
  optionsObject,
} from '../option-checks.js';
import { checkLoggerOption, withWarningLog } from '../warning-log.js';
import { checkIntrospectedClaims } from './answer.js';
import { AnswerCache, answerCacheKey } from './answer-cache.js';
import { ClientRejectedFailure, IntrospectionFailure, readClock, unavailable } from './failure.js';
import {
  checkTokenArgument,
  type IntrospectedToken,
  type IntrospectionAnswer,
  type IntrospectionContext,
  introspectedToken,
  type TokenIntrospector,
} from './introspected-token.js';
import { type IntrospectionCallOptions, MAX_TIMER_MS } from './introspector-options.js';

/**
 * Options for {@link createAuthleteIntrospector}. Defaults in brackets; durations in seconds. Answers
 * to requests with a DPoP proof are never cached, since Authlete checks each proof.
 */
export interface AuthleteIntrospectorOptions extends IntrospectionCallOptions {
  /** The Authlete API's base URL, e.g. `https://us.authlete.com` (https; plain http only to loopback). */
  readonly baseUrl: string;
  /** The service id, the `{serviceId}` of `/api/{serviceId}/auth/introspection`. */
  readonly serviceId: string;
  /** An access token for the Authlete API with the right to call it for this service, sent as Bearer. */
  readonly accessToken: string;
  /**
   * The service's issuer identifier, set as `iss` on the claims so that issuer rules apply unchanged.
   * Authlete's answer names no issuer. [the claims have no `iss`]
   */
  readonly issuer?: string | undefined;
}

const AUTHLETE_OPTION_KEYS = optionKeys<AuthleteIntrospectorOptions>({
  baseUrl: true,
  serviceId: true,
  accessToken: true,
  issuer: true,
  timeoutMs: true,
  maxResponseBytes: true,
  cache: true,
  fetch: true,
  clock: true,
  onEvent: true,
  logger: true,
});

const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/** The body of a call to Authlete's `/auth/introspection`. */
interface AuthleteRequest {
  readonly token: string;
  readonly scopes?: readonly string[];
  readonly dpop?: string;
  readonly htm?: string;
  readonly htu?: string;
}

/** What one call came back with: the answer, and a nonce for the client when Authlete gave one. */
interface AuthleteVerdict {
  readonly answer: IntrospectionAnswer;
  readonly dpopNonce: string | undefined;
}

/**
 * Creates an introspector that asks Authlete's `/auth/introspection` API (Authlete 3.0, service
 * access token) instead of an RFC 7662 endpoint. Authlete checks the DPoP proof, method and URL
 * itself when they are passed in the context, and the required scopes; its `responseContent` becomes
 * the exact `WWW-Authenticate` of a refusal.
 *
 * Give it to `createVerifier` as its `introspection` option, or call {@link TokenIntrospector.introspect}.
 *
 * @example
 * ```ts
 * const introspector = createAuthleteIntrospector({
 *   baseUrl: 'https://us.authlete.com',
 *   serviceId: process.env.AUTHLETE_SERVICE_ID!,
 *   accessToken: process.env.AUTHLETE_ACCESS_TOKEN!,
 * });
 * const auth = await introspector.introspect(token, { method, url, dpopProof, requiredScopes: ['orders'] });
 * ```
 */
export function createAuthleteIntrospector(options: AuthleteIntrospectorOptions): TokenIntrospector {
  const endpoint = checkAuthleteOptions(options);
  const clock = options.clock ?? systemClock;
  const onEvent = withWarningLog(options.onEvent, options.logger, clock);
  const limits: FetchLimits = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    fetch: options.fetch,
  };
  const cache = new AnswerCache(options.cache, onEvent);
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    authorization: `Bearer ${options.accessToken}`,
  };

  async function ask(request: AuthleteRequest): Promise<AuthleteVerdict> {
    const response = await postForResponse(endpoint, { headers, body: JSON.stringify(request) }, limits);
    if (response.status === 401 || response.status === 403) {
      throw new ClientRejectedFailure(
        `Authlete refused the service access token (HTTP ${response.status})`,
        response.status,
      );
    }
    if (response.status !== 200) {
      throw new IntrospectionFailure(`unexpected HTTP status ${response.status}`, response.status);
    }
    if (response.contentType !== 'application/json') {
      throw new IntrospectionFailure(`expected application/json, got content type '${response.contentType}'`);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      throw new IntrospectionFailure('Authlete answer is not JSON');
    }
    return readVerdict(body, options.issuer, request.scopes ?? []);
  }

  return {
    async introspect(token, context = {}) {
      checkTokenArgument(token);
      const request = authleteRequest(token, context);
      const withProof = request.dpop !== undefined;
      let verdict: AuthleteVerdict;
      let cached = false;
      try {
        const now = readClock(clock);
        if (withProof) {
          verdict = await ask(request);
        } else {
          const scope = ['authlete', endpoint, (request.scopes ?? []).join(' ')];
          const resolved = await cache.resolve(await answerCacheKey(scope, token), now, async () => {
            return (await ask(request)).answer;
          });
          verdict = { answer: resolved.answer, dpopNonce: undefined };
          cached = resolved.cached;
        }
      } catch (error) {
        throw unavailable(error, endpoint, onEvent);
      }
      return toResult(token, verdict, withProof, cached);
    },
  };
}

/**
 * The request body: the token, the scopes the route requires, and with a DPoP proof the method and
 * the URL it must be bound to (RFC 9449 §4.3: `htu` without query and fragment).
 */
function authleteRequest(token: string, context: IntrospectionContext): AuthleteRequest {
  const scopes =
    context.requiredScopes !== undefined && context.requiredScopes.length > 0
      ? { scopes: [...context.requiredScopes] }
      : {};
  if (context.dpopProof === undefined) return { token, ...scopes };
  const htu = context.url === undefined ? undefined : normaliseHttpUri(context.url);
  if (htu === undefined || typeof context.method !== 'string' || context.method === '') {
    throw new TokenError('request_invalid', 'The request method and URL are needed to check the DPoP proof');
  }
  return { token, ...scopes, dpop: context.dpopProof, htm: context.method, htu };
}

/** Authlete's `action` (its IntrospectionResponse), read into an answer or a refusal. */
function readVerdict(body: unknown, issuer: string | undefined, scopes: readonly string[]): AuthleteVerdict {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new IntrospectionFailure('Authlete answer is not a JSON object');
  }
  const response = body as Record<string, unknown>;
  const challenge = usableChallenge(response.responseContent);
  const dpopNonce =
    typeof response.dpopNonce === 'string' && response.dpopNonce !== '' ? response.dpopNonce : undefined;
  switch (response.action) {
    case 'OK':
      return { answer: { active: true, claims: claimsOf(response, issuer) }, dpopNonce };
    case 'UNAUTHORIZED':
      return { answer: { active: false, challenge }, dpopNonce };
    case 'FORBIDDEN':
      throw new TokenError('scope_insufficient', 'The token lacks the scope this route requires', {
        requiredScopes: scopes,
        challengeOverride: challenge,
        nonce: dpopNonce,
      });
    case 'BAD_REQUEST':
      throw new TokenError('request_invalid', 'The request carries no usable access token', {
        challengeOverride: challenge,
        nonce: dpopNonce,
      });
    case 'INTERNAL_SERVER_ERROR':
      throw new IntrospectionFailure('Authlete answered INTERNAL_SERVER_ERROR');
    default:
      throw new IntrospectionFailure('Authlete answer has no known action');
  }
}

/**
 * The claims of an `OK` answer, named as RFC 7662 §2.2 names them: `subject` as `sub`, `scopes` as
 * the space-delimited `scope`, the client alias when the client used it (else the numeric id) as
 * `client_id`, `expiresAt` (milliseconds) as `exp` (seconds), `accessTokenResources` (RFC 8707) as
 * `aud`, and `certificateThumbprint` as RFC 8705's `cnf` `x5t#S256`.
 */
function claimsOf(
  response: Readonly<Record<string, unknown>>,
  issuer: string | undefined,
): AccessTokenClaims {
  const claims: Record<string, unknown> = {};
  if (issuer !== undefined) claims.iss = issuer;
  if (response.subject !== undefined && response.subject !== null) claims.sub = response.subject;
  const { scopes, clientId, clientIdAlias, expiresAt, accessTokenResources, certificateThumbprint } =
    response;
  if (scopes !== undefined && scopes !== null) {
    if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string')) {
      throw new TokenError('claim_invalid', "The token's scopes are not a list of strings");
    }
    claims.scope = scopes.join(' ');
  }
  if (response.clientIdAliasUsed === true && typeof clientIdAlias === 'string' && clientIdAlias !== '') {
    claims.client_id = clientIdAlias;
  } else if (typeof clientId === 'number' && Number.isSafeInteger(clientId)) {
    // A JSON number past 2^53 has already lost digits: better no client_id than another client's.
    claims.client_id = String(clientId);
  }
  if (typeof expiresAt === 'number' && expiresAt > 0) claims.exp = expiresAt / 1000;
  if (Array.isArray(accessTokenResources) && accessTokenResources.length > 0) {
    claims.aud = accessTokenResources;
  }
  if (typeof certificateThumbprint === 'string' && certificateThumbprint !== '') {
    claims.cnf = { 'x5t#S256': certificateThumbprint };
  }
  return checkIntrospectedClaims(claims);
}

/**
 * `responseContent` as a header value: printable ASCII on one line and of sane length, or nothing
 * (then tokenwarden formats the challenge itself), so an answer cannot split the response headers.
 */
function usableChallenge(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\x20-\x7e]{1,2048}$/.test(value) ? value : undefined;
}

/** The `error` parameter of a challenge (RFC 6750 §3), which picks the code of the refusal. */
function errorOf(challenge: string | undefined): string | undefined {
  return challenge === undefined ? undefined : /\berror="([^"]*)"/.exec(challenge)?.[1];
}

function toResult(
  token: string,
  verdict: AuthleteVerdict,
  withProof: boolean,
  cached: boolean,
): IntrospectedToken {
  const { answer, dpopNonce } = verdict;
  if (!answer.active) {
    const error = errorOf(answer.challenge);
    // The error code Authlete chose is evidence; its challenge text is sent as it is, not logged twice.
    const details = {
      challengeOverride: answer.challenge,
      nonce: dpopNonce,
      detail: {
        claim: 'active',
        expected: 'true',
        actual: 'false',
        ...(error !== undefined && { reason: error }),
      },
    };
    switch (error) {
      case 'invalid_dpop_proof':
        throw new TokenError('dpop_proof_invalid', 'The DPoP proof was refused', details);
      case 'use_dpop_nonce':
        throw new TokenError('dpop_nonce_required', 'The DPoP proof must carry the nonce', details);
      default:
        throw new TokenError('token_inactive', 'The access token is not active', details);
    }
  }
  return introspectedToken(token, answer.claims, {
    senderConstraint: withProof ? 'checked_by_authorization_server' : 'to_check',
    dpopNonce,
    cached,
  });
}

/** Checks every option once, when the introspector is built, and returns the API endpoint URL. */
function checkAuthleteOptions(options: AuthleteIntrospectorOptions): string {
  optionsObject(options, 'createAuthleteIntrospector options');
  checkKnownKeys(options, AUTHLETE_OPTION_KEYS, '');
  const baseUrl = checkMetadataUrlOption(options.baseUrl, 'baseUrl', { query: false });
  for (const name of ['serviceId', 'accessToken'] as const) {
    if (optionalString(options[name], name) === undefined) {
      throw new TypeError(`tokenwarden: createAuthleteIntrospector needs ${name}`);
    }
  }
  if (options.issuer !== undefined) checkMetadataUrlOption(options.issuer, 'issuer', { query: false });
  if (options.timeoutMs !== undefined) {
    integerInRange(options.timeoutMs, 'timeoutMs', 0, { min: 1, max: MAX_TIMER_MS }, 'milliseconds');
  }
  if (options.maxResponseBytes !== undefined) {
    integerAtLeast(options.maxResponseBytes, 'maxResponseBytes', 0, 1, 'bytes');
  }
  for (const name of ['fetch', 'clock', 'onEvent'] as const) optionalFunction(options[name], name);
  checkLoggerOption(options.logger, 'logger');
  return `${baseUrl.replace(/\/+$/, '')}/api/${encodeURIComponent(options.serviceId)}/auth/introspection`;
}
