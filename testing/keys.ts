import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { AsymmetricAlgorithm } from '../src/index.js';

/** A signing key pair with its public JWK as published in the key set. */
export interface TestKey {
  readonly alg: AsymmetricAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

let counter = 0;

/** Generates a key pair for `alg` with a fresh `kid`. RSA keys are 2048 bits. */
export async function generateTestKey(alg: AsymmetricAlgorithm, kid?: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  counter += 1;
  const id = kid ?? `${alg.toLowerCase()}-${Date.now().toString(36)}-${counter}`;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: id, alg, use: 'sig' };
  return { alg, kid: id, privateKey, publicJwk };
}
