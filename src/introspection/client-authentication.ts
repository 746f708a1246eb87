import { importJWK, type JWK, SignJWT } from 'jose';
import type { AsymmetricAlgorithm } from '../algorithms.js';
import { isKnownAlgorithm, isSymmetricAlgorithm } from '../algorithms.js';
import {
  checkKnownKeys,
  describeValue,
  nonNegativeNumber,
  optionalString,
  optionKeys,
  optionsObject,
} from '../option-checks.js';
import { IntrospectionFailure } from './failure.js';

/** RFC 6749 §2.3.1: the client secret in an HTTP Basic `Authorization` header. */
export interface ClientSecretBasic {
  readonly method: 'client_secret_basic';
  readonly clientSecret: string;
}

/** RFC 6749 §2.3.1: the client secret as a `client_secret` body parameter. */
export interface ClientSecretPost {
  readonly method: 'client_secret_post';
  readonly clientSecret: string;
}

/** RFC 7523 §2.2: a JWT signed with the client's private key (OIDC Core §9 `private_key_jwt`). */
export interface PrivateKeyJwt {
  readonly method: 'private_key_jwt';
  /** The private key: a Web Crypto key (`type: 'private'`) or a private JWK (with `d`). */
  readonly privateKey: CryptoKey | JWK;
  /** The signature algorithm, one the authorization server accepts for client assertions. */
  readonly algorithm: AsymmetricAlgorithm;
  /** The `kid` header, naming the key in the client's registered key set. [none] */
  readonly keyId?: string | undefined;
  /**
   * The assertion's `aud`. [the `issuer` option when set, which FAPI 2.0 requires; otherwise the
   * introspection endpoint URL, which RFC 7523 §3 allows]
   */
  readonly audience?: string | undefined;
  /** Seconds from `iat` to `exp`; short, since the assertion is made fresh for every call. [60] */
  readonly lifetime?: number | undefined;
}

/** How this API authenticates to the introspection endpoint (RFC 7662 §2.1). */
export type ClientAuthentication = ClientSecretBasic | ClientSecretPost | PrivateKeyJwt;

/** What one call to the endpoint carries to authenticate the client. */
export interface ClientCredentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
}

/** Builds the credentials for one call, given the endpoint URL the call goes to. */
export type ClientCredentialsFactory = (endpoint: string) => Promise<ClientCredentials>;

/** RFC 7521 §4.2: the `client_assertion_type` of a JWT assertion. */
const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const DEFAULT_ASSERTION_LIFETIME = 60;

const SECRET_KEYS = optionKeys<ClientSecretBasic>({ method: true, clientSecret: true });
const PRIVATE_KEY_JWT_KEYS = optionKeys<PrivateKeyJwt>({
  method: true,
  privateKey: true,
  algorithm: true,
  keyId: true,
  audience: true,
  lifetime: true,
});

/**
 * Checks the `clientAuthentication` option once, when the introspector is built, and returns the
 * function that produces credentials for each call.
 *
 * @param issuer The authorization server's issuer identifier, when configured: the default `aud` of
 * a `private_key_jwt` assertion.
 */
export function createClientCredentials(
  value: unknown,
  clientId: string,
  issuer: string | undefined,
  clock: () => number,
): ClientCredentialsFactory {
  const options = optionsObject(value, 'clientAuthentication');
  switch (options.method) {
    case 'client_secret_basic': {
      checkKnownKeys(options, SECRET_KEYS, 'clientAuthentication.');
      const secret = requiredString(options.clientSecret, 'clientAuthentication.clientSecret');
      // RFC 6749 §2.3.1: both are form-urlencoded (Appendix B) before they are joined and encoded.
      const basic = `Basic ${btoa(`${formEncode(clientId)}:${formEncode(secret)}`)}`;
      const credentials: ClientCredentials = { headers: { authorization: basic }, params: {} };
      return () => Promise.resolve(credentials);
    }
    case 'client_secret_post': {
      checkKnownKeys(options, SECRET_KEYS, 'clientAuthentication.');
      const secret = requiredString(options.clientSecret, 'clientAuthentication.clientSecret');
      const credentials: ClientCredentials = {
        headers: {},
        params: { client_id: clientId, client_secret: secret },
      };
      return () => Promise.resolve(credentials);
    }
    case 'private_key_jwt':
      checkKnownKeys(options, PRIVATE_KEY_JWT_KEYS, 'clientAuthentication.');
      return privateKeyJwt(options as unknown as PrivateKeyJwt, clientId, issuer, clock);
    default:
      throw new TypeError(
        "tokenwarden: clientAuthentication.method must be 'client_secret_basic', 'client_secret_post' or 'private_key_jwt'",
      );
  }
}

/**
 * RFC 7523 §3: `iss` and `sub` are the client id, `aud` the authorization server, `exp` soon, and a
 * fresh `jti` for every call so the server can refuse a replayed assertion.
 */
function privateKeyJwt(
  options: PrivateKeyJwt,
  clientId: string,
  issuer: string | undefined,
  clock: () => number,
): ClientCredentialsFactory {
  const { algorithm } = options;
  if (typeof algorithm !== 'string' || !isKnownAlgorithm(algorithm) || isSymmetricAlgorithm(algorithm)) {
    throw new TypeError(
      `tokenwarden: clientAuthentication.algorithm must be an asymmetric algorithm name (got ${describeValue(algorithm)})`,
    );
  }
  const keyId = optionalString(options.keyId, 'clientAuthentication.keyId');
  const audience = optionalString(options.audience, 'clientAuthentication.audience') ?? issuer;
  const lifetime = nonNegativeNumber(
    options.lifetime,
    'clientAuthentication.lifetime',
    DEFAULT_ASSERTION_LIFETIME,
    'seconds',
  );
  const key = signingKey(options.privateKey, algorithm);
  return async (endpoint) => {
    const now = Math.floor(clock());
    if (!Number.isFinite(now))
      throw new IntrospectionFailure('the clock gave no time for the client assertion');
    let assertion: string;
    try {
      assertion = await new SignJWT({})
        .setProtectedHeader(keyId === undefined ? { alg: algorithm } : { alg: algorithm, kid: keyId })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(audience ?? endpoint)
        .setJti(crypto.randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + lifetime)
        .sign(await key());
    } catch {
      throw new IntrospectionFailure('the client assertion could not be signed with the configured key');
    }
    return {
      headers: {},
      params: {
        client_id: clientId,
        client_assertion_type: JWT_BEARER_ASSERTION,
        client_assertion: assertion,
      },
    };
  };
}

/** The private key, checked now and imported once, on first use (importing is asynchronous). */
function signingKey(value: unknown, algorithm: AsymmetricAlgorithm): () => Promise<CryptoKey> {
  if (typeof CryptoKey !== 'undefined' && value instanceof CryptoKey) {
    if (value.type !== 'private') {
      throw new TypeError('tokenwarden: clientAuthentication.privateKey must be a private key');
    }
    return () => Promise.resolve(value);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `tokenwarden: clientAuthentication.privateKey must be a CryptoKey or a private JWK (got ${describeValue(value)})`,
    );
  }
  const jwk = value as JWK;
  if (typeof jwk.kty !== 'string' || typeof jwk.d !== 'string') {
    throw new TypeError('tokenwarden: clientAuthentication.privateKey must be a private JWK, with kty and d');
  }
  let imported: Promise<CryptoKey> | undefined;
  return () => {
    imported ??= importJWK(jwk, algorithm).then((key) => key as CryptoKey);
    return imported;
  };
}

function requiredString(value: unknown, name: string): string {
  const checked = optionalString(value, name);
  if (checked === undefined) throw new TypeError(`tokenwarden: ${name} is required`);
  return checked;
}

/** `application/x-www-form-urlencoded` encoding of one value (WHATWG URL §5.2, RFC 6749 Appendix B). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
