import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { readBody } from '../support/http-body.js';

/** How the server checks the client's credentials (RFC 7662 §2.1 requires it to). */
export type ClientCheck =
  | {
      readonly method: 'client_secret_basic' | 'client_secret_post';
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      readonly method: 'private_key_jwt';
      readonly clientId: string;
      /** The client's public key, registered with the server. */
      readonly publicKey: CryptoKey;
      /** The `aud` the server accepts in an assertion: its issuer identifier or the endpoint URL. */
      readonly audience: 'issuer' | 'endpoint';
    };

/** How the introspection endpoint misbehaves; `'none'` answers normally. */
export type IntrospectionFault =
  | 'none'
  | 'status-500'
  | 'status-403'
  | 'wrong-content-type'
  | 'not-json'
  | 'no-active'
  | 'string-active'
  | 'huge-body'
  | 'never-answer'
  | 'redirect';

/** How a signed (RFC 9701) answer is spoiled; `'none'` signs it properly. */
export type SigningFault =
  | 'none'
  | 'bad-signature'
  | 'wrong-audience'
  | 'wrong-typ'
  | 'wrong-issuer'
  | 'future-iat';

/** Size of the `huge-body` answer: 10 MB. */
export const HUGE_BODY_BYTES = 10 * 1024 * 1024;

/** What the endpoint received in one call, for assertions on the request. */
export interface ReceivedCall {
  readonly headers: IncomingMessage['headers'];
  readonly params: URLSearchParams;
}

/**
 * An authorization server stand-in on 127.0.0.1: discovery (`introspection_endpoint`, `jwks_uri`),
 * its key set, and an RFC 7662 endpoint that authenticates the client as configured, answers from a
 * table of tokens (unknown ones are `{ active: false }`), signs answers (RFC 9701) when asked, and
 * misbehaves on demand. Every call is counted at the server.
 */
export interface IntrospectionServer {
  readonly origin: string;
  /** `<origin>/`. */
  readonly issuer: string;
  /** `<origin>/introspect`. */
  readonly endpoint: string;
  readonly jwksUri: string;
  /** Answers by token; change freely between calls. */
  readonly answers: Map<string, Record<string, unknown>>;
  fault: IntrospectionFault;
  signingFault: SigningFault;
  /** Calls that reached each endpoint. */
  readonly requests: { introspect: number; discovery: number; jwks: number };
  /** Every call to the introspection endpoint, in order. */
  readonly calls: ReceivedCall[];
  /** Why the server refused a client, per refused call. */
  readonly refusals: string[];
  close(): Promise<void>;
}

/** Options for {@link createIntrospectionServer}. */
export interface IntrospectionServerOptions {
  readonly client: ClientCheck;
  /** Seconds since the epoch, for the `iat` of signed answers. */
  readonly clock: () => number;
  /** Whether discovery documents carry `introspection_endpoint`. [true] */
  readonly advertiseEndpoint?: boolean | undefined;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Starts an {@link IntrospectionServer}. */
export async function createIntrospectionServer(
  options: IntrospectionServerOptions,
): Promise<IntrospectionServer> {
  const signingKey = await generateKeyPair('ES256', { extractable: true });
  const impostorKey = await generateKeyPair('ES256');
  const publicJwk = { ...(await exportJWK(signingKey.publicKey)), kid: 'as-key', alg: 'ES256', use: 'sig' };
  const seenAssertionIds = new Set<string>();
  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    void answer(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state: IntrospectionServer = {
    origin,
    issuer: `${origin}/`,
    endpoint: `${origin}/introspect`,
    jwksUri: `${origin}/jwks.json`,
    answers: new Map(),
    fault: 'none',
    signingFault: 'none',
    requests: { introspect: 0, discovery: 0, jwks: 0 },
    calls: [],
    refusals: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server') {
      state.requests.discovery += 1;
      const document: Record<string, unknown> = { issuer: state.issuer, jwks_uri: state.jwksUri };
      if (options.advertiseEndpoint !== false) document.introspection_endpoint = state.endpoint;
      sendJson(res, 200, document);
    } else if (path === '/jwks.json') {
      state.requests.jwks += 1;
      sendJson(res, 200, { keys: [publicJwk] });
    } else if (path === '/introspect' && req.method === 'POST') {
      state.requests.introspect += 1;
      const params = new URLSearchParams(await readBody(req));
      state.calls.push({ headers: req.headers, params });
      const refusal = await authenticate(req, params);
      if (refusal !== undefined) {
        state.refusals.push(refusal);
        sendJson(res, 401, { error: 'invalid_client' });
        return;
      }
      await introspect(req, res, params.get('token') ?? '');
    } else {
      res.writeHead(404).end();
    }
  }

  async function introspect(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    const body = state.answers.get(token) ?? { active: false };
    switch (state.fault) {
      case 'status-500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      case 'status-403':
        res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden');
        return;
      case 'wrong-content-type':
        res.writeHead(200, { 'content-type': 'text/html' }).end(JSON.stringify(body));
        return;
      case 'not-json':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"active": tru');
        return;
      case 'no-active':
        sendJson(res, 200, { sub: 'someone' });
        return;
      case 'string-active':
        sendJson(res, 200, { ...body, active: 'true' });
        return;
      case 'huge-body':
        sendHugeBody(res, body);
        return;
      case 'never-answer':
        return;
      case 'redirect':
        res.writeHead(307, { location: `${origin}/elsewhere` }).end();
        return;
      case 'none':
        break;
    }
    if ((req.headers.accept ?? '').includes('application/token-introspection+jwt')) {
      res
        .writeHead(200, { 'content-type': 'application/token-introspection+jwt' })
        .end(await signAnswer(body));
      return;
    }
    sendJson(res, 200, body);
  }

  /** RFC 9701 §5, spoiled as {@link IntrospectionServer.signingFault} says. */
  function signAnswer(body: Record<string, unknown>): Promise<string> {
    const fault = state.signingFault;
    const now = options.clock();
    return new SignJWT({ token_introspection: body })
      .setProtectedHeader({
        alg: 'ES256',
        kid: 'as-key',
        typ: fault === 'wrong-typ' ? 'at+jwt' : 'token-introspection+jwt',
      })
      .setIssuer(fault === 'wrong-issuer' ? 'https://other-issuer.example.test/' : state.issuer)
      .setAudience(fault === 'wrong-audience' ? 'another-client' : options.client.clientId)
      .setIssuedAt(fault === 'future-iat' ? now + 3600 : now)
      .sign(fault === 'bad-signature' ? impostorKey.privateKey : signingKey.privateKey);
  }

  /** Returns why the client is refused, or `undefined` when it authenticated. */
  async function authenticate(req: IncomingMessage, params: URLSearchParams): Promise<string | undefined> {
    const { client } = options;
    if (client.method === 'client_secret_basic') {
      const header = req.headers.authorization ?? '';
      if (!header.startsWith('Basic ')) return 'no Basic authorization';
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // RFC 6749 §2.3.1: each half is form-urlencoded.
      const formDecode = (value: string) => decodeURIComponent(value.replace(/\+/g, ' '));
      const id = formDecode(decoded.slice(0, colon));
      const secret = formDecode(decoded.slice(colon + 1));
      return id === client.clientId && secret === client.clientSecret ? undefined : 'wrong id or secret';
    }
    if (client.method !== 'private_key_jwt') {
      return params.get('client_id') === client.clientId &&
        params.get('client_secret') === client.clientSecret
        ? undefined
        : 'wrong id or secret';
    }
    if (params.get('client_assertion_type') !== JWT_BEARER) return 'no JWT assertion';
    try {
      const { payload } = await jwtVerify(params.get('client_assertion') ?? '', client.publicKey, {
        issuer: client.clientId,
        subject: client.clientId,
        audience: client.audience === 'issuer' ? state.issuer : state.endpoint,
        requiredClaims: ['jti', 'exp', 'iat'],
        currentDate: new Date(options.clock() * 1000),
      });
      if ((payload.exp as number) - (payload.iat as number) > 300) return 'assertion lives too long';
      if (seenAssertionIds.has(payload.jti as string)) return 'assertion replayed';
      seenAssertionIds.add(payload.jti as string);
      return undefined;
    } catch (error) {
      return `assertion refused: ${(error as Error).message}`;
    }
  }

  return state;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** A real answer padded with JSON whitespace to 10 MB: only the size limit can refuse it. */
function sendHugeBody(res: ServerResponse, body: Record<string, unknown>): void {
  const json = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(json.slice(0, -1));
  const padding = Buffer.alloc(64 * 1024, 0x20);
  let remaining = HUGE_BODY_BYTES - json.length;
  const pump = (): void => {
    while (remaining > 0 && !res.destroyed) {
      remaining -= padding.length;
      if (!res.write(padding)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end('}');
  };
  pump();
}
