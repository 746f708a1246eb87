import {
  booleanOption,
  checkKnownKeys,
  describeValue,
  integerAtLeast,
  optionalString,
  optionalStringList,
  optionKeys,
  optionsObject,
} from './option-checks.js';

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the `protectedResource` option, the document it
 * describes, and the URL it is served at. Built once, when the verifier is; adapters only send it.
 */

/**
 * The `protectedResource` verifier option: the RFC 9728 §2 members, camel-cased. Only `resource` is
 * required; the others are left out of the document unless given or derived as their docs say.
 */
export interface ProtectedResourceOptions {
  /**
   * This API's resource identifier (RFC 9728 §1.2, RFC 8707 §2): an absolute `https` URL (`http`
   * only for a loopback host) with no query and no fragment. Sent as `resource`, and the audience
   * when the verifier has no `audience` option: then a token's `aud` must contain this exact string.
   */
  readonly resource: string;
  /** Issuer identifiers of the authorization servers that issue tokens for this API. [the `issuer` option] */
  readonly authorizationServers?: readonly string[] | undefined;
  /** The URL of this API's own key set (for signed responses, not for tokens). [left out] */
  readonly jwksUri?: string | undefined;
  /** Scopes clients may request for this API (RFC 6749 §3.3). [left out] */
  readonly scopesSupported?: readonly string[] | undefined;
  /**
   * How the token may be sent (RFC 6750 §2): `header`, `body`, `query`. [`['header']`, plus `query`
   * with `allowQueryToken`]
   */
  readonly bearerMethodsSupported?: readonly string[] | undefined;
  /** JWS algorithms this API signs its responses with. [left out] */
  readonly resourceSigningAlgValuesSupported?: readonly string[] | undefined;
  /** A human-readable name for this API. [left out] */
  readonly resourceName?: string | undefined;
  /** A URL of developer documentation for this API. [left out] */
  readonly resourceDocumentation?: string | undefined;
  /** A URL of this API's data use policy. [left out] */
  readonly resourcePolicyUri?: string | undefined;
  /** A URL of this API's terms of service. [left out] */
  readonly resourceTosUri?: string | undefined;
  /** Whether this API supports mTLS certificate-bound tokens (RFC 8705). [left out] */
  readonly tlsClientCertificateBoundAccessTokens?: boolean | undefined;
  /** RAR `type` values this API accepts (RFC 9396). [left out] */
  readonly authorizationDetailsTypesSupported?: readonly string[] | undefined;
  /** DPoP proof algorithms accepted (RFC 9449). [the verifier's `dpop.algorithms`; left out when DPoP is disabled] */
  readonly dpopSigningAlgValuesSupported?: readonly string[] | undefined;
  /** Whether every token must be DPoP-bound. [`true` when `dpop.mode` is `'required'`] */
  readonly dpopBoundAccessTokensRequired?: boolean | undefined;
  /**
   * RFC 9728 §2.2 `signed_metadata`: a JWT of these members signed by a party clients trust, e.g.
   * from {@link signProtectedResourceMetadata}. [left out]
   */
  readonly signedMetadata?: string | undefined;
  /** How long clients and caches may keep the document, in seconds (`Cache-Control: max-age`). [3600] */
  readonly cacheMaxAge?: number | undefined;
}

/** Every key of {@link ProtectedResourceOptions}; a key missing here fails to compile. */
export const PROTECTED_RESOURCE_OPTION_KEYS = optionKeys<ProtectedResourceOptions>({
  resource: true,
  authorizationServers: true,
  jwksUri: true,
  scopesSupported: true,
  bearerMethodsSupported: true,
  resourceSigningAlgValuesSupported: true,
  resourceName: true,
  resourceDocumentation: true,
  resourcePolicyUri: true,
  resourceTosUri: true,
  tlsClientCertificateBoundAccessTokens: true,
  authorizationDetailsTypesSupported: true,
  dpopSigningAlgValuesSupported: true,
  dpopBoundAccessTokensRequired: true,
  signedMetadata: true,
  cacheMaxAge: true,
});

/** The document, ready to send: built once per verifier. */
export interface ProtectedResourceMetadata {
  /** The absolute metadata URL (RFC 9728 §3.1), sent as `resource_metadata` in every challenge. */
  readonly url: string;
  /** The path to serve it at: `/.well-known/oauth-protected-resource`, then the resource's path. */
  readonly path: string;
  /** The JSON document. */
  readonly body: string;
  /** `content-type`, `cache-control` and `access-control-allow-origin` (browser clients read it too). */
  readonly headers: Readonly<Record<string, string>>;
}

/** What the verifier knows that the document derives its defaults from. */
export interface ProtectedResourceDefaults {
  readonly issuers: readonly string[];
  readonly allowQueryToken: boolean;
  /** DPoP proof algorithms accepted; empty when DPoP is disabled. */
  readonly dpopAlgorithms: readonly string[];
  readonly dpopRequired: boolean;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';
const DEFAULT_CACHE_MAX_AGE = 3600;
const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/**
 * Checks the `protectedResource` option: known keys, member types, and a `resource` that is an
 * absolute `https` URL (`http` on a loopback host only), with no fragment (RFC 9728 §1.2) and no
 * query (RFC 8707 §2 advises against one, and it could not be matched to a route).
 *
 * @throws {TypeError} naming the first member refused.
 */
export function checkProtectedResourceOptions(value: unknown): ProtectedResourceOptions | undefined {
  if (value === undefined) return undefined;
  const options = optionsObject(value, 'protectedResource') as unknown as ProtectedResourceOptions;
  checkKnownKeys(options, PROTECTED_RESOURCE_OPTION_KEYS, 'protectedResource.');
  checkResourceIdentifier(options.resource);
  for (const name of ['jwksUri', 'resourceDocumentation', 'resourcePolicyUri', 'resourceTosUri'] as const) {
    const url = optionalString(options[name], `protectedResource.${name}`);
    if (url !== undefined && !URL.canParse(url)) {
      throw new TypeError(`tokenwarden: protectedResource.${name} must be an absolute URL`);
    }
  }
  optionalString(options.resourceName, 'protectedResource.resourceName');
  const signed = optionalString(options.signedMetadata, 'protectedResource.signedMetadata');
  if (signed !== undefined && !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(signed)) {
    throw new TypeError('tokenwarden: protectedResource.signedMetadata must be a compact JWS (a signed JWT)');
  }
  for (const name of [
    'authorizationServers',
    'scopesSupported',
    'bearerMethodsSupported',
    'resourceSigningAlgValuesSupported',
    'authorizationDetailsTypesSupported',
    'dpopSigningAlgValuesSupported',
  ] as const) {
    optionalStringList(options[name], `protectedResource.${name}`);
  }
  booleanOption(
    options.tlsClientCertificateBoundAccessTokens,
    'protectedResource.tlsClientCertificateBoundAccessTokens',
    false,
  );
  booleanOption(
    options.dpopBoundAccessTokensRequired,
    'protectedResource.dpopBoundAccessTokensRequired',
    false,
  );
  integerAtLeast(options.cacheMaxAge, 'protectedResource.cacheMaxAge', DEFAULT_CACHE_MAX_AGE, 0, 'seconds');
  return options;
}

function checkResourceIdentifier(resource: unknown): void {
  const refuse = (why: string): never => {
    throw new TypeError(`tokenwarden: protectedResource.resource ${why} (got ${describeValue(resource)})`);
  };
  if (typeof resource !== 'string' || !URL.canParse(resource)) refuse('must be an absolute URL');
  const url = new URL(resource as string);
  if ((resource as string).includes('#')) refuse('must not have a fragment (RFC 9728 §1.2)');
  if (url.search !== '' || (resource as string).includes('?')) refuse('must not have a query (RFC 8707 §2)');
  if (url.username !== '' || url.password !== '') refuse('must not carry credentials');
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    refuse('must be an https URL (http only on a loopback host)');
  }
}

/**
 * RFC 9728 §3.1: the well-known path is inserted between the host and the resource's path, and a
 * path of `/` alone counts as none: `https://api.example.com/mcp` →
 * `https://api.example.com/.well-known/oauth-protected-resource/mcp`.
 */
export function resourceMetadataPath(resource: string): string {
  const { pathname } = new URL(resource);
  return pathname === '/' ? WELL_KNOWN : `${WELL_KNOWN}${pathname}`;
}

/**
 * The RFC 9728 §2 members of checked options, snake-cased, with the given `defaults` filled in
 * (none when signing on its own); members left undefined are left out of the JSON.
 */
export function metadataMembers(
  options: ProtectedResourceOptions,
  defaults: ProtectedResourceDefaults | undefined,
): Record<string, unknown> {
  const dpopAlgorithms =
    options.dpopSigningAlgValuesSupported ??
    (defaults !== undefined && defaults.dpopAlgorithms.length > 0 ? defaults.dpopAlgorithms : undefined);
  return {
    resource: options.resource,
    authorization_servers: options.authorizationServers ?? defaults?.issuers,
    jwks_uri: options.jwksUri,
    scopes_supported: options.scopesSupported,
    bearer_methods_supported:
      options.bearerMethodsSupported ??
      (defaults === undefined ? undefined : defaults.allowQueryToken ? ['header', 'query'] : ['header']),
    resource_signing_alg_values_supported: options.resourceSigningAlgValuesSupported,
    resource_name: options.resourceName,
    resource_documentation: options.resourceDocumentation,
    resource_policy_uri: options.resourcePolicyUri,
    resource_tos_uri: options.resourceTosUri,
    tls_client_certificate_bound_access_tokens: options.tlsClientCertificateBoundAccessTokens,
    authorization_details_types_supported: options.authorizationDetailsTypesSupported,
    dpop_signing_alg_values_supported: dpopAlgorithms,
    dpop_bound_access_tokens_required:
      options.dpopBoundAccessTokensRequired ?? (defaults?.dpopRequired === true ? true : undefined),
  };
}

/** Builds the document and its headers from checked options (RFC 9728 §2, §3.2). */
export function buildProtectedResourceMetadata(
  options: ProtectedResourceOptions,
  defaults: ProtectedResourceDefaults,
): ProtectedResourceMetadata {
  const { resource } = options;
  const path = resourceMetadataPath(resource);
  const document = { ...metadataMembers(options, defaults), signed_metadata: options.signedMetadata };
  return Object.freeze({
    url: `${new URL(resource).origin}${path}`,
    path,
    // JSON.stringify leaves out the members left undefined.
    body: JSON.stringify(document),
    headers: Object.freeze({
      'content-type': 'application/json',
      'cache-control': `public, max-age=${options.cacheMaxAge ?? DEFAULT_CACHE_MAX_AGE}`,
      'access-control-allow-origin': '*',
    }),
  });
}
