import { base64url, createLocalJWKSet, importJWK, jwtVerify } from 'jose';
import { createVerifier } from 'tokenwarden';
import { createTestIssuer } from 'tokenwarden/testing';

// A cold-path workload for a CPU profile: `verify()` of distinct RS256 tokens with the cache off and a
// static key set, interleaved in short slices with `jose.jwtVerify` and raw `crypto.subtle.verify` so
// that all three see the same machine load. Run it under the profiler:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=tokenwarden-source --import tsx bench/profile-cold.ts
// PROFILE_SUBJECT=tokenwarden limits the loop to verify() alone, for a profile of nothing else.
const TOKENS = 2000;
const SLICES = 10;
const SLICE_MS = Number(process.env.PROFILE_SLICE_MS ?? 300);
const only = process.env.PROFILE_SUBJECT;

const issuer = await createTestIssuer({ algorithms: ['RS256'] });
const keySet = issuer.jwks();
const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, keySet, cache: false });
const localJwks = createLocalJWKSet(keySet);
const publicKey = (await importJWK(keySet.keys[0] ?? {}, 'RS256')) as CryptoKey;
const tokens: string[] = [];
for (let i = 0; i < TOKENS; i += 1) tokens.push(await issuer.signToken({ n: i }));
const subtleInputs = tokens.map((token) => {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  return {
    data: new TextEncoder().encode(`${header}.${payload}`),
    signature: base64url.decode(signature) as Uint8Array<ArrayBuffer>,
  };
});

const subjects: Record<string, (i: number) => Promise<unknown>> = {
  tokenwarden: (i) => verifier.verify(tokens[i % TOKENS] as string),
  'jose.jwtVerify': (i) =>
    jwtVerify(tokens[i % TOKENS] as string, localJwks, {
      issuer: issuer.issuer,
      audience: issuer.audience,
      algorithms: ['RS256'],
    }),
  'crypto.subtle.verify': (i) => {
    const input = subtleInputs[i % TOKENS] as (typeof subtleInputs)[number];
    return crypto.subtle.verify({ name: 'RSASSA-PKCS1-v1_5' }, publicKey, input.signature, input.data);
  },
};

const totals = new Map<string, { ops: number; ms: number }>();
for (let slice = 0; slice < SLICES; slice += 1) {
  for (const [name, run] of Object.entries(subjects)) {
    if (only !== undefined && name !== only) continue;
    const started = performance.now();
    let ops = 0;
    while (performance.now() - started < SLICE_MS) await run(ops++);
    const total = totals.get(name) ?? { ops: 0, ms: 0 };
    totals.set(name, { ops: total.ops + ops, ms: total.ms + performance.now() - started });
  }
}
for (const [name, { ops, ms }] of totals) {
  console.log(`${name.padEnd(22)} ${((ms * 1000) / ops).toFixed(1).padStart(7)} µs/op`);
}
await issuer.close();
