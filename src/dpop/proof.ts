import type { JWK, ProtectedHeaderParameters } from 'jose';
import { type AsymmetricAlgorithm, isKnownAlgorithm, isSymmetricAlgorithm } from '../algorithms.js';
import { systemClock } from '../clock.js';
import { TokenError } from '../errors.js';
import {
  checkKnownKeys,
  describeValue,
  integerAtLeast,
  integerInRange,
  nonNegativeNumber,
  optionalFunction,
  optionalObjectWithMethods,
  optionKeys,
  optionsObject,
} from '../option-checks.js';
import { jktMismatch } from './binding.js';
import { normaliseHttpUri } from './htu.js';
import type { DpopNonces } from './nonce.js';
import {
  checkAccessTokenHash,
  checkNonce,
  checkProofAge,
  checkRequest,
  type DpopProofClaims,
  readProofClaims,
} from './proof-claims.js';
import { checkProofHeader, singleProof, thumbprintOf, verifyProofSignature } from './proof-header.js';
import {
  DEFAULT_REPLAY_STORE_TIMEOUT_MS,
  MAX_TIMER_MS,
  type ReplayStore,
  recordProof,
  replayKeyOf,
} from './replay-store.js';

export type { DpopProofClaims } from './proof-claims.js';

/**
 * The proof algorithms accepted by default: asymmetric only (RFC 9449 §4.3 check 5). `Ed25519` is
 * RFC 9864's fully specified name for `EdDSA` over Ed25519, which oauth4webapi and openid-client
 * send for Ed25519 keys.
 */
export const DEFAULT_DPOP_ALGORITHMS: readonly AsymmetricAlgorithm[] = [
  'ES256',
  'RS256',
  'PS256',
  'EdDSA',
  'Ed25519',
];

/** Default largest `DPoP` header, in characters: 8 KiB, ample for an RSA-4096 key and its signature. */
export const DEFAULT_MAX_PROOF_SIZE = 8 * 1024;

/** Default `iat` window each way from now, in seconds. */
export const DEFAULT_IAT_WINDOW = 60;

/** Options for {@link createProofVerifier}. Defaults in brackets; durations in seconds. */
export interface DpopProofVerifierOptions {
  /** Where used proofs are remembered. */
  readonly replayStore: ReplayStore;
  /**
   * Accepted proof algorithms, asymmetric only; a verifier announces them as `algs` in its DPoP
   * challenge. [`['ES256','RS256','PS256','EdDSA','Ed25519']`]
   */
  readonly algorithms?: readonly AsymmetricAlgorithm[] | undefined;
  /** How far `iat` may be from now, each way, before the clock tolerance is added. [60] */
  readonly iatWindow?: number | undefined;
  /** Allowed clock difference with the client, added to `iatWindow`. [0] */
  readonly clockTolerance?: number | undefined;
  /**
   * Server nonces (§8), from `createDpopNonces({ secret })`; when set, every proof must carry a
   * current or previous nonce. [none]
   */
  readonly nonces?: DpopNonces | undefined;
  /** Largest proof in characters, checked before any parsing. [8192] */
  readonly maxProofSize?: number | undefined;
  /**
   * How long the replay store may take to answer, in milliseconds (1 to 2^31 − 1); past it the
   * proof is refused with `replay_store_unavailable`. [1000]
   */
  readonly replayStoreTimeoutMs?: number | undefined;
  /** Seconds since the epoch; inject one in tests. [system clock] */
  readonly clock?: (() => number) | undefined;
}

/** What one request brings to a DPoP proof check. */
export interface DpopProofRequest {
  /**
   * The `DPoP` request header as the framework gives it: a string, an array when the header was
   * sent more than once, or `undefined` when absent. Exactly one proof is accepted (§4.3 check 1).
   */
  readonly proof: string | readonly string[] | undefined;
  /** The request's HTTP method, e.g. `GET`, compared exactly with `htm`. */
  readonly method: string;
  /**
   * The absolute URI of the request as the client addressed it (the public URL, not the one behind
   * a proxy). Query and fragment are ignored.
   */
  readonly url: string | URL;
  /**
   * The access token sent with the proof. When given, `ath` must be its hash (§4.3 check 10);
   * leave it out only at a token endpoint, where there is no access token yet.
   */
  readonly accessToken?: string | undefined;
  /**
   * The access token's `cnf.jkt`. When given, it is compared with the proof key's thumbprint before
   * the key is imported or the signature checked, so a proof by any other key costs a hash, not a
   * signature verification, and never takes room in the replay store (§7.1).
   */
  readonly boundThumbprint?: string | undefined;
}

/** Options for {@link verifyDpopProof}: the request's proof and the checks' settings in one object. */
export interface VerifyDpopProofOptions extends DpopProofRequest, DpopProofVerifierOptions {}

/** A proof that passed every check. */
export interface VerifiedDpopProof {
  /**
   * The RFC 7638 SHA-256 thumbprint of the proof's key: compare it with the access token's
   * `cnf.jkt` (see `checkDpopBinding`).
   */
  readonly thumbprint: string;
  /** The proof's public key. */
  readonly jwk: JWK;
  /** The proof's protected header. */
  readonly header: ProtectedHeaderParameters;
  /** The proof's claims. */
  readonly claims: DpopProofClaims;
  /**
   * The current nonce when the proof carried the previous window's: send it in a `DPoP-Nonce`
   * response header so the client moves on before the old one expires (§8.2). Otherwise `undefined`.
   */
  readonly nextNonce: string | undefined;
}

/** Checks one request's DPoP proof; built once by {@link createProofVerifier}. */
export type DpopProofVerifier = (request: DpopProofRequest) => Promise<VerifiedDpopProof>;

/**
 * Verifies a DPoP proof (RFC 9449 §4.3, with §7.1's `ath` and §8's nonce) and returns its key's
 * thumbprint. Checks run cheapest first: the proof key is bounded (RSA modulus 2048 to 8192 bits,
 * public exponent odd and at most 32 bits; EC and OKP coordinates of their curve's length) and
 * compared with `boundThumbprint` before any key is imported. The proof's `jti` is recorded in the
 * replay store only once everything else has passed, so refused proofs never take room there.
 *
 * Checks the options on every call; where proofs are checked again and again with the same
 * settings, build the check once with {@link createProofVerifier}.
 *
 * @throws {TokenError} `dpop_proof_invalid`, `dpop_nonce_required` or, with `boundThumbprint`,
 *   `dpop_binding_mismatch`; `replay_store_unavailable` when the replay store fails or does not
 *   answer within `replayStoreTimeoutMs` (fail closed, the store's error as `cause`).
 * @throws {TypeError} for invalid options or a request `url` that is not an absolute http(s) URI.
 *
 * @example
 * ```ts
 * const { thumbprint } = await verifyDpopProof({
 *   proof: request.headers.get('dpop') ?? undefined,
 *   method: request.method,
 *   url: request.url,
 *   accessToken,
 *   replayStore,
 * });
 * checkDpopBinding(claims, thumbprint);
 * ```
 */
export async function verifyDpopProof(options: VerifyDpopProofOptions): Promise<VerifiedDpopProof> {
  optionsObject(options, 'verifyDpopProof options');
  checkKnownKeys(options, VERIFY_OPTION_KEYS, '');
  return buildProofVerifier(options, { caller: 'verifyDpopProof', prefix: '' })(options);
}

/**
 * Builds the DPoP proof check (see {@link verifyDpopProof}) from options checked once, here: the
 * function it returns takes only what each request brings.
 *
 * @throws {TypeError} for invalid options; the function returned rejects as `verifyDpopProof` does.
 *
 * @example
 * ```ts
 * const verifyProof = createProofVerifier({ replayStore: createMemoryReplayStore() });
 * const { thumbprint } = await verifyProof({ proof, method: 'POST', url, accessToken });
 * ```
 */
export function createProofVerifier(options: DpopProofVerifierOptions): DpopProofVerifier {
  optionsObject(options, 'createProofVerifier options');
  checkKnownKeys(options, PROOF_VERIFIER_OPTION_KEYS, '');
  return buildProofVerifier(options, { caller: 'createProofVerifier', prefix: '' });
}

/**
 * {@link createProofVerifier} for options whose object and keys the caller has checked already (the
 * verifier's `dpop` option): checks each setting, its name after `naming.prefix` in errors, and
 * builds the check. A missing store is refused in the name of `naming.caller`.
 */
export function buildProofVerifier(
  options: DpopProofVerifierOptions,
  naming: { readonly caller: string; readonly prefix: string },
): DpopProofVerifier {
  const { prefix } = naming;
  const algorithms = new Set(
    checkDpopAlgorithms(options.algorithms ?? DEFAULT_DPOP_ALGORITHMS, `${prefix}algorithms`),
  );
  const iatWindow = nonNegativeNumber(options.iatWindow, `${prefix}iatWindow`, DEFAULT_IAT_WINDOW, 'seconds');
  const tolerance = nonNegativeNumber(options.clockTolerance, `${prefix}clockTolerance`, 0, 'seconds');
  if (options.replayStore === undefined)
    throw new TypeError(`tokenwarden: ${naming.caller} needs a replayStore`);
  optionalObjectWithMethods(options.replayStore, `${prefix}replayStore`, ['checkAndStore']);
  optionalObjectWithMethods(options.nonces, `${prefix}nonces`, ['current', 'check']);
  const maxProofSize = integerAtLeast(
    options.maxProofSize,
    `${prefix}maxProofSize`,
    DEFAULT_MAX_PROOF_SIZE,
    1,
    'characters',
  );
  const replayStoreTimeoutMs = integerInRange(
    options.replayStoreTimeoutMs,
    `${prefix}replayStoreTimeoutMs`,
    DEFAULT_REPLAY_STORE_TIMEOUT_MS,
    { min: 1, max: MAX_TIMER_MS },
    'milliseconds',
  );
  const clock = optionalFunction(options.clock, `${prefix}clock`) ?? systemClock;
  const { replayStore, nonces } = options;
  const window = iatWindow + tolerance;
  const proofAge = { iatWindow, clockTolerance: tolerance };

  return async (request) => {
    const requestUri = normaliseHttpUri(request.url);
    if (requestUri === undefined) {
      throw new TypeError('tokenwarden: the DPoP request url must be an absolute http(s) URI');
    }
    const proof = singleProof(request.proof, maxProofSize);
    const { header, alg, jwk } = checkProofHeader(proof, algorithms);
    // The client picks the key jose imports and verifies with: it is bounded and compared with the
    // token's cnf.jkt first, so a hostile or foreign key costs a hash, never a signature check.
    const thumbprint = await thumbprintOf(jwk);
    if (request.boundThumbprint !== undefined && request.boundThumbprint !== thumbprint) {
      throw new TokenError('dpop_binding_mismatch', 'The access token is bound to a different DPoP key', {
        detail: jktMismatch(request.boundThumbprint, thumbprint),
      });
    }
    const claims = readProofClaims(await verifyProofSignature(proof, jwk, alg));
    checkRequest(claims, request.method, requestUri);
    checkProofAge(claims, clock(), proofAge);
    if (request.accessToken !== undefined) await checkAccessTokenHash(claims, request.accessToken);
    const nextNonce = nonces === undefined ? undefined : await checkNonce(claims, nonces);
    // §11.1: remembered for as long as this proof's iat would be accepted, in the context of its URI.
    const replayKey = await replayKeyOf(thumbprint, requestUri, claims.jti);
    if (!(await recordProof(replayStore, replayKey, claims.iat + window, replayStoreTimeoutMs))) {
      throw new TokenError('dpop_proof_invalid', 'The DPoP proof was already used', {
        detail: {
          claim: 'jti',
          hint: 'A proof is good for one request: the client must make a new one, with a new jti, each time',
        },
      });
    }
    return { thumbprint, jwk, header, claims, nextNonce };
  };
}

const PROOF_VERIFIER_OPTION_KEYS = optionKeys<DpopProofVerifierOptions>({
  replayStore: true,
  algorithms: true,
  iatWindow: true,
  clockTolerance: true,
  nonces: true,
  maxProofSize: true,
  replayStoreTimeoutMs: true,
  clock: true,
});

const VERIFY_OPTION_KEYS = [
  ...optionKeys<DpopProofRequest>({
    proof: true,
    method: true,
    url: true,
    accessToken: true,
    boundThumbprint: true,
  }),
  ...PROOF_VERIFIER_OPTION_KEYS,
];

/**
 * The proof algorithms option (`name`): a list of asymmetric algorithms, never empty. RFC 9449 §4.3
 * check 5: a proof is signed with the client's private key, never a shared secret.
 */
function checkDpopAlgorithms(
  algorithms: readonly AsymmetricAlgorithm[],
  name: string,
): readonly AsymmetricAlgorithm[] {
  if (!Array.isArray(algorithms)) {
    throw new TypeError(
      `tokenwarden: ${name} must be a list of algorithm names (got ${describeValue(algorithms)})`,
    );
  }
  if (algorithms.length === 0) throw new TypeError(`tokenwarden: ${name} must not be empty`);
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || !isKnownAlgorithm(alg) || isSymmetricAlgorithm(alg)) {
      throw new TypeError(`tokenwarden: ${String(alg)} is not an asymmetric algorithm DPoP can use`);
    }
  }
  return algorithms;
}
