import { booleanOption, checkKnownKeys, optionKeys, optionsObject } from './option-checks.js';
import { createVerifier, type Verifier, type VerifierOptions } from './verifier.js';

/** Behaviour every framework adapter's authentication middleware accepts besides the verifier options. */
export interface AdapterOptions {
  /**
   * Hand the `TokenError` to the framework's own error handling (Express `next(err)`, Fastify
   * `setErrorHandler`, Hono `app.onError`, Koa upstream middleware) instead of answering. Applies to
   * the guards on the same request too. [false]
   */
  readonly passErrors?: boolean | undefined;
}

/** The verifier and behaviour an adapter's middleware runs with. */
export interface AdapterSetup<Options extends AdapterOptions = AdapterOptions> {
  /** The verifier authenticating each request. */
  readonly verifier: Verifier;
  /** Whether failures go to the framework's error handling instead of being answered. */
  readonly passErrors: boolean;
  /**
   * The adapter options, from whichever call shape carried them (`{}` when none did), for the
   * adapter's own keys, such as Hono's `remoteAddress`.
   */
  readonly options: Options;
}

/** The keys of {@link AdapterOptions}, which every adapter accepts besides the verifier options. */
const ADAPTER_OPTION_KEYS = optionKeys<AdapterOptions>({ passErrors: true });

/**
 * Reads the two call shapes every adapter offers: `jwtAuth(options)`, which creates a verifier, and
 * `jwtAuth(verifier, adapterOptions)`, which shares one verifier (and its key cache) between middlewares.
 *
 * The adapter's own keys (`passErrors`, plus `ownKeys`, such as Hono's `remoteAddress`) are taken out
 * before the rest goes to `createVerifier`, which refuses any key it does not know; with a shared
 * verifier, only adapter keys are accepted, since verifier options would silently do nothing.
 */
export function resolveAdapterSetup<Options extends AdapterOptions>(
  optionsOrVerifier: (VerifierOptions & Options) | Verifier,
  adapterOptions?: Options,
  ownKeys: readonly string[] = [],
): AdapterSetup<Options> {
  const adapterKeys = [...ADAPTER_OPTION_KEYS, ...ownKeys];
  if ('authenticate' in optionsOrVerifier) {
    const given = optionsObject(adapterOptions, 'adapter options', true);
    checkKnownKeys(given, adapterKeys, 'with a shared verifier: ');
    return {
      verifier: optionsOrVerifier,
      passErrors: booleanOption(given.passErrors, 'passErrors', false),
      options: given as Options,
    };
  }
  const verifierOptions: Record<string, unknown> = { ...optionsObject(optionsOrVerifier, 'options') };
  for (const key of adapterKeys) delete verifierOptions[key];
  return {
    verifier: createVerifier(verifierOptions as unknown as VerifierOptions),
    passErrors: booleanOption(optionsOrVerifier.passErrors, 'passErrors', false),
    options: optionsOrVerifier,
  };
}
