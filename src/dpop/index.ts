/**
 * Every DPoP (RFC 9449) module in one import, for tests and tools inside this repository. What the
 * package offers is chosen name by name in `src/index.ts`.
 */
export * from './binding.js';
export * from './htu.js';
export * from './nonce.js';
export * from './proof.js';
export * from './proof-of-possession.js';
export * from './replay-store.js';
export * from './request-url.js';
