import { createPublicKey } from 'node:crypto';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { createVerifier, type AsymmetricAlgorithm } from 'tokenwarden';
import { createTestIssuer } from 'tokenwarden/testing';

const algs = (process.env.ALGS ?? 'RS256,ES256').split(',') as AsymmetricAlgorithm[];
const issuer = await createTestIssuer({ algorithms: algs });
const keySet = issuer.jwks();
const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience, keySet, cache: false });
for (const alg of algs) {
  const tokens: string[] = [];
  for (let i = 0; i < 2000; i += 1) tokens.push(await issuer.signToken({ n: i, scope: 'read:messages write:messages' }, { alg }));
  const jwk = keySet.keys.find((key) => key.alg === alg);
  const fast = createFastJwtVerifier({
    key: createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string,
    algorithms: [alg as 'RS256'], allowedIss: issuer.issuer, allowedAud: issuer.audience, cache: false,
  });
  const subjects: Record<string, (t: string) => Promise<unknown>> = {
    tokenwarden: (t) => verifier.verify(t),
    'fast-jwt': async (t) => fast(t),
  };
  const totals: Record<string, number[]> = {};
  for (let round = 0; round < 8; round += 1) {
    for (const [name, run] of Object.entries(subjects)) {
      const started = performance.now();
      let ops = 0;
      while (performance.now() - started < 250) await run(tokens[ops++ % 2000] as string);
      (totals[name] ??= []).push(((performance.now() - started) * 1000) / ops);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
  const ratios = totals.tokenwarden!.map((v, i) => totals['fast-jwt']![i]! / v);
  console.log(alg, Object.entries(totals).map(([n, v]) => `${n} ${med(v).toFixed(1)}µs`).join('  '), `ratio(tw speed ÷ fast-jwt) ${med(ratios).toFixed(3)}`);
}
await issuer.close();
