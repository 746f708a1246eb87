export { type CreateDpopProofOptions, createDpopProof, type DpopKey, generateDpopKey } from './dpop.js';
export {
  createTestIssuer,
  type SignTokenOptions,
  type TestIssuer,
  type TestIssuerOptions,
} from './issuer.js';
export { generateTestKey, type TestKey } from './keys.js';
