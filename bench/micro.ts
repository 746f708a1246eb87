import { base64url, createLocalJWKSet, importJWK, jwtVerify } from 'jose';
import { type AsymmetricAlgorithm, createVerifier } from 'tokenwarden';
import { createTestIssuer } from 'tokenwarden/testing';

/** One measured case. */
export interface MicroResult {
  readonly alg: AsymmetricAlgorithm;
  readonly subject: string;
  readonly opsPerSecond: number;
}

const SUBTLE_PARAMS: Record<string, AlgorithmIdentifier | RsaPssParams | EcdsaParams> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  PS256: { name: 'RSA-PSS', saltLength: 32 } as RsaPssParams,
  ES256: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  EdDSA: { name: 'Ed25519' },
};

/** Runs `operation` over `inputs` for about `seconds`, `concurrency` at a time; returns ops/s. */
async function measure<T>(
  inputs: readonly T[],
  operation: (input: T) => Promise<unknown>,
  seconds: number,
  concurrency: number,
): Promise<number> {
  // Warm up the JIT and any caches the subject keeps by design (keys, discovery).
  for (let i = 0; i < Math.min(200, inputs.length); i += 1) await operation(inputs[i] as T);
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

/** `verify()` per algorithm beside `jose.jwtVerify` and raw `crypto.subtle.verify`. */
export async function runMicro(options: {
  seconds: number;
  concurrency: number;
  tokens: number;
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
      const cases: [string, () => Promise<number>][] = [
        [
          'tokenwarden verify(), cold (cache off)',
          () => measure(tokens, (t) => coldVerifier.verify(t), options.seconds, options.concurrency),
        ],
        [
          'tokenwarden verify(), repeated token (cache on)',
          () =>
            measure(
              tokens.slice(0, 1),
              (t) => cachingVerifier.verify(t),
              options.seconds,
              options.concurrency,
            ),
        ],
        [
          'jose.jwtVerify (local JWKS)',
          () =>
            measure(
              tokens,
              (t) =>
                jwtVerify(t, localJwks, {
                  issuer: issuer.issuer,
                  audience: issuer.audience,
                  algorithms: [alg],
                }),
              options.seconds,
              options.concurrency,
            ),
        ],
        [
          'crypto.subtle.verify (floor)',
          () =>
            measure(
              subtleInputs,
              (input) => crypto.subtle.verify(params, publicKey, input.signature, input.data),
              options.seconds,
              options.concurrency,
            ),
        ],
      ];
      for (const [subject, run] of cases) results.push({ alg, subject, opsPerSecond: await run() });
    }
  } finally {
    await issuer.close();
  }
  return results;
}
