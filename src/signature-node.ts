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
import { checkKeyFitsAlgorithm, type VerifySignature } from './signature-key.js';
import * as web from './signature-web.js';

/**
 * The node:crypto signature backend, picked by the `#signature` import's `node` condition. Web
 * Crypto's `subtle.verify` costs about twice node:crypto's synchronous `verify` for RSA, one token at
 * a time (a thread-pool hop and its promises per call; see docs/benchmarks.md), so on Node the final
 * verification is node:crypto's. Every check before it (header, key set, key bounds, key fits the
 * algorithm) is the same on both backends; only the verification differs.
 *
 * `TOKENWARDEN_SIGNATURE_BACKEND=web` makes Node use the Web Crypto backend instead: a test and
 * diagnostic switch (CI runs the whole suite both ways), read once when this module loads.
 */

const forced = process.env.TOKENWARDEN_SIGNATURE_BACKEND;
if (forced !== undefined && forced !== 'web' && forced !== 'node') {
  throw new TypeError("TOKENWARDEN_SIGNATURE_BACKEND must be 'web' or 'node' when set");
}
const useWebCrypto = forced === 'web';

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
 * Verifies with node:crypto's synchronous `verify`. Its callback form runs in the thread pool: one
 * call at a time that only adds a hop; with many in flight it wins only while other cores sit idle,
 * and on the shared 2-core machine two runs disagreed on whether it did (docs/benchmarks.md), so
 * every algorithm verifies synchronously, as aws-jwt-verify and fast-jwt do.
 */
const verifyWithNodeCrypto: VerifySignature = (alg, key, signingInput, signature) => {
  const prepared = preparedKeyFor(key, alg);
  const data = Buffer.from(signingInput, 'latin1');
  const bytes = Buffer.from(signature, 'base64url');
  if (prepared.secret) {
    const expected = createHmac(prepared.hash as string, prepared.key as KeyObject)
      .update(data)
      .digest();
    return bytes.length === expected.length && timingSafeEqual(bytes, expected);
  }
  try {
    return verify(prepared.hash, data, prepared.key, bytes);
  } catch {
    return false;
  }
};

/** The backend's name, for diagnostics and tests. */
export const signatureBackend: 'node' | 'web' = useWebCrypto ? 'web' : 'node';

export const verifySignature: VerifySignature = useWebCrypto ? web.verifySignature : verifyWithNodeCrypto;
