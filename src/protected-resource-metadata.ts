import type { ProtectedResourceMetadata } from './protected-resource.js';
import { createVerifier, type Verifier, type VerifierOptions } from './verifier.js';

export type { ProtectedResourceMetadata, ProtectedResourceOptions } from './protected-resource.js';

/**
 * The RFC 9728 document of a verifier (or of the verifier `options` would build), ready to serve:
 * its `path` (§3.1), `body` and `headers`. Built once, with the verifier; adapters wrap it in a route.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ issuer, protectedResource: { resource: 'https://api.example.com/mcp' } });
 * const { path, body, headers } = protectedResourceMetadata(verifier);
 * // path: '/.well-known/oauth-protected-resource/mcp'
 * ```
 *
 * @throws {TypeError} when the verifier has no `protectedResource` option.
 */
export function protectedResourceMetadata(
  verifierOrOptions: Verifier | VerifierOptions,
): ProtectedResourceMetadata {
  const verifier =
    'authenticate' in verifierOrOptions ? verifierOrOptions : createVerifier(verifierOrOptions);
  if (verifier.protectedResource === undefined) {
    throw new TypeError(
      'tokenwarden: protectedResourceMetadata needs a verifier with the protectedResource option',
    );
  }
  return verifier.protectedResource;
}
