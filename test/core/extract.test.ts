import { extractToken, fromWebRequest } from 'tokenwarden';
import { beforeAll, describe, expect, it } from 'vitest';
import { rejectionOf } from '../support/rejection.js';
import { createKeyRing, type KeyRing, requestWith, signToken, verifierFor } from './fixtures.js';

let ring: KeyRing;
let token: string;
beforeAll(async () => {
  ring = await createKeyRing();
  token = await signToken(ring.keys.ES256, { sub: 'extracted-user' });
});

describe('RFC 6750 §2.1 Authorization request header', () => {
  it('verifies the token from "Authorization: Bearer <token>"', async () => {
    const auth = await verifierFor(ring).authenticate(requestWith({ authorization: `Bearer ${token}` }));
    expect(auth?.claims.sub).toBe('extracted-user');
    expect(auth?.token).toBe(token);
  });

  it.each(['bearer', 'BEARER', 'BeArEr'])('treats the scheme "%s" case-insensitively', async (scheme) => {
    const auth = await verifierFor(ring).authenticate(requestWith({ authorization: `${scheme} ${token}` }));
    expect(auth?.claims.sub).toBe('extracted-user');
  });

  it('counts a non-Bearer scheme such as Basic as no token at all', async () => {
    const request = requestWith({ authorization: 'Basic dXNlcjpwYXNz' });
    expect(extractToken(request)).toBeUndefined();
    const error = await rejectionOf(verifierFor(ring).authenticate(request));
    expect(error.code).toBe('token_missing');
    expect(error.wwwAuthenticate).toBe('Bearer, DPoP algs="ES256 RS256 PS256 EdDSA Ed25519"');
  });

  it.each([
    ['no credential', 'Bearer'],
    ['only whitespace after the scheme', 'Bearer    '],
  ])('rejects "Bearer" with %s as request_invalid', async (_case, authorization) => {
    const error = await rejectionOf(verifierFor(ring).authenticate(requestWith({ authorization })));
    expect(error.code).toBe('request_invalid');
    expect(error.status).toBe(400);
  });

  it('rejects a Bearer credential containing whitespace as request_invalid', async () => {
    const [header, payload, signature] = token.split('.');
    const authorization = `Bearer ${header}.${payload} .${signature}`;
    const error = await rejectionOf(verifierFor(ring).authenticate(requestWith({ authorization })));
    expect(error.code).toBe('request_invalid');
  });

  it('rejects a Bearer credential with characters outside b64token as request_invalid', async () => {
    const error = await rejectionOf(
      verifierFor(ring).authenticate(requestWith({ authorization: `Bearer ${token},extra` })),
    );
    expect(error.code).toBe('request_invalid');
  });

  it('still rejects a malformed credential once the well-formed token it contains is cached', async () => {
    const verifier = verifierFor(ring);
    await verifier.authenticate(requestWith({ authorization: `Bearer ${token}` }));
    for (const authorization of [`Bearer ${token},extra`, `Bearer x ${token}`, `Bearer ${token}\u00e9`]) {
      const error = await rejectionOf(verifier.authenticate(requestWith({ authorization })));
      expect(error.code).toBe('request_invalid');
    }
    const again = await verifier.authenticate(requestWith({ authorization: `Bearer ${token}` }));
    expect(again?.token).toBe(token);
  });

  it('rejects two Authorization headers as request_invalid', async () => {
    const error = await rejectionOf(
      verifierFor(ring).authenticate(requestWith({ authorization: [`Bearer ${token}`, `Bearer ${token}`] })),
    );
    expect(error.code).toBe('request_invalid');
  });

  it('reads the header from a Web-standard Request too', async () => {
    const request = new Request('https://api.example.test/api/private', {
      headers: { Authorization: `Bearer ${token}` },
    });
    const auth = await verifierFor(ring).authenticate(fromWebRequest(request));
    expect(auth?.claims.sub).toBe('extracted-user');
  });
});

describe('RFC 6750 §2 one token, one place', () => {
  it('rejects a token sent in both the Authorization header and the cookie as request_invalid', async () => {
    const request = requestWith({ authorization: `Bearer ${token}`, cookie: `access_token=${token}` });
    const error = await rejectionOf(verifierFor(ring, { cookie: 'access_token' }).authenticate(request));
    expect(error.code).toBe('request_invalid');
    expect(error.status).toBe(400);
  });

  it('rejects a token sent in both the header and the query string as request_invalid', async () => {
    const request = requestWith({ authorization: `Bearer ${token}` }, `/api/private?access_token=${token}`);
    const error = await rejectionOf(verifierFor(ring, { allowQueryToken: true }).authenticate(request));
    expect(error.code).toBe('request_invalid');
  });

  it('rejects the token cookie sent twice as request_invalid', () => {
    const request = requestWith({ cookie: `access_token=${token}; access_token=${token}` });
    expect(rejectionOf(() => extractToken(request, { cookie: 'access_token' })).code).toBe('request_invalid');
  });
});

describe('cookie, query string and custom extractors', () => {
  it('reads the token from the configured cookie', async () => {
    const request = requestWith({ cookie: `theme=dark; access_token=${token}; lang=en` });
    const auth = await verifierFor(ring, { cookie: 'access_token' }).authenticate(request);
    expect(auth?.claims.sub).toBe('extracted-user');
    expect(extractToken(request, { cookie: 'access_token' })?.source).toBe('cookie');
  });

  it('ignores cookies when no cookie option is set', async () => {
    const request = requestWith({ cookie: `access_token=${token}` });
    const error = await rejectionOf(verifierFor(ring).authenticate(request));
    expect(error.code).toBe('token_missing');
  });

  it('ignores ?access_token= by default (RFC 6750 §2.3 is off: URLs end up in logs)', async () => {
    const request = requestWith({}, `/api/private?access_token=${token}`);
    expect(extractToken(request)).toBeUndefined();
    const error = await rejectionOf(verifierFor(ring).authenticate(request));
    expect(error.code).toBe('token_missing');
  });

  it('reads ?access_token= when allowQueryToken is set', async () => {
    const request = requestWith({}, `/api/private?page=2&access_token=${token}`);
    const auth = await verifierFor(ring, { allowQueryToken: true }).authenticate(request);
    expect(auth?.claims.sub).toBe('extracted-user');
    expect(extractToken(request, { allowQueryToken: true })?.source).toBe('query');
  });

  it('uses a custom getToken extractor', async () => {
    const request = requestWith({ 'x-access-token': token });
    const getToken = (req: typeof request) => {
      const value = req.header('x-access-token');
      return typeof value === 'string' ? value : undefined;
    };
    const auth = await verifierFor(ring, { getToken }).authenticate(request);
    expect(auth?.claims.sub).toBe('extracted-user');
    expect(extractToken(request, { getToken })?.source).toBe('custom');
  });

  it('treats a custom extractor returning undefined as no token', async () => {
    const error = await rejectionOf(
      verifierFor(ring, { getToken: () => undefined }).authenticate(requestWith({})),
    );
    expect(error.code).toBe('token_missing');
  });
});

describe('credentialsOptional', () => {
  it('lets a request without any token through: authenticate resolves undefined', async () => {
    await expect(
      verifierFor(ring, { credentialsOptional: true }).authenticate(requestWith({})),
    ).resolves.toBeUndefined();
  });

  it('lets a request with a non-Bearer scheme through as tokenless', async () => {
    const request = requestWith({ authorization: 'Basic dXNlcjpwYXNz' });
    await expect(
      verifierFor(ring, { credentialsOptional: true }).authenticate(request),
    ).resolves.toBeUndefined();
  });

  it('still verifies a token when one is sent', async () => {
    const auth = await verifierFor(ring, { credentialsOptional: true }).authenticate(
      requestWith({ authorization: `Bearer ${token}` }),
    );
    expect(auth?.claims.sub).toBe('extracted-user');
  });

  it('still rejects a bad token', async () => {
    const expired = await signToken(ring.keys.ES256, { exp: 1 });
    const error = await rejectionOf(
      verifierFor(ring, { credentialsOptional: true }).authenticate(
        requestWith({ authorization: `Bearer ${expired}` }),
      ),
    );
    expect(error.code).toBe('token_expired');
  });

  it('still rejects a malformed Authorization header', async () => {
    const error = await rejectionOf(
      verifierFor(ring, { credentialsOptional: true }).authenticate(requestWith({ authorization: 'Bearer' })),
    );
    expect(error.code).toBe('request_invalid');
  });
});
