import { type AuthScheme, type ChallengeContext, TokenError } from '../errors.js';
import { type EventListener, emit } from '../events.js';
import { checkKnownKeys, optionalStringList, optionKeys, optionsObject } from '../option-checks.js';
import type { ResourceRequest } from '../request.js';
import type { VerifiedToken } from '../verifier.js';
import { boundThumbprintOf } from './binding.js';
import { normaliseHttpUri } from './htu.js';
import {
  buildProofVerifier,
  DEFAULT_DPOP_ALGORITHMS,
  type DpopProofVerifierOptions,
  type VerifiedDpopProof,
} from './proof.js';
import { createMemoryReplayStore, type ReplayStore, ReplayStoreTimeoutError } from './replay-store.js';
import { type PublicUrlOptions, resolvePublicUrl } from './request-url.js';

/**
 * How an API treats DPoP (RFC 9449):
 * - `disabled`: only Bearer; the `DPoP` scheme counts as no credentials;
 * - `allowed`: Bearer and DPoP, but a DPoP-bound token (`cnf.jkt`) is only accepted with its proof;
 * - `required`: only DPoP-bound tokens with a valid proof.
 */
export type DpopMode = 'disabled' | 'allowed' | 'required';

/**
 * The `dpop` option of the verifier. Defaults in brackets; durations in seconds. The proof settings
 * are those of `createProofVerifier`, whose clock and clock tolerance are the verifier's.
 */
export interface DpopOptions
  extends PublicUrlOptions,
    Pick<DpopProofVerifierOptions, 'algorithms' | 'iatWindow' | 'nonces' | 'maxProofSize'> {
  /** See {@link DpopMode}. [`'allowed'`] */
  readonly mode?: DpopMode | undefined;
  /**
   * Where proof `jti`s are remembered to refuse replays. Share one store (for example
   * `createRedisReplayStore` from `tokenwarden/redis`) across all instances of an API. [in memory,
   * 100 000 entries, per verifier]
   */
  readonly replayStore?: ReplayStore | undefined;
  /**
   * How long the replay store may take to answer, in milliseconds (1 to 2^31 − 1). Past it the
   * request is refused with 503 `replay_store_unavailable` and a `replay_store_failed` event, so a
   * stalled Redis cannot hold requests pending. [1000]
   */
  readonly replayStoreTimeoutMs?: number | undefined;
}

/** The DPoP facts of an accepted request. */
export interface DpopBinding {
  /** RFC 7638 thumbprint of the proof's key, equal to the token's `cnf.jkt`. */
  readonly thumbprint: string;
  /** A fresh nonce to send as `DPoP-Nonce` with the response, when the client used an older one. */
  readonly nextNonce: string | undefined;
}

/** Checks how a verified token was presented: bearer rules, or the DPoP proof and binding. */
export interface PresentationCheck {
  /** The DPoP mode; `verify()`, which has no request and so no proof, refuses every token in `required`. */
  readonly mode: DpopMode;
  /** The challenge settings for errors of this verifier. */
  readonly challenge: ChallengeContext;
  /** Whether requests using `scheme` are considered at all (else they count as carrying no token). */
  accepts(scheme: AuthScheme): boolean;
  /** Refuses a presentation the mode does not allow, before the token is verified. */
  checkScheme(scheme: AuthScheme): void;
  /**
   * Completes authentication of a verified token presented under `scheme`: synchronous for Bearer,
   * so the common case adds no promise.
   */
  check(
    request: ResourceRequest,
    scheme: AuthScheme,
    auth: VerifiedToken,
  ): VerifiedToken | Promise<VerifiedToken>;
}

/**
 * Builds the presentation rules for a verifier from its `dpop` option; replay store failures are
 * reported to `onEvent`.
 */
export function createPresentationCheck(
  options: DpopOptions | undefined,
  clockTolerance: number,
  clock: () => number,
  onEvent?: EventListener | undefined,
): PresentationCheck {
  const mode = options?.mode ?? 'allowed';
  checkDpopOptions(options, mode);
  const given = options ?? {};
  const verifyProof = buildProofVerifier(
    {
      replayStore: given.replayStore === undefined ? createMemoryReplayStore({ clock }) : given.replayStore,
      algorithms: given.algorithms,
      iatWindow: given.iatWindow,
      clockTolerance,
      nonces: given.nonces,
      maxProofSize: given.maxProofSize,
      replayStoreTimeoutMs: given.replayStoreTimeoutMs,
      clock,
    },
    { caller: 'createVerifier', prefix: 'dpop.' },
  );
  const challenge: ChallengeContext = {
    schemes: mode === 'disabled' ? ['Bearer'] : mode === 'required' ? ['DPoP'] : ['Bearer', 'DPoP'],
    dpopAlgorithms: mode === 'disabled' ? [] : (given.algorithms ?? DEFAULT_DPOP_ALGORITHMS),
  };

  async function checkProof(request: ResourceRequest, auth: VerifiedToken): Promise<VerifiedToken> {
    const bound = boundThumbprintOf(auth.claims);
    if (bound === undefined) {
      throw new TokenError('dpop_binding_mismatch', 'The access token is not bound to a DPoP key');
    }
    // A proof checks the key binding only; a second binding (RFC 8705 x5t#S256) would go unchecked.
    if (Object.keys(auth.claims.cnf as object).some((method) => method !== 'jkt')) {
      throw new TokenError(
        'dpop_binding_mismatch',
        'The access token is also bound to a certificate or key this API cannot check',
      );
    }
    let proof: VerifiedDpopProof;
    try {
      proof = await verifyProof({
        proof: request.header('dpop'),
        method: request.method,
        url: resolvePublicUrl(request, given),
        accessToken: auth.token,
        boundThumbprint: bound,
      });
    } catch (error) {
      if (error instanceof TokenError && error.code === 'replay_store_unavailable') {
        emit(onEvent, { type: 'replay_store_failed', reason: failureReason(error.cause) });
      }
      throw error;
    }
    return { ...auth, scheme: 'DPoP', dpop: { thumbprint: proof.thumbprint, nextNonce: proof.nextNonce } };
  }

  return {
    mode,
    challenge,
    accepts: (scheme) => scheme === 'Bearer' || mode !== 'disabled',
    checkScheme(scheme) {
      if (scheme === 'Bearer' && mode === 'required') {
        throw new TokenError('dpop_binding_mismatch', 'This API accepts only DPoP-bound access tokens');
      }
    },
    check(request, scheme, auth) {
      if (scheme === 'DPoP') return checkProof(request, auth);
      // Claims are frozen JSON, so a cnf member is never undefined: the common case costs one lookup.
      if (auth.claims.cnf !== undefined) throw bearerRefusal(auth);
      return auth;
    },
  };
}

/**
 * RFC 9449 §7.2: a DPoP-bound token must never be accepted as a bearer token. Nor may a token bound
 * any other way (`cnf` with RFC 8705 `x5t#S256`, RFC 7800 `jwk`, or anything else), since this API
 * cannot check that binding: accepting it would turn a stolen sender-constrained token into a
 * bearer token.
 */
function bearerRefusal(auth: VerifiedToken): TokenError {
  if (boundThumbprintOf(auth.claims) !== undefined) {
    return new TokenError('dpop_binding_mismatch', 'A DPoP-bound access token was sent as a Bearer token');
  }
  return new TokenError(
    'dpop_binding_mismatch',
    'The access token is bound to a certificate or key (cnf) this API cannot check',
  );
}

/** A short account of a replay store failure for logs: the store's own message, never a stack. */
function failureReason(cause: unknown): string {
  if (cause instanceof ReplayStoreTimeoutError) return `timed out after ${cause.timeoutMs} ms`;
  return cause instanceof Error ? cause.message : 'unexpected failure';
}

const MODES: ReadonlySet<string> = new Set<DpopMode>(['disabled', 'allowed', 'required']);

const DPOP_OPTION_KEYS = optionKeys<DpopOptions>({
  mode: true,
  algorithms: true,
  iatWindow: true,
  replayStore: true,
  nonces: true,
  maxProofSize: true,
  publicBaseUrl: true,
  trustedProxies: true,
  replayStoreTimeoutMs: true,
});

/**
 * Refuses at start-up a `dpop` option that would otherwise fail on each request, where it would read
 * as an outage (503), or, for a misspelt mode or key, silently leave the API in `allowed` mode. The
 * proof settings are checked where the proof check is built, under the same `dpop.` names.
 */
function checkDpopOptions(options: DpopOptions | undefined, mode: string): void {
  const given = optionsObject(options, 'dpop', true);
  checkKnownKeys(given, DPOP_OPTION_KEYS, 'dpop.');
  if (!MODES.has(mode)) {
    throw new TypeError("tokenwarden: dpop.mode must be 'disabled', 'allowed' or 'required'");
  }
  optionalStringList(given.trustedProxies, 'dpop.trustedProxies');
  const base = given.publicBaseUrl;
  if (base !== undefined && (typeof base !== 'string' || normaliseHttpUri(base) === undefined)) {
    throw new TypeError('tokenwarden: dpop.publicBaseUrl must be an absolute http(s) URL');
  }
}

/**
 * Headers to add to a successful response: `DPoP-Nonce` when the client should switch to a newer
 * nonce (RFC 9449 §8.2), or `undefined` when there are none, which is nearly always: adapters then
 * do no header work at all.
 */
export function authResponseHeaders(auth: VerifiedToken | undefined): Record<string, string> | undefined {
  const nonce = auth?.dpop?.nextNonce;
  return nonce === undefined ? undefined : { 'dpop-nonce': nonce };
}
