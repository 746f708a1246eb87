import { generateKeyPair, jwtVerify } from 'jose';
import { createVerifier, protectedResourceMetadata, signProtectedResourceMetadata } from 'tokenwarden';
import { describe, expect, it } from 'vitest';
import { ISSUER } from './fixtures.js';

const RESOURCE = 'https://api.example.test/mcp';
const metadata = { resource: RESOURCE, scopesSupported: ['tools:read'], resourceName: 'Notes' };

describe('RFC 9728 §2.2 signed metadata', () => {
  it('signs the given members as a JWT whose iss is the resource, verifiable with the public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const signed = await signProtectedResourceMetadata(metadata, {
      key: privateKey,
      alg: 'ES256',
      kid: 'm1',
    });
    const { payload, protectedHeader } = await jwtVerify(signed, publicKey, { issuer: RESOURCE });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'm1' });
    expect(payload).toEqual({
      iss: RESOURCE,
      iat: expect.any(Number),
      resource: RESOURCE,
      scopes_supported: ['tools:read'],
      resource_name: 'Notes',
    });
  });

  it('takes another attesting issuer', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const signed = await signProtectedResourceMetadata(metadata, {
      key: privateKey,
      alg: 'ES256',
      issuer: 'https://attester.example.test',
    });
    await expect(
      jwtVerify(signed, publicKey, { issuer: 'https://attester.example.test' }),
    ).resolves.toBeDefined();
  });

  it('serves it as signed_metadata beside the plain members', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const signedMetadata = await signProtectedResourceMetadata(metadata, { key: privateKey, alg: 'ES256' });
    const verifier = createVerifier({
      issuer: ISSUER,
      keySet: { keys: [] },
      protectedResource: { ...metadata, signedMetadata },
    });
    const document = JSON.parse(protectedResourceMetadata(verifier).body) as Record<string, unknown>;
    expect(document.signed_metadata).toBe(signedMetadata);
    expect(document.resource).toBe(RESOURCE);
  });

  it('refuses signedMetadata that is not a compact JWS, and signing without an alg', async () => {
    expect(() =>
      createVerifier({
        issuer: ISSUER,
        keySet: { keys: [] },
        protectedResource: { resource: RESOURCE, signedMetadata: '{"a":1}' },
      }),
    ).toThrow(/compact JWS/);
    const { privateKey } = await generateKeyPair('ES256');
    await expect(signProtectedResourceMetadata(metadata, { key: privateKey } as never)).rejects.toThrow(
      TypeError,
    );
    await expect(
      signProtectedResourceMetadata(
        { resource: 'http://api.example.test/' },
        { key: privateKey, alg: 'ES256' },
      ),
    ).rejects.toThrow(/https/);
  });
});
