import { type AsymmetricAlgorithm, isKnownAlgorithm, isSymmetricAlgorithm } from '../algorithms.js';
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
import { checkLoggerOption } from '../warning-log.js';

import type { IntrospectorOptions, SignedResponseOptions } from './introspector.js';

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
