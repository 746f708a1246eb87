import { createVerifier } from 'tokenwarden';
import { createTestIssuer } from 'tokenwarden/testing';
import { expect, it } from 'vitest';
import { expectRejection } from './support/rejection.js';

it('verifies a token from the test issuer', async () => {
  const issuer = await createTestIssuer();
  try {
    const verifier = createVerifier({ issuer: issuer.issuer, audience: issuer.audience });
    for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
      const result = await verifier.verify(await issuer.signToken({ scope: 'read:messages' }, { alg }));
      expect(result.scopes).toEqual(['read:messages']);
    }
    await expectRejection(
      verifier.verify(await issuer.signToken({}, { untrustedKey: true })),
      'signature_invalid',
    );
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1 });
  } finally {
    await issuer.close();
  }
});
