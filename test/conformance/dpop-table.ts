import { base64url, CompactSign } from 'jose';
import { accessTokenHash, type DpopNonces } from 'tokenwarden';
import {
  type CreateDpopProofOptions,
  createDpopProof,
  type DpopKey,
  type TestIssuer,
} from 'tokenwarden/testing';
import { NOW, PRIVATE_MESSAGE, SCOPED_MESSAGE } from './table.js';

/** The `algs` every DPoP challenge of the default configuration lists (RFC 9449 §7.1). */
export const DPOP_ALGS = 'ES256 RS256 PS256 EdDSA Ed25519';

/** How the server of a row treats DPoP: the default, with server nonces (§8), or DPoP only. */
export type DpopServerKind = 'allowed' | 'nonces' | 'required';

/** What every row's requests are built from. */
export interface DpopFixture {
  /** The trusted issuer that mints the test tokens. */
  readonly issuer: TestIssuer;
  /** The client's DPoP key; bound tokens name its thumbprint in `cnf.jkt`. */
  readonly key: DpopKey;
  /** Another client's key. */
  readonly otherKey: DpopKey;
  /** The nonce server's nonces at {@link NOW}, to compare `DPoP-Nonce` headers with. */
  readonly nonces: DpopNonces;
  /** The nonce the server handed out one rotation period before {@link NOW}. */
  readonly previousNonce: string;
}

/** A response as the client saw it. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** The routes the rows call; both served by every example app. */
export type DpopRoute = '/api/private' | '/api/private-scoped';

/** A row's view of the server under test. */
export interface DpopExchange {
  readonly fixture: DpopFixture;
  /** The absolute URL of `route` as the client addresses it: what a proof's `htu` must name. */
  url(route: DpopRoute): string;
  /**
   * Sends a GET of `path` (a route, maybe with a query); a header given as an array goes on the wire
   * as that many separate header lines.
   */
  send(path: string, headers: Readonly<Record<string, string | readonly string[]>>): Promise<HttpAnswer>;
}

/**
 * The expected `WWW-Authenticate`, challenge by challenge in order: scheme to parameters, leaving
 * out `error_description` (checked through `reason`). `null` for no header at all.
 */
export type ExpectedChallenges = null | Readonly<Record<string, Readonly<Record<string, string>>>>;

/** What one response must look like. */
export interface ExpectedAnswer {
  readonly status: number;
  readonly challenges: ExpectedChallenges;
  /** The body's `error`; absent on success. */
  readonly error?: string;
  /** What the body's `error_description` must say: the reason the request was refused. */
  readonly reason?: RegExp;
  /** Further body members that must match. */
  readonly body?: Readonly<Record<string, unknown>>;
  /** `current`: a `DPoP-Nonce` header holding the server's current nonce. [no `DPoP-Nonce` header] */
  readonly dpopNonce?: 'current';
}

/** One exchange (one request, or two for replays and nonce retries) and the answers it must get. */
export interface DpopRow {
  readonly name: string;
  readonly server: DpopServerKind;
  /** Sends the row's requests and resolves with their answers, in order. */
  readonly exchange: (exchange: DpopExchange) => Promise<readonly HttpAnswer[]>;
  /** One per answer. */
  readonly expected: readonly ExpectedAnswer[];
}

/** A token bound to the fixture's key (`cnf.jkt`), with `read:messages` unless told otherwise. */
function boundToken({ issuer, key }: DpopFixture, scope = 'read:messages'): Promise<string> {
  return issuer.signToken({ scope, cnf: { jkt: key.thumbprint } });
}

type ProofOverrides = Partial<Omit<CreateDpopProofOptions, 'method' | 'url'>> & {
  readonly method?: string;
  readonly url?: string;
};

/** A valid proof for a GET of `route` with `token`, at {@link NOW}, unless `overrides` change it. */
function proofFor(x: DpopExchange, route: DpopRoute, token: string, overrides: ProofOverrides = {}) {
  return createDpopProof({
    key: x.fixture.key,
    method: 'GET',
    url: x.url(route),
    accessToken: token,
    iat: NOW,
    ...overrides,
  });
}

/** One DPoP request to `route` with a bound token and a proof changed by `overrides`. */
function dpopRequest(route: DpopRoute, overrides: ProofOverrides = {}) {
  return async (x: DpopExchange): Promise<HttpAnswer[]> => {
    const token = await boundToken(x.fixture);
    const dpop = await proofFor(x, route, token, overrides);
    return [await x.send(route, { authorization: `DPoP ${token}`, dpop })];
  };
}

/** The claims of a correct proof, for proofs that jose would not sign as they are. */
async function proofClaims(x: DpopExchange, route: DpopRoute, token: string) {
  return {
    jti: crypto.randomUUID(),
    htm: 'GET',
    htu: x.url(route),
    iat: NOW,
    ath: await accessTokenHash(token),
  };
}

const ok = (message: string): ExpectedAnswer => ({ status: 200, challenges: null, body: { message } });

/** The default (`allowed`) server offers both schemes; a proof error goes on the DPoP challenge. */
const proofRefused = (reason: RegExp): ExpectedAnswer => ({
  status: 401,
  challenges: { Bearer: {}, DPoP: { error: 'invalid_dpop_proof', algs: DPOP_ALGS } },
  error: 'invalid_dpop_proof',
  reason,
});

/** A token problem on a DPoP request: `invalid_token`, challenged under DPoP. */
const tokenRefusedUnderDpop = (reason: RegExp): ExpectedAnswer => ({
  status: 401,
  challenges: { Bearer: {}, DPoP: { error: 'invalid_token', algs: DPOP_ALGS } },
  error: 'invalid_token',
  reason,
});

/** RFC 9449 behaviour over HTTP, written once; every row runs against every framework. */
export const dpopTable: readonly DpopRow[] = [
  {
    name: 'accepts a DPoP-bound token with a valid proof',
    server: 'allowed',
    exchange: dpopRequest('/api/private'),
    expected: [ok(PRIVATE_MESSAGE)],
  },
  {
    name: 'ignores the query string when comparing htu (§4.3 check 9)',
    server: 'allowed',
    exchange: async (x) => {
      const token = await boundToken(x.fixture);
      const dpop = await proofFor(x, '/api/private', token);
      return [await x.send('/api/private?page=2', { authorization: `DPoP ${token}`, dpop })];
    },
    expected: [ok(PRIVATE_MESSAGE)],
  },
  {
    name: 'accepts a plain Bearer token alongside DPoP in allowed mode',
    server: 'allowed',
    exchange: async (x) => [
      await x.send('/api/private', { authorization: `Bearer ${await x.fixture.issuer.signToken()}` }),
    ],
    expected: [ok(PRIVATE_MESSAGE)],
  },
  {
    name: 'challenges a request without credentials with Bearer and DPoP algs',
    server: 'allowed',
    exchange: async (x) => [await x.send('/api/private', {})],
    expected: [{ status: 401, challenges: { Bearer: {}, DPoP: { algs: DPOP_ALGS } }, error: 'unauthorized' }],
  },
  {
    name: 'refuses a proof used a second time (§11.1 replay)',
    server: 'allowed',
    exchange: async (x) => {
      const token = await boundToken(x.fixture);
      const headers = { authorization: `DPoP ${token}`, dpop: await proofFor(x, '/api/private', token) };
      return [await x.send('/api/private', headers), await x.send('/api/private', headers)];
    },
    expected: [ok(PRIVATE_MESSAGE), proofRefused(/already used/)],
  },
  {
    name: 'refuses a proof made for another URL (§4.3 check 9)',
    server: 'allowed',
    exchange: async (x) => {
      const token = await boundToken(x.fixture);
      const dpop = await proofFor(x, '/api/private-scoped', token);
      return [await x.send('/api/private', { authorization: `DPoP ${token}`, dpop })];
    },
    expected: [proofRefused(/another URI/)],
  },
  {
    name: 'refuses a proof made for the same path on another origin (https)',
    server: 'allowed',
    exchange: async (x) =>
      dpopRequest('/api/private', { url: x.url('/api/private').replace(/^http:/, 'https:') })(x),
    expected: [proofRefused(/another URI/)],
  },
  {
    name: 'refuses a proof made for another method (§4.3 check 8)',
    server: 'allowed',
    exchange: dpopRequest('/api/private', { method: 'POST' }),
    expected: [proofRefused(/another HTTP method/)],
  },
  {
    name: 'refuses a proof signed by a key other than the one in its jwk (§4.3 check 6)',
    server: 'allowed',
    exchange: async (x) => {
      // The token is bound to the jwk the header names, so only the signature check can refuse it.
      const { issuer, otherKey } = x.fixture;
      const token = await issuer.signToken({ scope: 'read:messages', cnf: { jkt: otherKey.thumbprint } });
      const dpop = await proofFor(x, '/api/private', token, { header: { jwk: otherKey.publicJwk } });
      return [await x.send('/api/private', { authorization: `DPoP ${token}`, dpop })];
    },
    expected: [proofRefused(/signature is invalid/)],
  },
  {
    name: 'refuses a proof whose ath is the hash of another token (§4.3 check 10)',
    server: 'allowed',
    exchange: async (x) => {
      const token = await boundToken(x.fixture);
      const otherToken = await boundToken(x.fixture, 'profile');
      const dpop = await proofFor(x, '/api/private', otherToken);
      return [await x.send('/api/private', { authorization: `DPoP ${token}`, dpop })];
    },
    expected: [proofRefused(/another access token/)],
  },
  {
    name: 'refuses a proof without ath',
    server: 'allowed',
    exchange: dpopRequest('/api/private', { accessToken: undefined }),
    expected: [proofRefused(/no ath/)],
  },
  {
    name: 'refuses a proof whose typ is not dpop+jwt (§4.3 check 4)',
    server: 'allowed',
    exchange: dpopRequest('/api/private', { header: { typ: 'JWT' } }),
    expected: [proofRefused(/typ is not dpop\+jwt/)],
  },
  {
    name: 'refuses an unsecured proof (alg none, §4.3 check 5)',
    server: 'allowed',
    exchange: async (x) => {
      const token = await boundToken(x.fixture);
      const header = { typ: 'dpop+jwt', alg: 'none', jwk: x.fixture.key.publicJwk };
      const claims = await proofClaims(x, '/api/private', token);
      const dpop = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}.`;
      return [await x.send('/api/private', { authorization: `DPoP ${token}`, dpop })];
    },
    expected: [proofRefused(/algorithm this API does not accept/)],
  },
  {
    name: 'refuses a proof with a symmetric algorithm (HS256, §4.3 check 5)',
    server: 'allowed',
    exchange: async (x) => {
      const token = await boundToken(x.fixture);
      const claims = await proofClaims(x, '/api/private', token);
      const dpop = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: x.fixture.key.publicJwk })
        .sign(new TextEncoder().encode('a shared secret of at least 32 bytes!'));
      return [await x.send('/api/private', { authorization: `DPoP ${token}`, dpop })];
    },
    expected: [proofRefused(/algorithm this API does not accept/)],
  },
  {
    name: 'accepts a proof at the edge of the iat window (60 s + 60 s clock tolerance)',
    server: 'allowed',
    exchange: dpopRequest('/api/private', { iat: NOW - 120 }),
    expected: [ok(PRIVATE_MESSAGE)],
  },
  {
    name: 'refuses a proof one second older than the window (§4.3 check 11)',
    server: 'allowed',
    exchange: dpopRequest('/api/private', { iat: NOW - 121 }),
    expected: [proofRefused(/too old/)],
  },
  {
    name: 'refuses a proof an hour old',
    server: 'allowed',
    exchange: dpopRequest('/api/private', { iat: NOW - 3600 }),
    expected: [proofRefused(/too old/)],
  },
  {
    name: 'refuses a proof issued too far in the future',
    server: 'allowed',
    exchange: dpopRequest('/api/private', { iat: NOW + 121 }),
    expected: [proofRefused(/in the future/)],
  },
  {
    name: 'refuses a DPoP request without a DPoP header (§4.3 check 1)',
    server: 'allowed',
    exchange: async (x) => [
      await x.send('/api/private', { authorization: `DPoP ${await boundToken(x.fixture)}` }),
    ],
    expected: [proofRefused(/No DPoP proof/)],
  },
  {
    name: 'refuses two DPoP headers, even when both hold valid proofs (§4.3 check 1)',
    server: 'allowed',
    exchange: async (x) => {
      const token = await boundToken(x.fixture);
      const dpop = [await proofFor(x, '/api/private', token), await proofFor(x, '/api/private', token)];
      return [await x.send('/api/private', { authorization: `DPoP ${token}`, dpop })];
    },
    expected: [proofRefused(/More than one DPoP/)],
  },
  {
    name: 'refuses a proof by a key other than the token is bound to (§6.1 cnf.jkt)',
    server: 'allowed',
    exchange: async (x) => dpopRequest('/api/private', { key: x.fixture.otherKey })(x),
    expected: [tokenRefusedUnderDpop(/bound to a different DPoP key/)],
  },
  {
    name: 'refuses a token without cnf.jkt under the DPoP scheme',
    server: 'allowed',
    exchange: async (x) => {
      const token = await x.fixture.issuer.signToken();
      const dpop = await proofFor(x, '/api/private', token);
      return [await x.send('/api/private', { authorization: `DPoP ${token}`, dpop })];
    },
    expected: [tokenRefusedUnderDpop(/not bound to a DPoP key/)],
  },
  {
    name: 'refuses a DPoP-bound token presented as Bearer, offering both schemes (§7.2)',
    server: 'allowed',
    exchange: async (x) => [
      await x.send('/api/private', { authorization: `Bearer ${await boundToken(x.fixture)}` }),
    ],
    expected: [
      {
        status: 401,
        challenges: { Bearer: { error: 'invalid_token' }, DPoP: { algs: DPOP_ALGS } },
        error: 'invalid_token',
        reason: /sent as a Bearer token/,
      },
    ],
  },
  {
    name: 'refuses a DPoP-bound token presented as Bearer even with a valid proof beside it',
    server: 'allowed',
    exchange: async (x) => {
      const token = await boundToken(x.fixture);
      const dpop = await proofFor(x, '/api/private', token);
      return [await x.send('/api/private', { authorization: `Bearer ${token}`, dpop })];
    },
    expected: [
      {
        status: 401,
        challenges: { Bearer: { error: 'invalid_token' }, DPoP: { algs: DPOP_ALGS } },
        error: 'invalid_token',
        reason: /sent as a Bearer token/,
      },
    ],
  },
  {
    name: 'private-scoped: accepts a DPoP request whose token has read:messages',
    server: 'allowed',
    exchange: dpopRequest('/api/private-scoped'),
    expected: [ok(SCOPED_MESSAGE)],
  },
  {
    name: 'private-scoped: refuses a DPoP request without the scope with 403 under the DPoP scheme',
    server: 'allowed',
    exchange: async (x) => {
      const token = await boundToken(x.fixture, 'profile');
      const dpop = await proofFor(x, '/api/private-scoped', token);
      return [await x.send('/api/private-scoped', { authorization: `DPoP ${token}`, dpop })];
    },
    expected: [
      {
        status: 403,
        challenges: { DPoP: { error: 'insufficient_scope', scope: 'read:messages' } },
        error: 'insufficient_scope',
      },
    ],
  },
  {
    name: 'nonces: answers a proof without a nonce with use_dpop_nonce and DPoP-Nonce; the retry passes (§8)',
    server: 'nonces',
    exchange: async (x) => {
      const token = await boundToken(x.fixture);
      const authorization = `DPoP ${token}`;
      const first = await x.send('/api/private', {
        authorization,
        dpop: await proofFor(x, '/api/private', token),
      });
      const nonce = first.headers['dpop-nonce'];
      const retry = await proofFor(x, '/api/private', token, {
        nonce: typeof nonce === 'string' ? nonce : undefined,
      });
      return [first, await x.send('/api/private', { authorization, dpop: retry })];
    },
    expected: [
      {
        status: 401,
        challenges: { Bearer: {}, DPoP: { error: 'use_dpop_nonce', algs: DPOP_ALGS } },
        error: 'use_dpop_nonce',
        reason: /must carry a nonce/,
        dpopNonce: 'current',
      },
      ok(PRIVATE_MESSAGE),
    ],
  },
  {
    name: "nonces: accepts the previous period's nonce and sends the current one on the 200 (§8.2)",
    server: 'nonces',
    exchange: async (x) => dpopRequest('/api/private', { nonce: x.fixture.previousNonce })(x),
    expected: [{ ...ok(PRIVATE_MESSAGE), dpopNonce: 'current' }],
  },
  {
    name: 'nonces: answers an unknown nonce with use_dpop_nonce and a fresh DPoP-Nonce',
    server: 'nonces',
    exchange: dpopRequest('/api/private', { nonce: 'made-up-by-the-client' }),
    expected: [
      {
        status: 401,
        challenges: { Bearer: {}, DPoP: { error: 'use_dpop_nonce', algs: DPOP_ALGS } },
        error: 'use_dpop_nonce',
        reason: /nonce is stale/,
        dpopNonce: 'current',
      },
    ],
  },
  {
    name: 'required: accepts a DPoP-bound token with a valid proof',
    server: 'required',
    exchange: dpopRequest('/api/private'),
    expected: [ok(PRIVATE_MESSAGE)],
  },
  {
    name: 'required: refuses a plain Bearer token, challenging with DPoP only',
    server: 'required',
    exchange: async (x) => [
      await x.send('/api/private', { authorization: `Bearer ${await x.fixture.issuer.signToken()}` }),
    ],
    expected: [
      {
        status: 401,
        challenges: { DPoP: { error: 'invalid_token', algs: DPOP_ALGS } },
        error: 'invalid_token',
        reason: /only DPoP-bound/,
      },
    ],
  },
  {
    name: 'required: challenges a request without credentials with DPoP only',
    server: 'required',
    exchange: async (x) => [await x.send('/api/private', {})],
    expected: [{ status: 401, challenges: { DPoP: { algs: DPOP_ALGS } }, error: 'unauthorized' }],
  },
];

/**
 * Splits a `WWW-Authenticate` value into its challenges (RFC 9110 §11.6.1), in order: each scheme
 * with its `name="value"` parameters. tokenwarden never puts `"` inside a value.
 */
export function parseChallenges(header: string): [string, Record<string, string>][] {
  const challenges: [string, Record<string, string>][] = [];
  for (const [, name, value] of header.matchAll(/([A-Za-z][\w-]*)(?:="([^"]*)")?/g)) {
    if (name === undefined) continue;
    if (value === undefined) challenges.push([name, {}]);
    else {
      const current = challenges.at(-1);
      if (current !== undefined) current[1][name] = value;
    }
  }
  return challenges;
}
