import {
  base64url,
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  type ProtectedHeaderParameters,
} from 'jose';
import {
  type AsymmetricAlgorithm,
  isKnownAlgorithm,
  isSymmetricAlgorithm,
  keyFitsAlgorithm,
} from '../algorithms.js';
import { systemClock } from '../clock.js';
import { isCompactJws } from '../compact-jws.js';
import { TokenError } from '../errors.js';
import { hasPrivateKeyMembers, publicKeyProblem } from '../key-bounds.js';
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
import { accessTokenHash } from './binding.js';
import { normaliseHttpUri } from './htu.js';
import type { DpopNonces } from './nonce.js';
import {
  checkAndStoreWithin,
  DEFAULT_REPLAY_STORE_TIMEOUT_MS,
  MAX_TIMER_MS,
  type ReplayStore,
} from './replay-store.js';

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

/** The longest `jti` accepted; §11.1 asks for 96 random bits, which is 16 base64url characters. */
const MAX_JTI_LENGTH = 256;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The claims of a DPoP proof (RFC 9449 §4.2). */
export interface DpopProofClaims {
  /** Unique identifier of the proof. */
  readonly jti: string;
  /** HTTP method of the request. */
  readonly htm: string;
  /** HTTP URI of the request, without query and fragment. */
  readonly htu: string;
  /** Creation time, seconds since the epoch. */
  readonly iat: number;
  /** base64url SHA-256 of the access token, when one is presented. */
  readonly ath?: string;
  /** The server-provided nonce (§8). */
  readonly nonce?: string;
  /** Any other claim. */
  readonly [claim: string]: unknown;
}

/** Options for {@link verifyDpopProof}. Defaults in brackets; durations in seconds. */
export interface VerifyDpopProofOptions {
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
  /** Where used proofs are remembered. */
  readonly replayStore: ReplayStore;
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
  /** Accepted proof algorithms; asymmetric only. [`['ES256','RS256','PS256','EdDSA','Ed25519']`] */
  readonly algorithms?: readonly AsymmetricAlgorithm[] | undefined;
  /** How far `iat` may be from now, each way, before the clock tolerance is added. [60] */
  readonly iatWindow?: number | undefined;
  /** Allowed clock difference with the client, added to `iatWindow`. [0] */
  readonly clockTolerance?: number | undefined;
  /** Server nonces; when set, every proof must carry a current or previous nonce (§8). [none] */
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

/**
 * Verifies a DPoP proof (RFC 9449 §4.3, with §7.1's `ath` and §8's nonce) and returns its key's
 * thumbprint. Checks run cheapest first: the proof key is bounded (RSA modulus 2048 to 8192 bits,
 * public exponent odd and at most 32 bits; EC and OKP coordinates of their curve's length) and
 * compared with `boundThumbprint` before any key is imported. The proof's `jti` is recorded in the
 * replay store only once everything else has passed, so refused proofs never take room there.
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
  const config = normaliseOptions(options);
  const proof = singleProof(options.proof, config.maxProofSize);
  const { header, alg, jwk } = checkProofHeader(proof, config.algorithms);
  // The client picks the key jose imports and verifies with: it is bounded and compared with the
  // token's cnf.jkt first, so a hostile or foreign key costs a hash, never a signature check.
  const thumbprint = await thumbprintOf(jwk);
  if (options.boundThumbprint !== undefined && options.boundThumbprint !== thumbprint) {
    throw new TokenError('dpop_binding_mismatch', 'The access token is bound to a different DPoP key');
  }
  const claims = await verifySignature(proof, jwk, alg);
  checkRequest(claims, options.method, config.requestUri);
  const now = config.clock();
  // A clock reading NaN would make every comparison false and let any iat through.
  if (!Number.isFinite(now)) {
    throw new TokenError(
      'dpop_proof_invalid',
      "The DPoP proof's iat cannot be checked: no server clock reading",
    );
  }
  checkIssuedAt(claims.iat, now, config.window);
  if (options.accessToken !== undefined) await checkAccessTokenHash(claims, options.accessToken);
  const nextNonce = options.nonces === undefined ? undefined : await checkNonce(claims, options.nonces);
  // §11.1: remembered for as long as this proof's iat would be accepted, in the context of its URI.
  const replayKey = await replayKeyOf(thumbprint, config.requestUri, claims.jti);
  const expiresAt = claims.iat + config.window;
  if (!(await recordProof(options.replayStore, replayKey, expiresAt, config.replayStoreTimeoutMs))) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof was already used');
  }
  return { thumbprint, jwk, header, claims, nextNonce };
}

interface NormalisedOptions {
  readonly algorithms: ReadonlySet<AsymmetricAlgorithm>;
  /** iatWindow + clockTolerance. */
  readonly window: number;
  readonly maxProofSize: number;
  readonly requestUri: string;
  readonly replayStoreTimeoutMs: number;
  readonly clock: () => number;
}

const VERIFY_OPTION_KEYS = optionKeys<VerifyDpopProofOptions>({
  proof: true,
  method: true,
  url: true,
  replayStore: true,
  accessToken: true,
  boundThumbprint: true,
  algorithms: true,
  iatWindow: true,
  clockTolerance: true,
  nonces: true,
  maxProofSize: true,
  replayStoreTimeoutMs: true,
  clock: true,
});

function normaliseOptions(options: VerifyDpopProofOptions): NormalisedOptions {
  optionsObject(options, 'verifyDpopProof options');
  checkKnownKeys(options, VERIFY_OPTION_KEYS, '');
  const algorithms = new Set(
    checkDpopAlgorithms(options.algorithms ?? DEFAULT_DPOP_ALGORITHMS, 'algorithms'),
  );
  const window = nonNegativeNumber(options.iatWindow, 'iatWindow', DEFAULT_IAT_WINDOW, 'seconds');
  const tolerance = nonNegativeNumber(options.clockTolerance, 'clockTolerance', 0, 'seconds');
  if (optionalObjectWithMethods(options.replayStore, 'replayStore', ['checkAndStore']) === undefined) {
    throw new TypeError('tokenwarden: verifyDpopProof needs a replayStore');
  }
  optionalObjectWithMethods(options.nonces, 'nonces', ['current', 'check']);
  const requestUri = normaliseHttpUri(options.url);
  if (requestUri === undefined) {
    throw new TypeError('tokenwarden: the DPoP request url must be an absolute http(s) URI');
  }
  return {
    algorithms,
    window: window + tolerance,
    maxProofSize: integerAtLeast(
      options.maxProofSize,
      'maxProofSize',
      DEFAULT_MAX_PROOF_SIZE,
      1,
      'characters',
    ),
    requestUri,
    replayStoreTimeoutMs: integerInRange(
      options.replayStoreTimeoutMs,
      'replayStoreTimeoutMs',
      DEFAULT_REPLAY_STORE_TIMEOUT_MS,
      { min: 1, max: MAX_TIMER_MS },
      'milliseconds',
    ),
    clock: optionalFunction(options.clock, 'clock') ?? systemClock,
  };
}

/**
 * The proof algorithms option (`name`): a list of asymmetric algorithms, never empty. RFC 9449 §4.3
 * check 5: a proof is signed with the client's private key, never a shared secret.
 */
export function checkDpopAlgorithms(
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

/** §4.3 check 1: exactly one `DPoP` header holding one proof, size-checked before any parsing. */
function singleProof(value: string | readonly string[] | undefined, maxSize: number): string {
  if (typeof value !== 'string') {
    if (value !== undefined && value.length > 1) {
      throw new TokenError('dpop_proof_invalid', 'More than one DPoP header was sent');
    }
    return singleProof(value?.[0] ?? '', maxSize);
  }
  if (value === '') throw new TokenError('dpop_proof_invalid', 'No DPoP proof was sent');
  if (value.length > maxSize) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof is larger than this API accepts');
  }
  // Proxies and frameworks join repeated headers with commas; a JWS never contains one.
  if (value.includes(',')) throw new TokenError('dpop_proof_invalid', 'More than one DPoP proof was sent');
  if (!isCompactJws(value.split('.'))) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof is not a compact JWS');
  }
  return value;
}

interface CheckedHeader {
  readonly header: ProtectedHeaderParameters;
  readonly alg: AsymmetricAlgorithm;
  readonly jwk: JWK;
}

/** §4.3 checks 2 to 6, on the unverified header: nothing cryptographic runs before they pass. */
function checkProofHeader(proof: string, allowed: ReadonlySet<AsymmetricAlgorithm>): CheckedHeader {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(proof);
  } catch (error) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof header is not valid JSON', { cause: error });
  }
  // Check 4: the media type is compared exactly; RFC 9449 registers only `dpop+jwt`.
  if (header.typ !== 'dpop+jwt') {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof typ is not dpop+jwt');
  }
  // Check 5: asymmetric and allowed; `none` and HS* can never be in the set.
  const alg = header.alg;
  if (typeof alg !== 'string' || !allowed.has(alg as AsymmetricAlgorithm)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof uses an algorithm this API does not accept');
  }
  // RFC 7515 §4.1.11: tokenwarden understands no extension, so none may be critical.
  if (Object.hasOwn(header, 'crit') || Object.hasOwn(header, 'b64')) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof names an unsupported critical extension');
  }
  // Check 7: the key is in `jwk`, public only.
  const jwk: unknown = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof header has no jwk');
  }
  if (hasPrivateKeyMembers(jwk)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof jwk holds private key material');
  }
  // RFC 8725 §3.1: the key must be of the kind the algorithm is made for.
  if (!keyFitsAlgorithm(jwk as JWK, alg as AsymmetricAlgorithm)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof jwk does not fit its algorithm');
  }
  return { header, alg: alg as AsymmetricAlgorithm, jwk: jwk as JWK };
}

/**
 * The RFC 7638 thumbprint of a proof key within {@link publicKeyProblem}'s bounds, computed from the
 * JWK's members without importing it.
 */
async function thumbprintOf(jwk: JWK): Promise<string> {
  const problem = publicKeyProblem(jwk as Readonly<Record<string, unknown>>);
  if (problem !== undefined) {
    throw new TokenError('dpop_proof_invalid', `The DPoP proof jwk is not acceptable: ${problem}`);
  }
  try {
    return await calculateJwkThumbprint(jwk, 'sha256');
  } catch (error) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof jwk is not a valid key', { cause: error });
  }
}

/** §4.3 check 6 (signature by the key in `jwk`) and check 3 (the claims present and well-typed). */
async function verifySignature(proof: string, jwk: JWK, alg: AsymmetricAlgorithm): Promise<DpopProofClaims> {
  let payload: Uint8Array;
  try {
    const key = await importJWK(jwk, alg);
    ({ payload } = await compactVerify(proof, key, { algorithms: [alg] }));
  } catch (error) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof signature is invalid', { cause: error });
  }
  let claims: unknown;
  try {
    claims = JSON.parse(utf8.decode(payload));
  } catch (error) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof payload is not valid JSON', { cause: error });
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof payload is not a JSON object');
  }
  return checkClaimTypes(claims as Record<string, unknown>);
}

function checkClaimTypes(claims: Record<string, unknown>): DpopProofClaims {
  const { jti, htm, htu, iat } = claims;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof has no valid jti');
  }
  if (typeof htm !== 'string' || typeof htu !== 'string') {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof lacks htm or htu');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof has no valid iat');
  }
  for (const name of ['ath', 'nonce'] as const) {
    if (Object.hasOwn(claims, name) && typeof claims[name] !== 'string') {
      throw new TokenError('dpop_proof_invalid', `The DPoP proof's ${name} claim is not a string`);
    }
  }
  return claims as DpopProofClaims;
}

/** §4.3 checks 8 and 9: the proof was made for this method and this URI. */
function checkRequest(claims: DpopProofClaims, method: string, requestUri: string): void {
  // RFC 9110 §9.1: methods are case-sensitive.
  if (claims.htm !== method) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof was made for another HTTP method');
  }
  if (normaliseHttpUri(claims.htu) !== requestUri) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof was made for another URI');
  }
}

/** §4.3 check 11 and §11.1: the proof was created recently, within `window` seconds either way. */
function checkIssuedAt(iat: number, now: number, window: number): void {
  if (iat < now - window) throw new TokenError('dpop_proof_invalid', 'The DPoP proof is too old');
  if (iat > now + window)
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof was issued in the future');
}

/** §4.3 check 10 and §7.1: the proof was made for this access token. */
async function checkAccessTokenHash(claims: DpopProofClaims, accessToken: string): Promise<void> {
  if (typeof claims.ath !== 'string') {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof has no ath claim');
  }
  if (claims.ath !== (await accessTokenHash(accessToken))) {
    throw new TokenError('dpop_proof_invalid', 'The DPoP proof was made for another access token');
  }
}

/** §8 and §9: a missing, stale or unknown nonce is answered with a fresh one. */
async function checkNonce(claims: DpopProofClaims, nonces: DpopNonces): Promise<string | undefined> {
  const status = await nonces.check(claims.nonce);
  if (status === 'current') return undefined;
  const current = await nonces.current();
  if (status === 'previous') return current;
  const message =
    claims.nonce === undefined ? 'The DPoP proof must carry a nonce' : 'The DPoP proof nonce is stale';
  throw new TokenError('dpop_nonce_required', message, { nonce: current });
}

/**
 * §11.1 through the replay store. Only here does a failure mean "cannot check right now" (503): a
 * store that rejects or misses its deadline refuses the proof, never accepts it.
 */
async function recordProof(
  store: ReplayStore,
  replayKey: string,
  expiresAt: number,
  timeoutMs: number,
): Promise<boolean> {
  try {
    return await checkAndStoreWithin(store, replayKey, expiresAt, timeoutMs);
  } catch (error) {
    throw new TokenError('replay_store_unavailable', 'DPoP proofs cannot be checked right now', {
      cause: error,
    });
  }
}

/** A fixed-length key, so the store's memory per entry does not depend on what the client sent. */
async function replayKeyOf(thumbprint: string, requestUri: string, jti: string): Promise<string> {
  const material = new TextEncoder().encode(JSON.stringify([thumbprint, requestUri, jti]));
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', material)));
}
