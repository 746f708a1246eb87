import { DEFAULT_CLOCK_TOLERANCE, systemClock } from '../clock.js';
import { TokenError } from '../errors.js';
import type { EventListener } from '../events.js';
import type { FetchLimits } from '../jwks/fetch-json.js';
import { postForResponse } from '../jwks/fetch-json.js';
import { createJwksProvider } from '../jwks/provider.js';
import { withWarningLog } from '../warning-log.js';
import { readIntrospectionAnswer } from './answer.js';
import { AnswerCache, answerCacheKey, type ResolvedAnswer } from './answer-cache.js';
import type { ClientCredentialsFactory } from './client-authentication.js';
import { createClientCredentials } from './client-authentication.js';
import { type EndpointSource, endpointSource } from './endpoint.js';
import { ClientRejectedFailure, IntrospectionFailure, readClock, unavailable } from './failure.js';
import {
  checkTokenArgument,
  type IntrospectedToken,
  type IntrospectionAnswer,
  introspectedToken,
  type TokenIntrospector,
} from './introspected-token.js';
import {
  type CheckedIntrospectorOptions,
  checkIntrospectorOptions,
  type IntrospectorOptions,
} from './introspector-options.js';

export type { IntrospectorOptions, SignedResponseOptions } from './introspector-options.js';

import {
  DEFAULT_SIGNED_ANSWER_ALGORITHMS,
  SIGNED_ANSWER_MEDIA_TYPE,
  verifySignedAnswer,
} from './signed-response.js';

const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Creates an RFC 7662 token introspector: it asks the authorization server about a token, and
 * returns the answer as the claims object the JWT path produces. Answers are cached by the SHA-256
 * hash of the token, at most `cache.ttl` and never past `exp`; "not active" briefly; failures never.
 *
 * Give it to `createVerifier` as its `introspection` option, or call {@link TokenIntrospector.introspect}.
 *
 * @example
 * ```ts
 * const introspector = createIntrospector({
 *   issuer: 'https://as.example.com',
 *   clientId: 'orders-api',
 *   clientAuthentication: { method: 'client_secret_basic', clientSecret: process.env.INTROSPECTION_SECRET! },
 * });
 * const { claims, scopes } = await introspector.introspect(opaqueToken);
 * ```
 */
export function createIntrospector(options: IntrospectorOptions): TokenIntrospector {
  const checked = checkIntrospectorOptions(options);
  const clock = options.clock ?? systemClock;
  const onEvent = withWarningLog(options.onEvent, options.logger, clock);
  const limits: FetchLimits = {
    timeoutMs: checked.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: checked.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    fetch: options.fetch,
  };
  const endpoint = endpointSource(options.endpoint, options.issuer, limits);
  const credentials = createClientCredentials(
    options.clientAuthentication,
    options.clientId,
    options.issuer,
    clock,
  );
  const signed = signedAnswerCheck(checked, options, clock, limits, onEvent);
  const cache = new AnswerCache(options.cache, onEvent);
  // Who answers, and for whom: answers of different servers or clients never share an entry.
  const cacheScope = ['rfc7662', options.endpoint ?? options.issuer ?? '', options.clientId];
  const ask = createAsk(endpoint, credentials, signed, limits);

  return {
    async introspect(token) {
      checkTokenArgument(token);
      let resolved: ResolvedAnswer;
      try {
        const now = readClock(clock);
        const key = await answerCacheKey(cacheScope, token);
        resolved = await cache.resolve(key, now, () => ask(token, now));
      } catch (error) {
        throw unavailable(error, endpoint.known() ?? (options.issuer as string), onEvent);
      }
      return toResult(
        token,
        resolved.answer,
        resolved.cached,
        endpoint.known() ?? (options.issuer as string),
      );
    },
  };
}

/** One call to the endpoint (RFC 7662 §2.1), read into an answer (§2.2) or a failure (§2.3). */
function createAsk(
  endpoint: EndpointSource,
  credentials: ClientCredentialsFactory,
  signed: SignedAnswerCheck | undefined,
  limits: FetchLimits,
): (token: string, now: number) => Promise<IntrospectionAnswer> {
  return async (token, now) => {
    const url = await endpoint.get();
    const auth = await credentials(url);
    const body = new URLSearchParams({ token, token_type_hint: 'access_token', ...auth.params });
    const response = await postForResponse(
      url,
      {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: signed === undefined ? 'application/json' : SIGNED_ANSWER_MEDIA_TYPE,
          ...auth.headers,
        },
        body: body.toString(),
      },
      limits,
    );
    if (response.status !== 200) throw refusal(response.status, response.text);
    if (signed !== undefined) {
      // RFC 9701 §4: the answer to this request is the JWT. Taking plain JSON instead would let
      // anyone on the path strip the signature.
      if (response.contentType !== SIGNED_ANSWER_MEDIA_TYPE) {
        throw new IntrospectionFailure(
          `expected a signed answer, got content type '${response.contentType}'`,
        );
      }
      return readIntrospectionAnswer(await signed(response.text.trim(), now));
    }
    if (response.contentType !== 'application/json') {
      throw new IntrospectionFailure(`expected application/json, got content type '${response.contentType}'`);
    }
    return readIntrospectionAnswer(parseJson(response.text));
  };
}

/**
 * RFC 7662 §2.3 and RFC 6749 §5.2: 401 and 403 (or `invalid_client` with another status) mean the
 * server refused this API's credentials; any other 4xx is a request the server would not answer.
 */
function refusal(status: number, text: string): IntrospectionFailure {
  const error = oauthErrorOf(text);
  if (status === 401 || status === 403 || error === 'invalid_client') {
    return new ClientRejectedFailure(
      `the authorization server refused this API's credentials (HTTP ${status}${error === undefined ? '' : ` ${error}`})`,
      status,
    );
  }
  return new IntrospectionFailure(
    `unexpected HTTP status ${status}${error === undefined ? '' : ` ${error}`}`,
    status,
  );
}

/** The `error` code of an RFC 6749 §5.2 error body, when it is one of the allowed characters. */
function oauthErrorOf(text: string): string | undefined {
  try {
    const { error } = JSON.parse(text) as { error?: unknown };
    return typeof error === 'string' && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(error)
      ? error
      : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new IntrospectionFailure('introspection answer is not JSON');
  }
}

function toResult(
  token: string,
  answer: IntrospectionAnswer,
  cached: boolean,
  endpoint: string,
): IntrospectedToken {
  if (!answer.active) {
    throw new TokenError('token_inactive', 'The access token is not active', {
      detail: {
        claim: 'active',
        expected: 'true',
        actual: 'false',
        uri: endpoint,
        hint: 'The authorization server does not know the token as active: expired, revoked, issued by another server, or a token of another kind',
      },
    });
  }
  return introspectedToken(token, answer.claims, {
    senderConstraint: 'to_check',
    dpopNonce: undefined,
    cached,
  });
}

type SignedAnswerCheck = (jwt: string, now: number) => Promise<unknown>;

/** The RFC 9701 check built from the options, or `undefined` when plain answers are asked for. */
function signedAnswerCheck(
  checked: CheckedIntrospectorOptions,
  options: IntrospectorOptions,
  clock: () => number,
  limits: FetchLimits,
  onEvent: EventListener | undefined,
): SignedAnswerCheck | undefined {
  const settings = checked.signedResponses;
  if (settings === undefined) return undefined;
  const issuer = options.issuer as string;
  const keys =
    settings.keyProvider ??
    createJwksProvider({
      ...(settings.jwksUri === undefined ? { issuer } : { jwksUri: settings.jwksUri }),
      clock,
      fetch: options.fetch,
      onEvent,
      timeoutMs: limits.timeoutMs,
    });
  const rules = {
    issuer,
    clientId: options.clientId,
    keys,
    algorithms: settings.algorithms ?? DEFAULT_SIGNED_ANSWER_ALGORITHMS,
    clockTolerance: settings.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE,
  };
  return (jwt, now) => verifySignedAnswer(jwt, rules, now);
}
