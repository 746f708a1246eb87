import { type AsymmetricAlgorithm, isKnownAlgorithm, isSymmetricAlgorithm } from '../algorithms.js';
import type { EventListener } from '../events.js';
import { checkMetadataUrlOption } from '../jwks/metadata-url.js';
import type { KeyProvider } from '../jwks/provider.js';
import {
  checkKnownKeys,
  describeValue,
  integerAtLeast,
  integerInRange,
  optionalFunction,
  optionalNonNegativeNumber,
  optionalObjectWithMethods,
  optionalString,
  optionKeys,
  optionsObject,
} from '../option-checks.js';
import { checkLoggerOption, type LoggerOption } from '../warning-log.js';
import type { IntrospectionCacheOptions } from './answer-cache.js';
import type { ClientAuthentication } from './client-authentication.js';

const INTROSPECTOR_OPTION_KEYS = optionKeys<IntrospectorOptions>({
  clientId: true,
  clientAuthentication: true,
  endpoint: true,
  issuer: true,
  signedResponses: true,
  timeoutMs: true,
  maxResponseBytes: true,
  cache: true,
  fetch: true,
  clock: true,
  onEvent: true,
  logger: true,
});

const SIGNED_RESPONSE_OPTION_KEYS = optionKeys<SignedResponseOptions>({
  jwksUri: true,
  keyProvider: true,
  algorithms: true,
  clockTolerance: true,
});

/** RFC 9701 signed answers: how to check them. */
export interface SignedResponseOptions {
  /** The authorization server's key set URL. [discovered from `issuer`] */
  readonly jwksUri?: string | undefined;
  /** A key provider of your own for the authorization server's keys; takes precedence over `jwksUri`. */
  readonly keyProvider?: KeyProvider | undefined;
  /** Accepted signature algorithms. [`['RS256','PS256','ES256','EdDSA']`] */
  readonly algorithms?: readonly AsymmetricAlgorithm[] | undefined;
  /** Seconds the answer's `iat` may lie in the future. [60] */
  readonly clockTolerance?: number | undefined;
}

/**
 * What every introspector takes for its calls to the authorization server: deadline, size cap,
 * answer cache, transport, clock and reporting. Defaults in brackets.
 */
export interface IntrospectionCallOptions {
  /** Milliseconds one call may take, body included (discovery, where used, has the same deadline). [3000] */
  readonly timeoutMs?: number | undefined;
  /** Largest answer accepted, in bytes. [65536] */
  readonly maxResponseBytes?: number | undefined;
  /** Caching of answers; `false` turns it off (concurrent identical tokens still share one call). [on] */
  readonly cache?: false | IntrospectionCacheOptions | undefined;
  /** The `fetch` to use. [globalThis.fetch] */
  readonly fetch?: typeof fetch | undefined;
  /** Seconds since the epoch; inject one in tests. [system clock] */
  readonly clock?: (() => number) | undefined;
  /** Receives `introspection_failed`, `introspection_client_rejected` and `introspection_cache_failed`. */
  readonly onEvent?: EventListener | undefined;
  /**
   * Where configuration-class failures are written, one line per distinct cause per 5 minutes: the
   * server unreachable or failing, this API's own credentials refused. Any object with a
   * `warn(message)` method (pino, winston); `false` for silence. [console]
   */
  readonly logger?: LoggerOption | undefined;
}

/** Options for {@link createIntrospector}. Defaults in brackets; durations in seconds. */
export interface IntrospectorOptions extends IntrospectionCallOptions {
  /** This API's client id at the authorization server. */
  readonly clientId: string;
  /** How this API authenticates to the endpoint: `client_secret_basic`, `client_secret_post` or `private_key_jwt`. */
  readonly clientAuthentication: ClientAuthentication;
  /**
   * The introspection endpoint (https; plain http only to loopback). [discovered from `issuer`'s
   * metadata, `introspection_endpoint`]
   */
  readonly endpoint?: string | undefined;
  /**
   * The authorization server's issuer identifier: where the endpoint is discovered when `endpoint` is
   * absent, the default `aud` of a `private_key_jwt` assertion, and the `iss` a signed answer must
   * carry. Required unless `endpoint` is set, and with `signedResponses`.
   */
  readonly issuer?: string | undefined;
  /**
   * Ask for RFC 9701 signed answers (`Accept: application/token-introspection+jwt`) and refuse any
   * other. `true` checks them with the key set discovered from `issuer`. [off]
   */
  readonly signedResponses?: boolean | SignedResponseOptions | undefined;
}

/** The longest timer delay: a longer `setTimeout` fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The introspector's options after checking; absent numbers stay `undefined`, for the defaults. */
export interface CheckedIntrospectorOptions {
  readonly timeoutMs: number | undefined;
  readonly maxResponseBytes: number | undefined;
  /** `undefined` when plain answers are asked for. */
  readonly signedResponses: SignedResponseOptions | undefined;
}

/**
 * Checks every option of `createIntrospector` once, when it is built, with a `TypeError` naming the
 * option. `clientAuthentication` and `cache` are checked where they are read, with the same helpers.
 */
export function checkIntrospectorOptions(options: IntrospectorOptions): CheckedIntrospectorOptions {
  optionsObject(options, 'createIntrospector options');
  checkKnownKeys(options, INTROSPECTOR_OPTION_KEYS, '');
  if (optionalString(options.clientId, 'clientId') === undefined) {
    throw new TypeError('tokenwarden: createIntrospector needs clientId');
  }
  // RFC 6749 §3.2 lets an endpoint URL carry a query; an issuer identifier has none (RFC 8414 §2).
  if (options.endpoint !== undefined) checkMetadataUrlOption(options.endpoint, 'endpoint', { query: true });
  if (options.issuer !== undefined) checkMetadataUrlOption(options.issuer, 'issuer', { query: false });
  if (options.endpoint === undefined && options.issuer === undefined) {
    throw new TypeError('tokenwarden: createIntrospector needs endpoint or issuer');
  }
  for (const name of ['fetch', 'clock', 'onEvent'] as const) optionalFunction(options[name], name);
  checkLoggerOption(options.logger, 'logger');
  return {
    timeoutMs:
      options.timeoutMs === undefined
        ? undefined
        : integerInRange(options.timeoutMs, 'timeoutMs', 0, { min: 1, max: MAX_TIMER_MS }, 'milliseconds'),
    maxResponseBytes:
      options.maxResponseBytes === undefined
        ? undefined
        : integerAtLeast(options.maxResponseBytes, 'maxResponseBytes', 0, 1, 'bytes'),
    signedResponses: checkSignedResponses(options.signedResponses, options.issuer),
  };
}

function checkSignedResponses(value: unknown, issuer: string | undefined): SignedResponseOptions | undefined {
  if (value === undefined || value === false) return undefined;
  const options = value === true ? {} : optionsObject(value, 'signedResponses');
  checkKnownKeys(options, SIGNED_RESPONSE_OPTION_KEYS, 'signedResponses.');
  // RFC 9701 §5: the answer's iss is compared with the issuer, so there must be one to compare with.
  if (issuer === undefined) {
    throw new TypeError('tokenwarden: signedResponses needs the issuer option (the iss of signed answers)');
  }
  if (options.jwksUri !== undefined) {
    checkMetadataUrlOption(options.jwksUri, 'signedResponses.jwksUri', { query: true });
  }
  optionalObjectWithMethods(options.keyProvider, 'signedResponses.keyProvider', ['getKey']);
  optionalNonNegativeNumber(options.clockTolerance, 'signedResponses.clockTolerance', 'seconds');
  return {
    jwksUri: options.jwksUri as string | undefined,
    keyProvider: options.keyProvider as KeyProvider | undefined,
    algorithms: checkAlgorithms(options.algorithms),
    clockTolerance: options.clockTolerance as number | undefined,
  };
}

function checkAlgorithms(value: unknown): readonly AsymmetricAlgorithm[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(
      `tokenwarden: signedResponses.algorithms must be a non-empty list of algorithm names (got ${describeValue(value)})`,
    );
  }
  for (const alg of value) {
    if (typeof alg !== 'string' || !isKnownAlgorithm(alg) || isSymmetricAlgorithm(alg)) {
      throw new TypeError(
        `tokenwarden: signedResponses.algorithms must list asymmetric algorithms (got ${typeof alg === 'string' ? alg : describeValue(alg)})`,
      );
    }
  }
  return value as readonly AsymmetricAlgorithm[];
}
