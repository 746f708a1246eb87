export { type AdapterOptions, type AdapterSetup, resolveAdapterSetup } from './adapter-setup.js';
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
  authResponseHeaders,
  type DpopBinding,
  type DpopMode,
  type DpopOptions,
} from './dpop/presentation.js';
export {
  DEFAULT_DPOP_ALGORITHMS,
  type DpopProofClaims,
  type VerifiedDpopProof,
  type VerifyDpopProofOptions,
  verifyDpopProof,
} from './dpop/proof.js';
export {
  createMemoryReplayStore,
  type MemoryReplayStore,
  type MemoryReplayStoreOptions,
  type ReplayStore,
  ReplayStoreFullError,
  ReplayStoreTimeoutError,
} from './dpop/replay-store.js';
export type { PublicUrlOptions } from './dpop/request-url.js';
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
export { type ClaimCheck, claimGuard, type Guard, permissionGuard, scopeGuard } from './guards.js';
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
export {
  createJwksProvider,
  createStaticKeyProvider,
  type JwksCacheOptions,
  type JwksProviderOptions,
  type KeyProvider,
} from './jwks/provider.js';
export { fromNodeRequest, fromWebRequest, type NodeRequestParts, type ResourceRequest } from './request.js';
export { checkScopes, permissionsOf, type ScopeMatch, scopesOf } from './scopes.js';
export type { TokenCacheOptions } from './verified-token-cache.js';
export {
  type AuthenticationOutcome,
  type ClaimsValidator,
  createVerifier,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from './verifier.js';
