import { createVerifier, type VerifierOptions } from 'tokenwarden';
import { createTestIssuer, type TestIssuer } from 'tokenwarden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../support/clock.js';
import { expectRejection, rejectionOf } from '../support/rejection.js';

/** Amazon Cognito's access tokens: no `aud`, a `client_id` and `token_use: 'access'`. */
const CLIENT_ID = '1example23456789';
const API = 'https://orders.example.com';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['RS256'], clock: fixedClock });
});
afterAll(() => issuer.close());

function options(extra: Partial<VerifierOptions> = {}): VerifierOptions {
  return {
    issuer: issuer.issuer,
    keySet: issuer.jwks(),
    clock: fixedClock,
    clientIds: [CLIENT_ID],
    ...extra,
  };
}

function cognitoAccessToken(claims: Record<string, unknown> = {}): Promise<string> {
  return issuer.signToken(
    { aud: undefined, client_id: CLIENT_ID, token_use: 'access', scope: 'orders/read', ...claims },
    { typ: null },
  );
}

describe('clientIds: access tokens without aud (Amazon Cognito)', () => {
  it('accepts an access token without aud whose client_id is listed', async () => {
    const verified = await createVerifier(options()).verify(await cognitoAccessToken());
    expect(verified.claims.client_id).toBe(CLIENT_ID);
    expect(verified.scopes).toEqual(['orders/read']);
  });

  it('accepts one client id given as a string', async () => {
    const verifier = createVerifier(options({ clientIds: CLIENT_ID }));
    await expect(verifier.verify(await cognitoAccessToken())).resolves.toMatchObject({
      claims: { client_id: CLIENT_ID },
    });
  });

  it('refuses a client_id that is not listed, naming both sides in the detail', async () => {
    const error = await rejectionOf(
      createVerifier(options()).verify(await cognitoAccessToken({ client_id: 'other' })),
    );
    expect(error).toMatchObject({ code: 'audience_invalid' });
    expect(error.detail).toMatchObject({ claim: 'client_id', expected: [CLIENT_ID], actual: 'other' });
  });

  it('refuses a token without client_id', async () => {
    await expectRejection(
      createVerifier(options()).verify(await cognitoAccessToken({ client_id: undefined })),
      'audience_invalid',
    );
  });

  it('refuses a token without aud that does not say it is an access token (token_use)', async () => {
    await expectRejection(
      createVerifier(options()).verify(await cognitoAccessToken({ token_use: undefined })),
      'audience_invalid',
    );
  });

  it('refuses an ID token (aud is the client id, token_use id) as type_invalid, before its audience', async () => {
    const idToken = await cognitoAccessToken({ aud: CLIENT_ID, client_id: undefined, token_use: 'id' });
    await expectRejection(createVerifier(options()).verify(idToken), 'type_invalid');
  });

  it('refuses a token with aud when no audience is configured', async () => {
    await expectRejection(
      createVerifier(options()).verify(await cognitoAccessToken({ aud: API })),
      'audience_invalid',
    );
  });

  it('still holds a token with aud to the audience option', async () => {
    const verifier = createVerifier(options({ audience: API }));
    await expect(verifier.verify(await cognitoAccessToken({ aud: API }))).resolves.toMatchObject({
      claims: { aud: API },
    });
    await expectRejection(
      verifier.verify(await cognitoAccessToken({ aud: 'https://other.example.com' })),
      'audience_invalid',
    );
  });

  it('requires a listed client_id of tokens with aud too', async () => {
    const verifier = createVerifier(options({ audience: API }));
    await expectRejection(
      verifier.verify(await cognitoAccessToken({ aud: API, client_id: 'other' })),
      'audience_invalid',
    );
  });

  it('leaves verifiers without the option unchanged: a token without aud is refused', async () => {
    const verifier = createVerifier({
      issuer: issuer.issuer,
      audience: API,
      keySet: issuer.jwks(),
      clock: fixedClock,
    });
    await expectRejection(verifier.verify(await cognitoAccessToken()), 'audience_invalid');
  });
});

describe('clientIds option checks', () => {
  it.each([[''], [[]], [['']], [[CLIENT_ID, 7]], [42]])(
    'refuses clientIds %j with a TypeError naming it',
    (clientIds) => {
      expect(() => createVerifier(options({ clientIds: clientIds as never }))).toThrow(/clientIds/);
    },
  );

  it('still requires an audience when clientIds is not set', () => {
    expect(() => createVerifier({ issuer: issuer.issuer, keySet: issuer.jwks() })).toThrow(/audience/);
  });

  it("is refused under profile 'fapi2', whose tokens must name the API in aud", () => {
    expect(() => createVerifier(options({ profile: 'fapi2', audience: API }))).toThrow(/fapi2.*clientIds/);
  });
});
