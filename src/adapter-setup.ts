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
export interface AdapterSetup {
  /** The verifier authenticating each request. */
  readonly verifier: Verifier;
  /** Whether failures go to the framework's error handling instead of being answered. */
  readonly passErrors: boolean;
}

/**
 * Reads the two call shapes every adapter offers: `jwtAuth(options)`, which creates a verifier, and
 * `jwtAuth(verifier, adapterOptions)`, which shares one verifier (and its key cache) between middlewares.
 */
export function resolveAdapterSetup(
  optionsOrVerifier: (VerifierOptions & AdapterOptions) | Verifier,
  adapterOptions?: AdapterOptions,
): AdapterSetup {
  if ('authenticate' in optionsOrVerifier) {
    return { verifier: optionsOrVerifier, passErrors: adapterOptions?.passErrors === true };
  }
  return { verifier: createVerifier(optionsOrVerifier), passErrors: optionsOrVerifier.passErrors === true };
}
