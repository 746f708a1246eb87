import { base64url, CompactSign, generateKeyPair, generateSecret } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { signatureBackend } from '#signature';
import type { Algorithm } from '../../src/algorithms.js';
import * as node from '../../src/signature-node.js';
import * as web from '../../src/signature-web.js';

const ALGORITHMS: readonly Algorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'HS256',
  'HS384',
  'HS512',
];

interface Signed {
  readonly key: CryptoKey;
  readonly signingInput: string;
  /** The signature's bytes, as the token decoder hands them to a backend. */
  readonly signature: Uint8Array;
}

async function signWith(alg: Algorithm): Promise<Signed> {
  let signer: CryptoKey;
  let key: CryptoKey;
  if (alg.startsWith('HS')) {
    signer = (await generateSecret(alg, { extractable: true })) as CryptoKey;
    key = signer;
  } else {
    const pair = await generateKeyPair(alg);
    signer = pair.privateKey;
    key = pair.publicKey;
  }
  const jws = await new CompactSign(new TextEncoder().encode('{"sub":"user"}'))
    .setProtectedHeader({ alg })
    .sign(signer);
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  return { key, signingInput: `${header}.${payload}`, signature: base64url.decode(signature) };
}

const signed = new Map<Algorithm, Signed>();
for (const alg of ALGORITHMS) signed.set(alg, await signWith(alg));

function flip(signature: Uint8Array): Uint8Array {
  const bytes = signature.slice();
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 1;
  return bytes;
}

describe('the #signature import', () => {
  it('picks node:crypto under Node unless TOKENWARDEN_SIGNATURE_BACKEND=web forces Web Crypto', () => {
    const expected = process.env.TOKENWARDEN_SIGNATURE_BACKEND === 'web' ? 'web' : 'node';
    expect(signatureBackend).toBe(expected);
  });
});

const BACKENDS = [
  { name: 'node:crypto', verifySignature: node.verifyWithNodeCrypto },
  { name: 'node:crypto thread-pool', verifySignature: node.verifySignatureInThreadPool },
  { name: 'Web Crypto', verifySignature: web.verifySignature },
] as const;

describe('the node:crypto backend chooses between its synchronous and thread-pool forms', () => {
  it('sends a verification to the thread pool while another is pending there', async () => {
    const { key, signingInput, signature } = signed.get('RS256') as Signed;
    const pending = node.verifySignatureInThreadPool('RS256', key, signingInput, signature);
    const next = node.verifyWithNodeCrypto('RS256', key, signingInput, signature);
    expect(next).toBeInstanceOf(Promise);
    expect(await pending).toBe(true);
    expect(await next).toBe(true);
  });

  it('verifies synchronously when the callers wait for each answer', async () => {
    const { key, signingInput, signature } = signed.get('ES256') as Signed;
    // At most one call in 32 probes the pool, and the call after a probe that finished is synchronous.
    const outcomes: (boolean | Promise<boolean>)[] = [];
    for (let call = 0; call < 3; call += 1) {
      const outcome = node.verifyWithNodeCrypto('ES256', key, signingInput, signature);
      outcomes.push(outcome);
      expect(await outcome).toBe(true);
    }
    expect(outcomes.filter((outcome) => typeof outcome === 'boolean').length).toBeGreaterThanOrEqual(2);
  });

  it('probes the pool less often while no verification joins a probe, up to every 80 ms', async () => {
    const { key, signingInput, signature } = signed.get('ES256') as Signed;
    const verifyOnce = () => node.verifyWithNodeCrypto('ES256', key, signingInput, signature);
    /** Calls until one goes to the pool although none is pending there: a probe. */
    async function probeWithin(calls: number, joined = false): Promise<boolean> {
      for (let call = 0; call < calls; call += 1) {
        const outcome = verifyOnce();
        if (outcome instanceof Promise) {
          const joiner = joined ? verifyOnce() : true;
          expect(await outcome).toBe(true);
          expect(await joiner).toBe(true);
          return true;
        }
        expect(outcome).toBe(true);
      }
      return false;
    }
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      // A probe that another verification joins starts the interval again at 10 ms.
      vi.advanceTimersByTime(1000);
      expect(await probeWithin(32, true)).toBe(true);
      // Each probe nobody joins doubles the interval, up to 80 ms. The clock is read every 32nd
      // call, so 32 calls always include a reading.
      for (const interval of [10, 20, 40, 80, 80]) {
        vi.advanceTimersByTime(interval - 1);
        expect(await probeWithin(64), `no probe ${interval - 1} ms after the last`).toBe(false);
        vi.advanceTimersByTime(1);
        expect(await probeWithin(32), `a probe ${interval} ms after the last`).toBe(true);
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps HMAC synchronous even while public-key verifications are pending', async () => {
    const rsa = signed.get('RS256') as Signed;
    const hmac = signed.get('HS256') as Signed;
    const pending = node.verifySignatureInThreadPool('RS256', rsa.key, rsa.signingInput, rsa.signature);
    expect(node.verifyWithNodeCrypto('HS256', hmac.key, hmac.signingInput, hmac.signature)).toBe(true);
    expect(await pending).toBe(true);
  });
});

for (const backend of BACKENDS) {
  describe(`the ${backend.name} signature backend (RFC 7518 §3)`, () => {
    it.each(ALGORITHMS)('accepts a valid %s signature', async (alg) => {
      const { key, signingInput, signature } = signed.get(alg) as Signed;
      expect(await backend.verifySignature(alg, key, signingInput, signature)).toBe(true);
    });

    it.each(ALGORITHMS)('refuses a %s signature with one bit changed', async (alg) => {
      const { key, signingInput, signature } = signed.get(alg) as Signed;
      expect(await backend.verifySignature(alg, key, signingInput, flip(signature))).toBe(false);
    });

    it.each(ALGORITHMS)('refuses a %s signature over other signing input', async (alg) => {
      const { key, signingInput, signature } = signed.get(alg) as Signed;
      expect(await backend.verifySignature(alg, key, `${signingInput}A`, signature)).toBe(false);
    });

    it.each(ALGORITHMS)('refuses a truncated %s signature', async (alg) => {
      const { key, signingInput, signature } = signed.get(alg) as Signed;
      expect(await backend.verifySignature(alg, key, signingInput, signature.subarray(0, -3))).toBe(false);
    });

    it('refuses an ES256 signature in DER rather than the raw r || s (RFC 7518 §3.4)', async () => {
      const { key, signingInput, signature } = signed.get('ES256') as Signed;
      const der = Uint8Array.of(
        0x30,
        68,
        0x02,
        32,
        ...signature.subarray(0, 32),
        0x02,
        32,
        ...signature.subarray(32),
      );
      expect(await backend.verifySignature('ES256', key, signingInput, der)).toBe(false);
    });

    it.each([
      ['RS384', 'RS256'],
      ['PS256', 'RS256'],
      ['RS256', 'PS256'],
      ['ES384', 'ES256'],
      ['HS384', 'HS256'],
      ['RS256', 'ES256'],
      ['HS256', 'RS256'],
      ['EdDSA', 'ES256'],
    ] as const)('refuses a %s token checked with a key made for %s (RFC 8725 §3.1)', async (alg, keyAlg) => {
      const { key, signingInput, signature } = signed.get(keyAlg) as Signed;
      await expect(
        (async () => backend.verifySignature(alg, key, signingInput, signature))(),
      ).rejects.toMatchObject({ code: 'algorithm_not_allowed' });
    });
  });
}
