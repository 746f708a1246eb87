import type { AsymmetricAlgorithm } from '../algorithms.js';
import { TokenError } from '../errors.js';
import { type EventListener, emit } from '../events.js';
import { checkKnownKeys, optionalStringList, optionKeys, optionsObject } from '../option-checks.js';
import type { ResourceRequest } from '../request.js';
import type { VerifiedToken } from '../verified-token.js';
import { boundThumbprintOf, NOT_BOUND } from './binding.js';
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

/** The verifier's DPoP settings, checked once, and the check of a request made under `DPoP`. */
export interface ProofOfPossessionCheck {
  /** Which schemes the API takes tokens under, see {@link DpopMode}. */
  readonly mode: DpopMode;
  /** The proof algorithms accepted. */
  readonly algorithms: readonly AsymmetricAlgorithm[];
  /**
   * RFC 9449 §7.1: `token`, resolved from a request's `Authorization: DPoP` credential, is bound to
   * the key of the request's valid proof. Resolves the token with the binding's facts.
   */
  check(request: ResourceRequest, token: VerifiedToken): Promise<VerifiedToken>;
}

/** What the proof-of-possession check is built from: the `dpop` option and the verifier's clock. */
export interface ProofOfPossessionSettings {
  readonly dpop: DpopOptions | undefined;
  /** Seconds, added to `dpop.iatWindow`. */
  readonly clockTolerance: number;
  /** Seconds since the epoch, for proofs' `iat` and the default replay store. */
  readonly clock: () => number;
  /** Told of replay store failures. */
  readonly onEvent: EventListener | undefined;
}

/** Builds the DPoP check from the verifier's `dpop` option, which it checks once, here. */
export function createProofOfPossessionCheck(settings: ProofOfPossessionSettings): ProofOfPossessionCheck {
  const { clock, onEvent } = settings;
  const mode = settings.dpop?.mode ?? 'allowed';
  checkDpopOptions(settings.dpop, mode);
  const given = settings.dpop ?? {};
  const verifyProof = buildProofVerifier(
    {
      replayStore: given.replayStore === undefined ? createMemoryReplayStore({ clock }) : given.replayStore,
      algorithms: given.algorithms,
      iatWindow: given.iatWindow,
      clockTolerance: settings.clockTolerance,
      nonces: given.nonces,
      maxProofSize: given.maxProofSize,
      replayStoreTimeoutMs: given.replayStoreTimeoutMs,
      clock,
    },
    { caller: 'createVerifier', prefix: 'dpop.' },
  );

  async function check(request: ResourceRequest, token: VerifiedToken): Promise<VerifiedToken> {
    const bound = boundThumbprintOf(token.claims);
    if (bound === undefined) {
      throw new TokenError('dpop_binding_mismatch', 'The access token is not bound to a DPoP key', {
        detail: NOT_BOUND,
      });
    }
    // A proof checks the key binding only; a second binding (RFC 8705 x5t#S256) would go unchecked.
    if (Object.keys(token.claims.cnf as object).some((method) => method !== 'jkt')) {
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
        accessToken: token.token,
        boundThumbprint: bound,
      });
    } catch (error) {
      if (error instanceof TokenError && error.code === 'replay_store_unavailable') {
        emit(onEvent, { type: 'replay_store_failed', reason: failureReason(error.cause) });
      }
      throw error;
    }
    return { ...token, scheme: 'DPoP', dpop: { thumbprint: proof.thumbprint, nextNonce: proof.nextNonce } };
  }

  return { mode, algorithms: given.algorithms ?? DEFAULT_DPOP_ALGORITHMS, check };
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
