import { constants, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { JwtVerifier } from 'aws-jwt-verify';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { base64url, compactVerify, createLocalJWKSet, importJWK, type JWK, jwtVerify } from 'jose';
import { type AsymmetricAlgorithm, createVerifier } from 'tokenwarden';
import { createTestIssuer } from 'tokenwarden/testing';
import { median } from './report.js';

/** One measured case. */
export interface MicroResult {
  readonly alg: AsymmetricAlgorithm;
  readonly subject: string;
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** Median over the rounds. */
  readonly opsPerSecond: number;
  /**
   * Median over the rounds of this case's ops/s ÷ node:crypto `verify`'s in the same round, so that
   * load from other work on the machine, which shifts from second to second, cancels out.
   */
  readonly ratioToFloor: number;
  /** Ops/s of each round, in order. */
  readonly rounds: readonly number[];
}

const SUBTLE_PARAMS: Record<string, AlgorithmIdentifier | RsaPssParams | EcdsaParams> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  PS256: { name: 'RSA-PSS', saltLength: 32 } as RsaPssParams,
  ES256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  EdDSA: { name: 'Ed25519' },
};

/** node:crypto's `verify` digest and options per algorithm: the floor any Node verifier stands on. */
const NODE_VERIFY: Record<string, { hash: string | null; options: object }> = {
  RS256: { hash: 'sha256', options: {} },
  PS256: {
    hash: 'sha256',
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
  },
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { hash: null, options: {} },
};

/** Runs `operation` over `inputs` for about `seconds`, `concurrency` at a time; returns ops/s. */
async function measure<T>(
  inputs: readonly T[],
  operation: (input: T) => Promise<unknown>,
  seconds: number,
  concurrency: number,
): Promise<number> {
  let done = 0;
  let next = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      await operation(inputs[next % inputs.length] as T);
      next += 1;
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - started) / 1000);
}

/** Warms up the JIT and any caches the subject keeps by design (keys, discovery). */
async function warmUp<T>(inputs: readonly T[], operation: (input: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < Math.min(200, inputs.length); i += 1) await operation(inputs[i] as T);
}

/** One subject measured over `inputs`. */
interface MicroCase {
  readonly subject: string;
  readonly inputs: readonly unknown[];
  readonly operation: (input: never) => Promise<unknown>;
}

/**
 * `verify()` per algorithm and per concurrency beside aws-jwt-verify, fast-jwt, `jose.jwtVerify`,
 * `jose.compactVerify` with an imported key, and the raw node:crypto and Web Crypto verifications.
 * Every verifier checks the signature, iss, aud and exp of every token; none caches a verified token.
 */
export async function runMicro(options: {
  seconds: number;
  concurrencies: readonly number[];
  tokens: number;
  rounds: number;
}): Promise<MicroResult[]> {
  const algorithms: AsymmetricAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];
  const issuer = await createTestIssuer({ algorithms });
  const results: MicroResult[] = [];
  try {
    const keySet = issuer.jwks();
    const verifierOptions = { issuer: issuer.issuer, audience: issuer.audience, keySet };
    // Cold: every call decodes and checks a signature, as for a token never seen before.
    const coldVerifier = createVerifier({ ...verifierOptions, cache: false });
    // Repeated: the default verified-token cache answers after the first call.
    const cachingVerifier = createVerifier(verifierOptions);
    const localJwks = createLocalJWKSet(keySet);
    const awsVerifier = JwtVerifier.create({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: issuer.jwksUri,
    });
    awsVerifier.cacheJwks(keySet as unknown as Parameters<typeof awsVerifier.cacheJwks>[0]);
    for (const alg of algorithms) {
      const tokens: string[] = [];
      for (let i = 0; i < options.tokens; i += 1) tokens.push(await issuer.signToken({ n: i }, { alg }));
      const jwk = keySet.keys.find((key) => key.alg === alg);
      const publicKey = (await importJWK(jwk ?? {}, alg)) as CryptoKey;
      const subtleInputs = tokens.map((token) => {
        const [header, payload, signature] = token.split('.') as [string, string, string];
        return {
          data: new TextEncoder().encode(`${header}.${payload}`),
          signature: base64url.decode(signature) as Uint8Array<ArrayBuffer>,
        };
      });
      const params = SUBTLE_PARAMS[alg] as AlgorithmIdentifier;
      const keyObject = createPublicKey({ key: jwk as JWK & { kty: string }, format: 'jwk' });
      const nodeMethod = NODE_VERIFY[alg] as (typeof NODE_VERIFY)[string];
      const nodeKey = { key: keyObject, ...nodeMethod.options };
      const nodeInputs = subtleInputs.map(({ data, signature }) => ({
        data: Buffer.from(data),
        signature: Buffer.from(signature),
      }));
      const fastJwtVerify = createFastJwtVerifier({
        key: keyObject.export({ type: 'spki', format: 'pem' }) as string,
        algorithms: [alg as 'RS256' | 'PS256' | 'ES256' | 'EdDSA'],
        allowedIss: issuer.issuer,
        allowedAud: issuer.audience,
        cache: false,
      });
      const cases: MicroCase[] = [
        {
          subject: 'tokenwarden verify(), cold (cache off)',
          inputs: tokens,
          operation: (t: string) => coldVerifier.verify(t),
        },
        {
          subject: 'tokenwarden verify(), repeated token (cache on)',
          inputs: tokens.slice(0, 1),
          operation: (t: string) => cachingVerifier.verify(t),
        },
        // aws-jwt-verify does not support PS256.
        ...(alg === 'PS256'
          ? []
          : [
              {
                subject: 'aws-jwt-verify (cached JWKS)',
                inputs: tokens,
                operation: (t: string) => awsVerifier.verify(t),
              },
            ]),
        {
          subject: 'fast-jwt (cache off)',
          inputs: tokens,
          operation: async (t: string) => fastJwtVerify(t),
        },
        {
          subject: 'jose.jwtVerify (local JWKS)',
          inputs: tokens,
          operation: (t: string) =>
            jwtVerify(t, localJwks, { issuer: issuer.issuer, audience: issuer.audience, algorithms: [alg] }),
        },
        {
          // The JWS check alone, with the key already imported: what any verifier built on jose pays
          // before its own decoding and claim checks.
          subject: 'jose.compactVerify (imported key)',
          inputs: tokens,
          operation: (t: string) => compactVerify(t, publicKey, { algorithms: [alg] }),
        },
        {
          subject: FLOOR,
          inputs: nodeInputs,
          operation: async (input: (typeof nodeInputs)[number]) => {
            if (!nodeVerify(nodeMethod.hash, input.data, nodeKey, input.signature))
              throw new Error('invalid');
          },
        },
        {
          subject: 'crypto.subtle.verify',
          inputs: subtleInputs,
          operation: (input: (typeof subtleInputs)[number]) =>
            crypto.subtle.verify(params, publicKey, input.signature, input.data),
        },
      ];
      for (const concurrency of options.concurrencies) {
        results.push(...(await measureInRounds(cases, alg, { ...options, concurrency })));
      }
    }
  } finally {
    await issuer.close();
  }
  return results;
}

/** The raw synchronous node:crypto verification, with the key already a `KeyObject`. */
export const FLOOR = 'node:crypto verify (floor)';

/**
 * Runs the cases round-robin, `rounds` times `seconds / rounds` each, so every case sees the same
 * mix of quiet and busy moments on a shared machine; each ratio compares cases of the same round.
 * The order alternates, forwards then backwards, as the HTTP routes' does, so that no case always
 * follows the same one (whatever that one leaves behind: garbage, a busy thread pool, a cold cache).
 */
async function measureInRounds(
  cases: readonly MicroCase[],
  alg: AsymmetricAlgorithm,
  options: { seconds: number; concurrency: number; rounds: number },
): Promise<MicroResult[]> {
  for (const { inputs, operation } of cases) await warmUp(inputs as never[], operation);
  const perRound = cases.map(() => [] as number[]);
  const slice = options.seconds / options.rounds;
  for (let round = 0; round < options.rounds; round += 1) {
    const order = cases.map((_, index) => index);
    if (round % 2 === 1) order.reverse();
    const rates: number[] = [];
    for (const index of order) {
      const { inputs, operation } = cases[index] as MicroCase;
      rates[index] = await measure(inputs as never[], operation, slice, options.concurrency);
    }
    for (const [index, rate] of rates.entries()) perRound[index]?.push(rate);
  }
  const floor = perRound[cases.findIndex((c) => c.subject === FLOOR)] ?? [];
  return cases.map(({ subject }, index) => {
    const rounds = perRound[index] ?? [];
    return {
      alg,
      subject,
      concurrency: options.concurrency,
      opsPerSecond: median(rounds),
      ratioToFloor: median(rounds.map((ops, round) => ops / (floor[round] ?? Number.NaN))),
      rounds,
    };
  });
}
