import fc from 'fast-check';
import { createVerifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../support/clock.js';
import { outcomeOf } from '../support/rejection.js';
import { fuzzRuns, fuzzTimeout } from './campaign.js';

/** Cases in `npm test`; `npm run fuzz` raises it through FUZZ_RUNS. */
const RUNS = fuzzRuns(200);
/** A case costs about 2 ms (a token signed and checked); twenty-five times that is allowed. */
const TIMEOUT = fuzzTimeout(RUNS, 50);

const isString = (value: unknown): boolean => typeof value === 'string';

/**
 * The typed claims and what a present value must be: RFC 7519 §4.1.2 and §4.1.7, RFC 9068 §2.2,
 * §2.2.1 and §2.2.3, and Cognito's `token_use`, which must name an access token.
 */
const CLAIM_TYPES: Readonly<Record<string, (value: unknown) => boolean>> = {
  sub: isString,
  jti: isString,
  client_id: isString,
  scope: isString,
  acr: isString,
  auth_time: (value) => typeof value === 'number',
  amr: (value) => Array.isArray(value) && value.every(isString),
  token_use: (value) => value === 'access',
};

/** Values of every JSON type, with the well-typed ones frequent enough to make valid tokens. */
const claimValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.string({ maxLength: 20 }),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.integer(),
  fc.constantFrom('access', 'id'),
);

describe('fuzzing: signed tokens with random values in the typed claims', () => {
  let issuer: TestIssuer;

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['ES256'], clock: fixedClock });
  });
  afterAll(() => issuer.close());

  it('verifies a token exactly when every typed claim it carries has its type', {
    timeout: TIMEOUT,
  }, async () => {
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keySet: issuer.jwks(),
      clock: fixedClock,
      cache: false,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom(...Object.keys(CLAIM_TYPES)), claimValue, { maxKeys: 4 }),
        async (claims) => {
          const token = await issuer.signToken(claims);
          // signToken's own defaults (sub, client_id, jti) are strings, so only the fuzzed ones count.
          const wellTyped = Object.entries(claims).every(([name, value]) => CLAIM_TYPES[name]?.(value));
          const outcome = await outcomeOf(verifier, token);
          if (wellTyped) {
            expect(outcome, JSON.stringify(claims)).toBe('verified');
          } else {
            expect(['claim_invalid', 'type_invalid']).toContain(outcome);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
