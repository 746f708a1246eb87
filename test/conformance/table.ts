import { UnsecuredJWT } from 'jose';
import type { SignTokenOptions, TestIssuer } from 'tokenwarden/testing';

/** The fixed "now" of every conformance run, in seconds since the epoch (issuer and verifier share it). */
export const NOW = 1_750_000_000;

/** What every row's request is built from. */
export interface ConformanceFixture {
  /** The trusted issuer that mints the test tokens. */
  readonly issuer: TestIssuer;
  /** A second trusted issuer whose discovery and key set answer 500: its keys cannot be had. */
  readonly downIssuer: string;
}

/** The Go example's three routes, plus the extra routes served by the conformance extras app. */
export type ConformanceRoute =
  | '/api/public'
  | '/api/private'
  | '/api/private-scoped'
  | '/api/optional'
  | '/api/custom-error'
  | '/api/permission'
  | '/api/any-scope'
  | '/api/claim-check';

/** The routes the examples themselves serve; the others come from the extras app. */
export const EXAMPLE_ROUTES: ReadonlySet<ConformanceRoute> = new Set([
  '/api/public',
  '/api/private',
  '/api/private-scoped',
]);

/**
 * The expected `WWW-Authenticate`: `null` for none at all, otherwise the `Bearer` challenge's
 * parameters (`{}` is a bare `Bearer`, RFC 6750 §3.1 for a request without credentials).
 */
export type ExpectedChallenge = null | { readonly error?: string; readonly scope?: string };

/** One request and the response every framework must give to it. */
export interface ConformanceRow {
  /** Names the behaviour, prefixed by the route's short name. */
  readonly name: string;
  readonly route: ConformanceRoute;
  /** The `Authorization` header to send; absent for none. */
  readonly authorization?: (fixture: ConformanceFixture) => Promise<string> | string;
  readonly status: number;
  readonly challenge: ExpectedChallenge;
  /** The body's `error`; absent on success. */
  readonly error?: string;
  /** Further body members that must match. */
  readonly body?: Readonly<Record<string, unknown>>;
}

export const PUBLIC_MESSAGE = "Hello from a public endpoint! You don't need to be authenticated to see this.";
export const PRIVATE_MESSAGE = 'Hello from a private endpoint! You need to be authenticated to see this.';
export const SCOPED_MESSAGE =
  'Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.';
/** The body of the extras app's guarded routes. */
export const GUARDED_MESSAGE = 'The guard let this request through.';

function bearer(claims: Readonly<Record<string, unknown>> = {}, options: SignTokenOptions = {}) {
  return async ({ issuer }: ConformanceFixture) => `Bearer ${await issuer.signToken(claims, options)}`;
}

const OTHER_AUDIENCE = 'https://other-api.example.test';
const INVALID_TOKEN = { error: 'invalid_token' } as const;
const MISSING_SCOPE = { error: 'insufficient_scope', scope: 'read:messages' } as const;

/** The route behaviour, written once; every row runs against every framework. */
export const conformanceTable: readonly ConformanceRow[] = [
  {
    name: 'public: answers without a token',
    route: '/api/public',
    status: 200,
    challenge: null,
    body: { message: PUBLIC_MESSAGE },
  },
  {
    name: 'public: ignores an expired token',
    route: '/api/public',
    authorization: bearer({}, { expiresIn: -3600 }),
    status: 200,
    challenge: null,
    body: { message: PUBLIC_MESSAGE },
  },
  {
    name: 'private: answers a valid token',
    route: '/api/private',
    authorization: bearer(),
    status: 200,
    challenge: null,
    body: { message: PRIVATE_MESSAGE },
  },
  {
    name: 'private: challenges a request without a token with a bare Bearer',
    route: '/api/private',
    status: 401,
    challenge: {},
    error: 'unauthorized',
  },
  {
    name: 'private: treats a Basic credential as no token',
    route: '/api/private',
    authorization: () => 'Basic dXNlcjpwYXNzd29yZA==',
    status: 401,
    challenge: {},
    error: 'unauthorized',
  },
  {
    name: 'private: accepts the scheme in lower case (RFC 6750 §2.1)',
    route: '/api/private',
    authorization: async (fixture) => (await bearer()(fixture)).replace('Bearer', 'bearer'),
    status: 200,
    challenge: null,
    body: { message: PRIVATE_MESSAGE },
  },
  {
    name: 'private: refuses a Bearer header without a credential with 400 invalid_request',
    route: '/api/private',
    authorization: () => 'Bearer ',
    status: 400,
    challenge: { error: 'invalid_request' },
    error: 'invalid_request',
  },
  {
    name: 'private: refuses a token that is not a JWT',
    route: '/api/private',
    authorization: () => 'Bearer not-a-jwt',
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: 'private: refuses an unsecured token (alg none)',
    route: '/api/private',
    authorization: ({ issuer }) =>
      `Bearer ${new UnsecuredJWT({ sub: 'test-user' })
        .setIssuer(issuer.issuer)
        .setAudience(issuer.audience)
        .setIssuedAt(NOW)
        .setExpirationTime(NOW + 3600)
        .encode()}`,
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: 'private: refuses a token whose signature does not verify',
    route: '/api/private',
    authorization: bearer({}, { untrustedKey: true }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: 'private: refuses an expired token',
    route: '/api/private',
    authorization: bearer({}, { expiresIn: -3600 }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: 'private: refuses a token that is not yet valid',
    route: '/api/private',
    authorization: bearer({ nbf: NOW + 3600 }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: 'private: refuses a token from an issuer it does not trust',
    route: '/api/private',
    authorization: bearer({ iss: 'https://other-issuer.example.test/' }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: 'private: refuses a token for another audience',
    route: '/api/private',
    authorization: bearer({ aud: OTHER_AUDIENCE }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: 'private: accepts an audience array that contains this API',
    route: '/api/private',
    authorization: (fixture) => bearer({ aud: [OTHER_AUDIENCE, fixture.issuer.audience] })(fixture),
    status: 200,
    challenge: null,
    body: { message: PRIVATE_MESSAGE },
  },
  {
    name: 'private: refuses a token signed with a key id the issuer does not publish',
    route: '/api/private',
    authorization: bearer({}, { kid: 'no-such-key' }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: 'private: answers 503 without a challenge when the keys cannot be fetched',
    route: '/api/private',
    authorization: (fixture) => bearer({ iss: fixture.downIssuer })(fixture),
    status: 503,
    challenge: null,
    error: 'temporarily_unavailable',
  },
  {
    name: 'private-scoped: answers a token with read:messages',
    route: '/api/private-scoped',
    authorization: bearer({ scope: 'profile read:messages' }),
    status: 200,
    challenge: null,
    body: { message: SCOPED_MESSAGE },
  },
  {
    name: 'private-scoped: accepts the scope from an scp array',
    route: '/api/private-scoped',
    authorization: bearer({ scp: ['read:messages'] }),
    status: 200,
    challenge: null,
    body: { message: SCOPED_MESSAGE },
  },
  {
    name: 'private-scoped: challenges a request without a token with a bare Bearer',
    route: '/api/private-scoped',
    status: 401,
    challenge: {},
    error: 'unauthorized',
  },
  {
    name: 'private-scoped: authenticates before it authorizes (expired token with the scope)',
    route: '/api/private-scoped',
    authorization: bearer({ scope: 'read:messages' }, { expiresIn: -3600 }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: 'private-scoped: refuses a token without the scope with 403 insufficient_scope',
    route: '/api/private-scoped',
    authorization: bearer({ scope: 'profile' }),
    status: 403,
    challenge: MISSING_SCOPE,
    error: 'insufficient_scope',
  },
  {
    name: 'private-scoped: refuses a scope that only shares a prefix (read:messagesX)',
    route: '/api/private-scoped',
    authorization: bearer({ scope: 'read:messagesX' }),
    status: 403,
    challenge: MISSING_SCOPE,
    error: 'insufficient_scope',
  },
  {
    name: 'private-scoped: refuses the scope when it is only among the permissions',
    route: '/api/private-scoped',
    authorization: bearer({ permissions: ['read:messages'] }),
    status: 403,
    challenge: MISSING_SCOPE,
    error: 'insufficient_scope',
  },
  {
    name: 'credentialsOptional: lets a request without a token through unauthenticated',
    route: '/api/optional',
    status: 200,
    challenge: null,
    body: { authenticated: false },
  },
  {
    name: 'credentialsOptional: authenticates a valid token',
    route: '/api/optional',
    authorization: bearer({ sub: 'optional-user' }),
    status: 200,
    challenge: null,
    body: { authenticated: true, sub: 'optional-user' },
  },
  {
    name: 'credentialsOptional: still refuses a bad token',
    route: '/api/optional',
    authorization: bearer({}, { expiresIn: -3600 }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
  {
    name: "custom error handler: receives a missing token and answers in the app's shape",
    route: '/api/custom-error',
    status: 401,
    challenge: {},
    error: 'token_missing',
    body: { handled_by: 'app' },
  },
  {
    name: 'custom error handler: receives an expired token',
    route: '/api/custom-error',
    authorization: bearer({ scope: 'read:messages' }, { expiresIn: -3600 }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'token_expired',
    body: { handled_by: 'app' },
  },
  {
    name: "custom error handler: receives a guard's missing scope",
    route: '/api/custom-error',
    authorization: bearer({ scope: 'profile' }),
    status: 403,
    challenge: MISSING_SCOPE,
    error: 'scope_insufficient',
    body: { handled_by: 'app' },
  },
  {
    name: 'custom error handler: stays out of the way of a valid token',
    route: '/api/custom-error',
    authorization: bearer({ scope: 'read:messages' }),
    status: 200,
    challenge: null,
    body: { message: SCOPED_MESSAGE },
  },
  {
    name: 'requirePermission: accepts the permission from the permissions claim',
    route: '/api/permission',
    authorization: bearer({ permissions: ['read:messages'] }),
    status: 200,
    challenge: null,
    body: { message: GUARDED_MESSAGE },
  },
  {
    name: 'requirePermission: refuses a token that has it only as a scope',
    route: '/api/permission',
    authorization: bearer({ scope: 'read:messages' }),
    status: 403,
    challenge: MISSING_SCOPE,
    error: 'insufficient_scope',
  },
  {
    name: 'requireAnyScope: accepts any one of the listed scopes',
    route: '/api/any-scope',
    authorization: bearer({ scope: 'write:messages' }),
    status: 200,
    challenge: null,
    body: { message: GUARDED_MESSAGE },
  },
  {
    name: 'requireAnyScope: refuses a token with none of them, naming them all',
    route: '/api/any-scope',
    authorization: bearer({ scope: 'profile' }),
    status: 403,
    challenge: { error: 'insufficient_scope', scope: 'read:messages write:messages' },
    error: 'insufficient_scope',
  },
  {
    name: 'claimCheck: accepts claims the check approves',
    route: '/api/claim-check',
    authorization: bearer({ sub: 'admin' }),
    status: 200,
    challenge: null,
    body: { message: GUARDED_MESSAGE },
  },
  {
    name: 'claimCheck: refuses claims the check rejects with 401 invalid_token',
    route: '/api/claim-check',
    authorization: bearer({ sub: 'someone-else' }),
    status: 401,
    challenge: INVALID_TOKEN,
    error: 'invalid_token',
  },
];

/**
 * Reads the `Bearer` challenge's parameters out of a `WWW-Authenticate` value, which may also carry
 * other schemes' challenges (RFC 9110 §11.6.1); `undefined` when there is no `Bearer` challenge.
 */
export function bearerChallengeParams(header: string): Record<string, string> | undefined {
  const match = /(?:^|,\s*)Bearer((?:\s*,?\s*[A-Za-z_]+="[^"]*")*)\s*(?:,|$)/i.exec(header);
  if (match === null) return undefined;
  const params: Record<string, string> = {};
  for (const [, name, value] of (match[1] ?? '').matchAll(/([A-Za-z_]+)="([^"]*)"/g)) {
    if (name !== undefined && value !== undefined) params[name] = value;
  }
  return params;
}
