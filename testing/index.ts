export {
  createTestIssuer,
  type SignTokenOptions,
  type TestIssuer,
  type TestIssuerOptions,
} from './issuer.js';
export { generateTestKey, type TestKey } from './keys.js';
