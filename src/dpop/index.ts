export { accessTokenHash, boundThumbprintOf, checkDpopBinding, type DpopBinding } from './binding.js';
export { normaliseHttpUri } from './htu.js';
export { createDpopNonces, type DpopNonceOptions, type DpopNonceStatus, type DpopNonces } from './nonce.js';
export {
  createProofVerifier,
  DEFAULT_DPOP_ALGORITHMS,
  DEFAULT_IAT_WINDOW,
  DEFAULT_MAX_PROOF_SIZE,
  type DpopProofClaims,
  type DpopProofRequest,
  type DpopProofVerifier,
  type DpopProofVerifierOptions,
  type VerifiedDpopProof,
  type VerifyDpopProofOptions,
  verifyDpopProof,
} from './proof.js';
export {
  createProofOfPossessionCheck,
  type DpopMode,
  type DpopOptions,
  type ProofOfPossessionCheck,
  type ProofOfPossessionSettings,
} from './proof-of-possession.js';
export {
  createMemoryReplayStore,
  type MemoryReplayStore,
  type MemoryReplayStoreOptions,
  type ReplayStore,
  ReplayStoreFullError,
  ReplayStoreTimeoutError,
} from './replay-store.js';
export { type PublicUrlOptions, resolvePublicUrl } from './request-url.js';
