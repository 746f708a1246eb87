export type { AdapterOptions } from './adapter-setup.js';
export {
  type Algorithm,
  type AsymmetricAlgorithm,
  DEFAULT_ALGORITHMS,
  type SymmetricAlgorithm,
} from './algorithms.js';
export type { AccessTokenClaims } from './claims.js';
export { accessTokenHash, boundThumbprintOf, checkDpopBinding } from './dpop/binding.js';
export {
  createDpopNonces,
  type DpopNonceOptions,
  type DpopNonceStatus,
  type DpopNonces,
} from './dpop/nonce.js';
export {
  createProofVerifier,
  DEFAULT_DPOP_ALGORITHMS,
  type DpopProofClaims,
  type DpopProofRequest,
  type DpopProofVerifier,
  type DpopProofVerifierOptions,
  type VerifiedDpopProof,
  type VerifyDpopProofOptions,
  verifyDpopProof,
} from './dpop/proof.js';
export type { DpopMode, DpopOptions } from './dpop/proof-of-possession.js';
export {
  createMemoryReplayStore,
  type MemoryReplayStore,
  type MemoryReplayStoreOptions,
  type ReplayStore,
  ReplayStoreFullError,
  ReplayStoreTimeoutError,
} from './dpop/replay-store.js';
export type { PublicUrlOptions } from './dpop/request-url.js';
export type { TokenErrorDetail } from './error-detail.js';
export {
  type AuthScheme,
  type ChallengeContext,
  type ErrorResponse,
  type OAuthErrorCode,
  TokenError,
  type TokenErrorCode,
  type TokenErrorDetails,
  toErrorResponse,
} from './errors.js';
export type { EventListener, TokenwardenEvent } from './events.js';
export { type ExtractedToken, type ExtractOptions, extractToken } from './extract.js';
export type { FapiProfile } from './fapi2-profile.js';
export {
  type AuthenticationRequirement,
  authenticationGuard,
  type ClaimCheck,
  claimGuard,
  type Guard,
  permissionGuard,
  scopeGuard,
} from './guards.js';
export type {
  CachedAnswer,
  IntrospectionCacheOptions,
  IntrospectionCacheStore,
} from './introspection/answer-cache.js';
export { type AuthleteIntrospectorOptions, createAuthleteIntrospector } from './introspection/authlete.js';
export type {
  ClientAuthentication,
  ClientSecretBasic,
  ClientSecretPost,
  PrivateKeyJwt,
} from './introspection/client-authentication.js';
export type {
  IntrospectedToken,
  IntrospectionAnswer,
  IntrospectionContext,
  SenderConstraintStatus,
  TokenIntrospector,
} from './introspection/introspected-token.js';
export {
  createIntrospector,
  type IntrospectorOptions,
  type SignedResponseOptions,
} from './introspection/introspector.js';
export type { IntrospectionCallOptions } from './introspection/introspector-options.js';
export { createJwksProvider, createStaticKeyProvider, type KeyProvider } from './jwks/provider.js';
export type { JwksCacheOptions, JwksProviderOptions } from './jwks/provider-options.js';
export {
  type ProtectedResourceMetadata,
  type ProtectedResourceOptions,
  protectedResourceMetadata,
} from './protected-resource-metadata.js';
export { type MetadataSigningOptions, signProtectedResourceMetadata } from './protected-resource-signing.js';
export { fromNodeRequest, fromWebRequest, type NodeRequestParts, type ResourceRequest } from './request.js';
export { checkScopes, permissionsOf, type ScopeMatch, scopesOf } from './scopes.js';
export type { ClaimsValidator, DpopBinding, VerifiedToken } from './verified-token.js';
export type { TokenCacheOptions } from './verified-token-cache.js';
export { createVerifier, type Verifier } from './verifier.js';
export type { VerifierOptions } from './verifier-options.js';
export type { LoggerOption, WarningLogger } from './warning-log.js';
