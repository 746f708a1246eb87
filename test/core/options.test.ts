import { createVerifier, type VerifierOptions } from 'tokenwarden';
import { beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, fixedClock, NOW } from '../support/clock.js';
import { expectRejection } from '../support/rejection.js';
import { AUDIENCE, createKeyRing, ISSUER, type KeyRing, signToken, verifierFor } from './fixtures.js';

let ring: KeyRing;
beforeAll(async () => {
  ring = await createKeyRing();
});

/** Creates a verifier over the fixture key set with `options` merged in (a value may be anything). */
function create(options: Readonly<Record<string, unknown>>): () => unknown {
  return () =>
    createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keySet: ring.keySet,
      clock: fixedClock,
      ...options,
    } as unknown as VerifierOptions);
}

/** One refused value: the option (dotted for nested ones), the value, and how the message names it. */
type Refusal = readonly [option: string, value: unknown, described: string];

/** `{ 'a.b': v }` as `{ a: { b: v } }`. */
function nested(option: string, value: unknown): Record<string, unknown> {
  const [outer, inner] = option.split('.') as [string, string | undefined];
  return inner === undefined ? { [outer]: value } : { [outer]: { [inner]: value } };
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('numeric options: a finite, non-negative number of the documented unit, or a TypeError at start-up', () => {
  const refusals: readonly Refusal[] = [
    ['clockTolerance', '60s', 'a string'],
    ['clockTolerance', Number.NaN, 'NaN'],
    ['clockTolerance', Number.POSITIVE_INFINITY, 'Infinity'],
    ['clockTolerance', -1, 'the number -1'],
    ['maxTokenAge', '5m', 'a string'],
    ['maxTokenAge', Number.NaN, 'NaN'],
    ['maxTokenAge', {}, 'an object'],
    ['maxTokenAge', -1, 'the number -1'],
    ['maxTokenSize', '16384', 'a string'],
    ['maxTokenSize', 1.5, 'the number 1.5'],
    ['maxTokenSize', -1, 'the number -1'],
    ['jwksOptions.cooldown', '30', 'a string'],
    ['jwksOptions.cooldown', -1, 'the number -1'],
    ['jwksOptions.timeoutMs', Number.NaN, 'NaN'],
    ['jwksOptions.maxResponseBytes', 1.5, 'the number 1.5'],
    ['jwksOptions.defaultMaxAge', '600', 'a string'],
    ['jwksOptions.minMaxAge', Number.NaN, 'NaN'],
    ['jwksOptions.maxMaxAge', Number.POSITIVE_INFINITY, 'Infinity'],
    ['jwksOptions.staleIfError', -5, 'the number -5'],
    ['cache.maxEntries', '10000', 'a string'],
    ['cache.maxEntries', 0.5, 'the number 0.5'],
    ['cache.maxBytes', Number.NaN, 'NaN'],
    ['cache.ttl', -1, 'the number -1'],
    ['cache.ttl', '60', 'a string'],
    ['dpop.iatWindow', '60', 'a string'],
    ['dpop.maxProofSize', '8192', 'a string'],
    ['dpop.maxProofSize', 1.5, 'the number 1.5'],
  ];

  it.each(refusals)('refuses %s = %o, naming the option and the value type', (option, value, described) => {
    expect(create(nested(option, value))).toThrow(TypeError);
    expect(create(nested(option, value))).toThrow(new RegExp(`${escaped(option)}.*${escaped(described)}`));
  });

  it('accepts zero where zero is a meaningful amount (clockTolerance, maxTokenAge, cache.ttl, staleIfError)', () => {
    expect(
      create({ clockTolerance: 0, maxTokenAge: 0, cache: { ttl: 0 }, jwksOptions: { staleIfError: 0 } }),
    ).not.toThrow();
  });

  /** Builds a verifier with `options`, or returns `undefined` when creation refuses them (TypeError). */
  function builtOrRefused(options: Readonly<Record<string, unknown>>) {
    try {
      return verifierFor(ring, options as Partial<VerifierOptions>);
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      return undefined;
    }
  }

  it.each([['60s'], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'never accepts a token that expired an hour ago with clockTolerance %o',
    async (clockTolerance) => {
      const token = await signToken(ring.keys.ES256, { iat: NOW - 7200, exp: NOW - 3600 });
      const verifier = builtOrRefused({ clockTolerance });
      if (verifier !== undefined) await expectRejection(verifier.verify(token), 'token_expired');
    },
  );

  it.each([['5m'], [Number.NaN], [{ seconds: 300 }]])(
    'never lets maxTokenAge %o remove the age limit',
    async (maxTokenAge) => {
      const token = await signToken(ring.keys.ES256, { iat: NOW - 86_400 });
      const verifier = builtOrRefused({ maxTokenAge });
      if (verifier !== undefined) await expectRejection(verifier.verify(token), 'token_expired');
    },
  );
});

describe('options of other types are refused at start-up with a TypeError naming the option', () => {
  const refusals: readonly Refusal[] = [
    ['credentialsOptional', 'false', 'a string'],
    ['allowQueryToken', 1, 'the number 1'],
    ['validateClaims', 'claims => true', 'a string'],
    ['getToken', {}, 'an object'],
    ['clock', NOW, 'the number'],
    ['fetch', 'https://proxy.example.test', 'a string'],
    ['onEvent', [], 'an array'],
    ['secret', 12_345, 'the number'],
    ['keySet', [], 'an array'],
    ['keySet', { kids: [] }, 'an object'],
    ['keyProvider', {}, 'an object'],
    ['typ', 1, 'the number 1'],
    ['cookie', 1, 'the number 1'],
    ['cookie', '', 'a string'],
    ['requiredClaims', 'sub', 'a string'],
    ['requiredClaims', ['sub', 1], 'the number 1'],
    ['algorithms', 'RS256', 'a string'],
    ['dpop.algorithms', 'ES256', 'a string'],
    ['dpop.trustedProxies', '10.0.0.1', 'a string'],
    ['dpop.replayStore', {}, 'an object'],
    ['dpop.nonces', { current: () => 'n' }, 'an object'],
    ['dpop', 'required', 'a string'],
    ['jwksOptions', 30, 'the number 30'],
    ['cache', true, 'a boolean'],
  ];

  it.each(refusals)('refuses %s = %o', (option, value, described) => {
    expect(create(nested(option, value))).toThrow(TypeError);
    expect(create(nested(option, value))).toThrow(new RegExp(`${escaped(option)}.*${escaped(described)}`));
  });

  it('names algorithms: a string instead of a list is not read letter by letter', () => {
    expect(create({ algorithms: 'RS256' })).toThrow(/algorithms must be a list/);
    expect(create({ dpop: { algorithms: 'ES256' } })).toThrow(/dpop\.algorithms must be a list/);
  });

  it('refuses options that are not an object at all', () => {
    expect(() => createVerifier(undefined as unknown as VerifierOptions)).toThrow(TypeError);
    expect(() => createVerifier('https://issuer.example.test/' as unknown as VerifierOptions)).toThrow(
      TypeError,
    );
  });
});

describe('RFC 8414 §2 issuer and jwksUri: absolute https URLs (http only for loopback), checked at start-up', () => {
  it('refuses a bare domain as issuer, suggesting the https URL', () => {
    expect(create({ issuer: 'tenant.eu.auth0.com' })).toThrow(TypeError);
    expect(create({ issuer: 'tenant.eu.auth0.com' })).toThrow(
      /did you mean https:\/\/tenant\.eu\.auth0\.com\/\?/,
    );
  });

  it('refuses a bare domain as jwksUri, suggesting the https URL', () => {
    expect(create({ keySet: undefined, jwksUri: 'tenant.eu.auth0.com/.well-known/jwks.json' })).toThrow(
      /jwksUri.*did you mean https:\/\/tenant\.eu\.auth0\.com\/\.well-known\/jwks\.json\?/,
    );
  });

  it.each([
    ['plain http to a public host', 'http://issuer.example.test/'],
    ['user information', 'https://user:secret@issuer.example.test/'],
    ['a query', 'https://issuer.example.test/?tenant=a'],
    ['a fragment', 'https://issuer.example.test/#a'],
    ['another scheme', 'ftp://issuer.example.test/'],
    ['a relative path', '/issuer'],
  ])('refuses an issuer with %s', (_case, issuer) => {
    expect(create({ issuer })).toThrow(/issuer/);
    expect(create({ issuer })).toThrow(TypeError);
  });

  it('checks every issuer of a list', () => {
    expect(create({ issuer: [ISSUER, 'tenant.example.test'] })).toThrow(/issuer/);
  });

  it.each([
    ['plain http to a public host', 'http://issuer.example.test/jwks.json'],
    ['user information', 'https://user@issuer.example.test/jwks.json'],
    ['a fragment', 'https://issuer.example.test/jwks.json#keys'],
  ])('refuses a jwksUri with %s', (_case, jwksUri) => {
    expect(create({ keySet: undefined, jwksUri })).toThrow(/jwksUri/);
  });

  it('accepts a jwksUri with a query (Azure AD: /discovery/v2.0/keys?appid=...)', () => {
    expect(create({ keySet: undefined, jwksUri: 'https://login.example.test/keys?appid=1' })).not.toThrow();
  });

  it.each(['http://localhost:3000/', 'http://127.0.0.1:8080/', 'http://127.1.2.3/', 'http://[::1]:8080/'])(
    'accepts plain http to the loopback interface: %s',
    (issuer) => {
      expect(create({ issuer })).not.toThrow();
    },
  );

  it('keeps the issuer exactly as given: without a trailing slash, iss must have none either', async () => {
    const issuer = 'https://issuer.example.test';
    const verifier = verifierFor(ring, { issuer });
    const token = await signToken(ring.keys.ES256, { iss: issuer });
    expect((await verifier.verify(token)).claims.iss).toBe(issuer);
    const slashed = await signToken(ring.keys.ES256, { iss: `${issuer}/` });
    await expectRejection(verifier.verify(slashed), 'issuer_invalid');
  });

  it('keeps refusing a dpop.publicBaseUrl that is not an absolute http(s) URL', () => {
    expect(create({ dpop: { publicBaseUrl: 'api.example.test' } })).toThrow(/dpop\.publicBaseUrl/);
  });
});

describe('unknown option keys are refused, naming the closest known key', () => {
  it.each([
    ['clockTolerence', { clockTolerence: 60 }, /clockTolerence.*did you mean clockTolerance\?/],
    ['maxTokenAgeSeconds', { maxTokenAgeSeconds: 60 }, /maxTokenAgeSeconds/],
    ['audiences', { audiences: [AUDIENCE] }, /audiences.*did you mean audience\?/],
    [
      'jwksOptions.coolDown',
      { jwksOptions: { coolDown: 5 } },
      /jwksOptions\.coolDown.*did you mean cooldown\?/,
    ],
    ['cache.maxEntires', { cache: { maxEntires: 5 } }, /cache\.maxEntires.*did you mean maxEntries\?/],
    ['dpop.modes', { dpop: { modes: 'required' } }, /dpop\.modes.*did you mean mode\?/],
    ['passErrors (an adapter option) on createVerifier', { passErrors: true }, /passErrors/],
  ])('refuses %s', (_case, options, message) => {
    expect(create(options)).toThrow(TypeError);
    expect(create(options)).toThrow(message);
  });

  it('accepts every documented key', () => {
    expect(
      create({
        algorithms: ['ES256'],
        clockTolerance: 30,
        maxTokenAge: 3600,
        requiredClaims: ['sub'],
        typ: 'at+jwt',
        validateClaims: () => true,
        credentialsOptional: false,
        maxTokenSize: 8192,
        fetch: globalThis.fetch,
        onEvent: () => undefined,
        cookie: 'access_token',
        allowQueryToken: false,
        getToken: () => undefined,
        jwksOptions: {
          cooldown: 30,
          timeoutMs: 5000,
          maxResponseBytes: 1024,
          defaultMaxAge: 600,
          minMaxAge: 60,
          maxMaxAge: 86_400,
          staleIfError: 3600,
        },
        cache: { maxEntries: 10, maxBytes: 1_000_000, ttl: 60 },
        dpop: {
          mode: 'allowed',
          algorithms: ['ES256'],
          iatWindow: 30,
          maxProofSize: 4096,
          publicBaseUrl: 'https://api.example.test',
          trustedProxies: ['10.0.0.1'],
        },
      }),
    ).not.toThrow();
  });
});

describe('a clock that reads no finite time fails closed at request time', () => {
  const readings: readonly (readonly [string, unknown])[] = [
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a numeric string', String(NOW)],
  ];

  it.each(readings)('refuses a valid token when the clock reads %s', async (_case, reading) => {
    // No iat or nbf: only exp is compared with the clock.
    const token = await signToken(ring.keys.ES256, { iat: undefined });
    const verifier = verifierFor(ring, { clock: () => reading as number });
    await expectRejection(verifier.verify(token), 'claim_invalid');
  });

  it('refuses a cached token once the clock stops reading a finite time', async () => {
    const clock = createManualClock();
    const verifier = verifierFor(ring, { clock: clock.now });
    const token = await signToken(ring.keys.ES256, { iat: undefined });
    await verifier.verify(token);
    clock.set(Number.NaN);
    await expectRejection(verifier.verify(token), 'claim_invalid');
  });
});
