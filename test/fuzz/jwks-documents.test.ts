import fc from 'fast-check';
import { createStaticKeyProvider, createVerifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejectionOf } from '../support/rejection.js';
import { fuzzRuns, fuzzTimeout } from './campaign.js';

/** Cases per property in `npm test`; `npm run fuzz` raises it through FUZZ_RUNS. */
const RUNS = fuzzRuns(200);
/** A case costs about 5 ms (a key set read, a verifier built, a token checked); ten times that. */
const TIMEOUT = fuzzTimeout(RUNS, 50);

/** JWK-ish objects: real member names with random values, plus random members. */
const jwkLike = fc.record(
  {
    kty: fc.oneof(fc.constantFrom('RSA', 'EC', 'OKP', 'oct', ''), fc.anything()),
    kid: fc.oneof(fc.constant('k1'), fc.string(), fc.anything()),
    alg: fc.oneof(fc.constantFrom('RS256', 'ES256', 'EdDSA', 'none', 'HS256'), fc.anything()),
    crv: fc.oneof(fc.constantFrom('P-256', 'Ed25519', 'P-384'), fc.anything()),
    n: fc.oneof(fc.base64String(), fc.anything()),
    e: fc.oneof(fc.constant('AQAB'), fc.anything()),
    x: fc.oneof(fc.base64String(), fc.anything()),
    y: fc.oneof(fc.base64String(), fc.anything()),
    use: fc.oneof(fc.constantFrom('sig', 'enc'), fc.anything()),
    key_ops: fc.anything(),
    d: fc.anything(),
  },
  { requiredKeys: [] },
);

describe('fuzzing: random JWK sets never crash the key provider', () => {
  let issuer: TestIssuer;
  let token: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'] });
    token = await issuer.signToken({}, { kid: 'k1' });
  });
  afterAll(() => issuer.close());

  it('either refuses the document up front or answers every token with a TokenError', {
    timeout: TIMEOUT,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ keys: fc.array(fc.oneof(jwkLike, fc.anything()), { maxLength: 4 }) }),
          fc.anything(),
        ),
        async (document) => {
          let provider: ReturnType<typeof createStaticKeyProvider>;
          try {
            provider = createStaticKeyProvider(document as never);
          } catch (error) {
            // A document that is not a JWK set is refused with a TypeError at configuration time.
            expect(error).toBeInstanceOf(TypeError);
            return;
          }
          const verifier = createVerifier({
            issuer: issuer.issuer,
            audience: issuer.audience,
            keyProvider: provider,
          });
          await rejectionOf(verifier.verify(token));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
