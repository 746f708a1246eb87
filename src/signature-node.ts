import {
  createHmac,
  constants as cryptoConstants,
  KeyObject,
  timingSafeEqual,
  type VerifyKeyObjectInput,
  type VerifyPublicKeyInput,
  verify,
} from 'node:crypto';
import type { Algorithm } from './algorithms.js';
import { useWebModules } from './node-backend-choice.js';
import { checkKeyFitsAlgorithm, type VerifySignature } from './signature-key.js';
import * as web from './signature-web.js';

/**
 * The node:crypto signature backend, picked by the `#signature` import's `node` condition. Web
 * Crypto's `subtle.verify` costs about twice node:crypto's synchronous `verify` for RSA, one token at
 * a time (a thread-pool hop and its promises per call; see docs/benchmarks.md), so on Node the final
 * verification is node:crypto's. Every check before it (header, key set, key bounds, key fits the
 * algorithm) is the same on both backends; only the verification differs.
 *
 * `TOKENWARDEN_SIGNATURE_BACKEND=web` makes Node use the Web Crypto backend instead
 * (`node-backend-choice.ts`).
 */

/** How node:crypto verifies each JWS algorithm (RFC 7518 §3, RFC 8037 §3.1). */
interface NodeVerification {
  /** The digest; `null` for Ed25519, which hashes internally. */
  readonly hash: string | null;
  readonly padding?: number;
  readonly saltLength?: number;
  /** JWS ECDSA signatures are the raw r || s (RFC 7518 §3.4), not DER. */
  readonly dsaEncoding?: 'ieee-p1363';
}

const PSS = {
  padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
  // RFC 7518 §3.5: the salt is as long as the hash.
  saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST,
} as const;

const VERIFICATIONS: Readonly<Record<Algorithm, NodeVerification>> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', ...PSS },
  PS384: { hash: 'sha384', ...PSS },
  PS512: { hash: 'sha512', ...PSS },
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
  ES384: { hash: 'sha384', dsaEncoding: 'ieee-p1363' },
  ES512: { hash: 'sha512', dsaEncoding: 'ieee-p1363' },
  EdDSA: { hash: null },
  Ed25519: { hash: null },
  HS256: { hash: 'sha256' },
  HS384: { hash: 'sha384' },
  HS512: { hash: 'sha512' },
};

/** A key made ready for node:crypto's `verify` under one algorithm, after its fit was checked. */
interface PreparedKey {
  readonly alg: Algorithm;
  readonly hash: string | null;
  /** The `KeyObject` itself, or with the padding, salt length or signature encoding `alg` needs. */
  readonly key: KeyObject | VerifyKeyObjectInput | VerifyPublicKeyInput;
  readonly secret: boolean;
}

/**
 * Each Web Crypto key as a node:crypto `KeyObject`, converted once, with its algorithm's settings.
 * The `CryptoKey` is the checked import the key provider caches per (kid, alg) with its key set, so
 * the prepared key lives exactly as long as that import, and the provider's `isCurrentKey` keeps
 * deciding which keys are honoured. The fit of key and algorithm (RFC 8725 §3.1) is checked when a
 * key is first prepared for an algorithm, and again whenever the algorithm differs.
 */
const preparedKeys = new WeakMap<CryptoKey, PreparedKey>();

function preparedKeyFor(key: CryptoKey, alg: Algorithm): PreparedKey {
  const prepared = preparedKeys.get(key);
  if (prepared !== undefined && prepared.alg === alg) return prepared;
  checkKeyFitsAlgorithm(key, alg);
  const keyObject = KeyObject.from(key);
  const { hash, padding, saltLength, dsaEncoding } = VERIFICATIONS[alg];
  const fresh: PreparedKey = {
    alg,
    hash,
    key:
      padding !== undefined
        ? { key: keyObject, padding, saltLength }
        : dsaEncoding !== undefined
          ? { key: keyObject, dsaEncoding }
          : keyObject,
    secret: keyObject.type === 'secret',
  };
  preparedKeys.set(key, fresh);
  return fresh;
}

/**
 * Public-key verifications sent to the thread pool and not answered yet. While there are some, the
 * callers evidently do not wait for each verification before asking for the next, so the next one
 * joins them in the pool too.
 */
let inThreadPool = 0;
/** Synchronous verifications so far (wrapping), to read the clock on a few of them only. */
let synchronousCalls = 0;
/** When, in `performance.now()` milliseconds, a verification last went to the pool to probe. */
let lastProbe = 0;
/**
 * Milliseconds from one probe to the next: one verification goes to the thread pool although none is
 * pending there, at most this often. If requests arrive while it runs, they follow it there and the
 * interval starts again from {@link MIN_PROBE_INTERVAL_MS}; if none does, the next is synchronous
 * again and the interval doubles, up to {@link MAX_PROBE_INTERVAL_MS}. A caller verifying one token
 * at a time thus pays the pool's hop about once per 80 ms, thousands of verifications apart, while a
 * burst of concurrent requests is noticed within that time at worst.
 */
let probeInterval = 10;
/** The shortest time between probes, in milliseconds, and the one after a probe others joined. */
const MIN_PROBE_INTERVAL_MS = 10;
/** The longest time between probes, in milliseconds, reached after probes nobody joined. */
const MAX_PROBE_INTERVAL_MS = 80;
/** Verifications that joined the pool since the last probe started. */
let joinedSinceProbe = 0;

/**
 * Verifies with node:crypto, choosing per call between its synchronous `verify` and its callback form,
 * which runs in the libuv thread pool. One verification at a time, the synchronous form is fastest
 * (the pool adds a hop: about 3× slower for RS256); with many in flight, the pool verifies on the
 * other cores while this thread goes on (1.7–1.9× the synchronous rate with 64 in flight on 2 cores,
 * docs/benchmarks.md). Which case holds is seen from the pool itself: a verification goes there while
 * others are pending there, and now and then to find out (see {@link probeInterval}). HMAC is always
 * synchronous: it costs less than the hop.
 */
export const verifyWithNodeCrypto: VerifySignature = (alg, key, signingInput, signature) => {
  const prepared = preparedKeyFor(key, alg);
  const data = Buffer.from(signingInput, 'latin1');
  if (prepared.secret) {
    const expected = createHmac(prepared.hash as string, prepared.key as KeyObject)
      .update(data)
      .digest();
    return signature.length === expected.length && timingSafeEqual(signature, expected);
  }
  if (inThreadPool > 0) {
    joinedSinceProbe += 1;
    return verifyInThreadPool(prepared, data, signature);
  }
  // The clock is read on every 32nd call only: reading it costs more than this test.
  if ((++synchronousCalls & 31) !== 0) return verifyNow(prepared, data, signature);
  const now = performance.now();
  if (now - lastProbe < probeInterval) return verifyNow(prepared, data, signature);
  lastProbe = now;
  joinedSinceProbe = 0;
  return verifyInThreadPool(prepared, data, signature, true);
};

/** After a probe: sooner again if others joined it, later (up to the maximum) if none did. */
function adjustProbeInterval(): void {
  probeInterval =
    joinedSinceProbe > 0 ? MIN_PROBE_INTERVAL_MS : Math.min(probeInterval * 2, MAX_PROBE_INTERVAL_MS);
}

function verifyNow(prepared: PreparedKey, data: Buffer, signature: Uint8Array): boolean {
  try {
    return verify(prepared.hash, data, prepared.key, signature);
  } catch {
    return false;
  }
}

/**
 * node:crypto's callback `verify`: the same check, run in the libuv thread pool. A `probe` adjusts
 * the probe interval once it is answered.
 */
function verifyInThreadPool(
  prepared: PreparedKey,
  data: Buffer,
  signature: Uint8Array,
  probe = false,
): Promise<boolean> {
  inThreadPool += 1;
  return new Promise((resolve) => {
    const settle = (valid: boolean): void => {
      inThreadPool -= 1;
      if (probe) adjustProbeInterval();
      resolve(valid);
    };
    try {
      verify(prepared.hash, data, prepared.key, signature, (error, valid) => settle(error === null && valid));
    } catch {
      settle(false);
    }
  });
}

/**
 * The thread-pool form alone, for tests: every verification the node backend can make, checked
 * through the callback `verify` whatever the concurrency.
 */
export const verifySignatureInThreadPool: VerifySignature = (alg, key, signingInput, signature) => {
  const prepared = preparedKeyFor(key, alg);
  if (prepared.secret) return verifyWithNodeCrypto(alg, key, signingInput, signature);
  return verifyInThreadPool(prepared, Buffer.from(signingInput, 'latin1'), signature);
};

/** The backend's name, for diagnostics and tests. */
export const signatureBackend: 'node' | 'web' = useWebModules ? 'web' : 'node';

export const verifySignature: VerifySignature = useWebModules ? web.verifySignature : verifyWithNodeCrypto;
