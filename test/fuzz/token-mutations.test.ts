import fc from 'fast-check';
import { createVerifier } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fixedClock } from '../support/clock.js';
import { rejectionOf } from '../support/rejection.js';
import { fuzzRuns, fuzzTimeout } from './campaign.js';

/** Cases per property in `npm test`; `npm run fuzz` raises it through FUZZ_RUNS. */
const RUNS = fuzzRuns(200);
/** A case costs about 10 ms (a verifier built, a token checked); five times that is allowed. */
const TIMEOUT = fuzzTimeout(RUNS, 50);
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('fuzzing: mutated tokens never verify and only raise TokenError', () => {
  let issuer: TestIssuer;
  let tokens: string[];
  const verifier = () =>
    createVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keySet: issuer.jwks(),
      clock: fixedClock,
      cache: false,
    });

  beforeAll(async () => {
    issuer = await createTestIssuer({ algorithms: ['RS256', 'ES256', 'EdDSA'], clock: fixedClock });
    tokens = await Promise.all(
      (['RS256', 'ES256', 'EdDSA'] as const).map((alg) =>
        issuer.signToken({ scope: 'read:messages' }, { alg }),
      ),
    );
  });
  afterAll(() => issuer.close());

  async function expectRejected(candidate: string, original: string): Promise<void> {
    if (candidate === original) return;
    await rejectionOf(verifier().verify(candidate));
  }

  it('rejects a token with one character replaced by another base64url character', {
    timeout: TIMEOUT,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 }),
        fc.nat(),
        fc.constantFrom(...BASE64URL_ALPHABET),
        async (which, position, replacement) => {
          const original = tokens[which] as string;
          const index = position % original.length;
          if (original[index] === '.') return;
          const mutated = original.slice(0, index) + replacement + original.slice(index + 1);
          await expectRejected(mutated, original);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('rejects a token with arbitrary bytes inserted, removed or appended', { timeout: TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 }),
        fc.nat(),
        fc.nat({ max: 8 }),
        fc.string({ maxLength: 8 }),
        async (which, at, cut, insert) => {
          const original = tokens[which] as string;
          const index = at % (original.length + 1);
          const mutated = original.slice(0, index) + insert + original.slice(index + cut);
          await expectRejected(mutated, original);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('rejects tokens whose parts are swapped or recombined across tokens', { timeout: TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 2 })), { minLength: 1, maxLength: 5 }),
        async (picks) => {
          const parts = tokens.map((token) => token.split('.'));
          const mutated = picks.map(([token, part]) => parts[token]?.[part] ?? '').join('.');
          if (tokens.includes(mutated)) return;
          await expectRejected(mutated, tokens[0] as string);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('rejects a token whose header or payload JSON was re-encoded differently', {
    timeout: TIMEOUT,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 2 }),
        fc.constantFrom(0, 1),
        fc.constantFrom(' ', '\n', '\t'),
        async (which, part, space) => {
          const original = tokens[which] as string;
          const parts = original.split('.');
          const json = JSON.parse(
            Buffer.from(parts[part] as string, 'base64url').toString('utf8'),
          ) as unknown;
          parts[part] = Buffer.from(JSON.stringify(json, null, space)).toString('base64url');
          await expectRejected(parts.join('.'), original);
        },
      ),
      { numRuns: Math.min(RUNS, 50) },
    );
  });

  it('never throws anything but TokenError for arbitrary strings', { timeout: TIMEOUT }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.stringMatching(/^[A-Za-z0-9_-]{0,40}(\.[A-Za-z0-9_-]{0,40}){0,5}$/),
        ),
        async (candidate) => {
          await expectRejected(candidate, '');
        },
      ),
      { numRuns: RUNS },
    );
  });
});
