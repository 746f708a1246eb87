import { type CryptoKey, type JWK, type KeyObject, SignJWT } from 'jose';
import { optionalString } from './option-checks.js';
import {
  checkProtectedResourceOptions,
  metadataMembers,
  type ProtectedResourceOptions,
} from './protected-resource.js';

/** How {@link signProtectedResourceMetadata} signs. */
export interface MetadataSigningOptions {
  /** The private key (a `CryptoKey`, a Node `KeyObject`, a private JWK) or an HMAC secret. */
  readonly key: CryptoKey | KeyObject | JWK | Uint8Array;
  /** The JWS algorithm, e.g. `'ES256'`. */
  readonly alg: string;
  /** The `kid` header, naming the key in the signer's key set. [left out] */
  readonly kid?: string | undefined;
  /** The `iss` claim: who attests the metadata. [the `resource` identifier] */
  readonly issuer?: string | undefined;
}

/**
 * RFC 9728 §2.2: signs the metadata members of `metadata` (those given, nothing derived from a
 * verifier) as a JWT whose `iss` is the attesting party, the resource itself unless told otherwise.
 * Pass the result as `protectedResource.signedMetadata`; it is served as `signed_metadata`.
 *
 * @example
 * ```ts
 * const metadata = { resource: 'https://api.example.com/mcp', scopesSupported: ['tools:read'] };
 * const signedMetadata = await signProtectedResourceMetadata(metadata, { key: privateKey, alg: 'ES256' });
 * const verifier = createVerifier({ issuer, protectedResource: { ...metadata, signedMetadata } });
 * ```
 *
 * @throws {TypeError} for malformed metadata; rejects when jose refuses the key or algorithm.
 */
export async function signProtectedResourceMetadata(
  metadata: ProtectedResourceOptions,
  signing: MetadataSigningOptions,
): Promise<string> {
  const checked = checkProtectedResourceOptions(metadata) as ProtectedResourceOptions;
  const alg = optionalString(signing?.alg, 'signProtectedResourceMetadata alg');
  if (alg === undefined) throw new TypeError('tokenwarden: signProtectedResourceMetadata needs an alg');
  const kid = optionalString(signing.kid, 'signProtectedResourceMetadata kid');
  const issuer = optionalString(signing.issuer, 'signProtectedResourceMetadata issuer') ?? checked.resource;
  return new SignJWT(metadataMembers(checked, undefined))
    .setProtectedHeader(kid === undefined ? { alg } : { alg, kid })
    .setIssuer(issuer)
    .setIssuedAt()
    .sign(signing.key);
}
