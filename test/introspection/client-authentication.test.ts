import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  activeAnswer,
  CLIENT_ID,
  CLIENT_SECRET,
  expectRejection,
  NOW,
  setUpIntrospection,
} from './fixtures.js';

describe('RFC 6749 §2.3.1 client_secret_basic', () => {
  it('form-urlencodes id and secret before Base64, so the server decodes special characters intact', async () => {
    const { server, introspector } = await setUpIntrospection();
    server.answers.set('opaque-1', activeAnswer(server));
    await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    expect(server.refusals).toEqual([]);
    const header = server.calls[0]?.headers.authorization ?? '';
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('latin1');
    // ':' '/' '+' '&' '=' '%' and the space are escaped, '@' too; the secret never appears raw.
    expect(decoded).toBe('orders-api:p%40ss%3Aw0rd%2F%2B%26%3D%25+%C3%A9%22%5C');
    expect(server.calls[0]?.params.get('client_secret')).toBeNull();
  });

  it('encodes a client id holding a colon, which plain Basic could not carry', async () => {
    const clientId = 'urn:client:orders';
    const { server, introspector } = await setUpIntrospection({
      client: { method: 'client_secret_basic', clientId, clientSecret: CLIENT_SECRET },
      introspector: { clientId },
    });
    server.answers.set('opaque-1', activeAnswer(server));
    await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
  });
});

describe('RFC 6749 §2.3.1 client_secret_post', () => {
  it('sends client_id and client_secret in the body and no Authorization header', async () => {
    const { server, introspector } = await setUpIntrospection({
      client: { method: 'client_secret_post', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      introspector: { clientAuthentication: { method: 'client_secret_post', clientSecret: CLIENT_SECRET } },
    });
    server.answers.set('opaque-1', activeAnswer(server));
    await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    expect(server.calls[0]?.params.get('client_secret')).toBe(CLIENT_SECRET);
    expect(server.calls[0]?.headers.authorization).toBeUndefined();
  });
});

describe('RFC 7523 §2.2, §3 private_key_jwt', () => {
  it('signs an assertion the server verifies: iss = sub = client id, aud = the issuer, fresh jti, short exp', async () => {
    const keys = await generateKeyPair('ES256', { extractable: true });
    const { server, introspector } = await setUpIntrospection({
      client: {
        method: 'private_key_jwt',
        clientId: CLIENT_ID,
        publicKey: keys.publicKey,
        audience: 'issuer',
      },
      introspector: (as) => ({
        issuer: as.issuer,
        clientAuthentication: { method: 'private_key_jwt', privateKey: keys.privateKey, algorithm: 'ES256' },
      }),
    });
    server.answers.set('opaque-1', activeAnswer(server));
    server.answers.set('opaque-2', activeAnswer(server));
    await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    // A second call needs a new assertion: the server refuses a replayed jti.
    await expect(introspector.introspect('opaque-2')).resolves.toBeDefined();
    expect(server.refusals).toEqual([]);
    const params = server.calls[0]?.params;
    expect(params?.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    expect(params?.get('client_id')).toBe(CLIENT_ID);
    const payload = JSON.parse(
      Buffer.from(params?.get('client_assertion')?.split('.')[1] ?? '', 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(payload).toMatchObject({
      iss: CLIENT_ID,
      sub: CLIENT_ID,
      aud: server.issuer,
      iat: NOW,
      exp: NOW + 60,
    });
  });

  it('addresses the assertion to the endpoint when no issuer is configured, and signs with a private JWK', async () => {
    const keys = await generateKeyPair('PS256', { extractable: true });
    const privateJwk = await exportJWK(keys.privateKey);
    const { server, introspector } = await setUpIntrospection({
      client: {
        method: 'private_key_jwt',
        clientId: CLIENT_ID,
        publicKey: keys.publicKey,
        audience: 'endpoint',
      },
      introspector: {
        clientAuthentication: {
          method: 'private_key_jwt',
          privateKey: privateJwk,
          algorithm: 'PS256',
          keyId: 'k1',
        },
      },
    });
    server.answers.set('opaque-1', activeAnswer(server));
    await expect(introspector.introspect('opaque-1')).resolves.toBeDefined();
    const header = JSON.parse(
      Buffer.from(
        server.calls[0]?.params.get('client_assertion')?.split('.')[0] ?? '',
        'base64url',
      ).toString(),
    ) as Record<string, unknown>;
    expect(header).toEqual({ alg: 'PS256', kid: 'k1' });
  });

  it('answers 503 with a client-rejected event when the server does not know the signing key', async () => {
    const registered = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const { server, events, introspector } = await setUpIntrospection({
      client: {
        method: 'private_key_jwt',
        clientId: CLIENT_ID,
        publicKey: registered.publicKey,
        audience: 'issuer',
      },
      introspector: (as) => ({
        issuer: as.issuer,
        clientAuthentication: { method: 'private_key_jwt', privateKey: other.privateKey, algorithm: 'ES256' },
      }),
    });
    server.answers.set('opaque-1', activeAnswer(server));
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_client_rejected')).toHaveLength(1);
  });

  it('answers 503 when the key does not fit the algorithm, reported as a failure to sign', async () => {
    const keys = await generateKeyPair('ES256');
    const { events, introspector } = await setUpIntrospection({
      introspector: {
        clientAuthentication: { method: 'private_key_jwt', privateKey: keys.privateKey, algorithm: 'RS256' },
      },
    });
    await expectRejection(introspector.introspect('opaque-1'), 'introspection_unavailable');
    expect(events.ofType('introspection_failed')[0]?.reason).toBe(
      'the client assertion could not be signed with the configured key',
    );
  });
});
