import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import { accessTokenHash } from 'tokenwarden';
import { readBody } from '../support/http-body.js';

/** An access token as the stand-in's database holds it (fields of Authlete's IntrospectionResponse). */
export interface AuthleteTokenRecord {
  readonly subject?: string;
  readonly scopes?: readonly string[];
  readonly clientId: number;
  readonly clientIdAlias?: string;
  readonly clientIdAliasUsed?: boolean;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  readonly accessTokenResources?: readonly string[];
  readonly certificateThumbprint?: string;
  /** The RFC 7638 thumbprint of the DPoP key the token is bound to; Authlete keeps it to itself. */
  readonly dpopJkt?: string;
}

/** How the stand-in misbehaves; `'none'` follows the contract. */
export type AuthleteFault =
  | 'none'
  | 'internal-server-error'
  | 'bad-request'
  | 'http-500'
  | 'never-answer'
  | 'header-splitting-content';

/**
 * A local implementation of the published contract of Authlete's `POST /api/{serviceId}/auth/introspection`
 * (Authlete 3.0): a Bearer service access token, a JSON body `{ token, scopes, dpop, htm, htu }`, and
 * an answer whose `action` is `OK`, `UNAUTHORIZED`, `FORBIDDEN`, `BAD_REQUEST` or
 * `INTERNAL_SERVER_ERROR`, with an RFC 6750 `responseContent`. Like Authlete, it checks a bound
 * token's DPoP proof (signature, `htm`, `htu`, `ath`, key thumbprint, nonce when required). The
 * vendor's API cannot be reached from CI, so this is what the tests run against.
 */
export interface AuthleteServer {
  readonly baseUrl: string;
  readonly serviceId: string;
  readonly accessToken: string;
  readonly tokens: Map<string, AuthleteTokenRecord>;
  /** When set, proofs must carry this nonce, and every answer offers it as `dpopNonce`. */
  requiredNonce: string | undefined;
  /** Milliseconds since the epoch, the stand-in's idea of now. */
  nowMs: number;
  fault: AuthleteFault;
  /** The JSON bodies received, in order. */
  readonly bodies: Record<string, unknown>[];
  /** The Authorization headers received, in order. */
  readonly authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** Starts an {@link AuthleteServer}. */
export async function createAuthleteServer(nowMs: number): Promise<AuthleteServer> {
  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    void answer(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const state: AuthleteServer = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serviceId: '715948317',
    accessToken: 'service-access-token',
    tokens: new Map(),
    requiredNonce: undefined,
    nowMs,
    fault: 'none',
    bodies: [],
    authorizations: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== `/api/${state.serviceId}/auth/introspection`) {
      res.writeHead(404).end();
      return;
    }
    state.authorizations.push(req.headers.authorization);
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    state.bodies.push(body);
    if (req.headers.authorization !== `Bearer ${state.accessToken}`) {
      sendJson(res, 401, { resultCode: 'A001201', resultMessage: 'Authorization failed' });
      return;
    }
    switch (state.fault) {
      case 'http-500':
        res.writeHead(500).end();
        return;
      case 'never-answer':
        return;
      case 'internal-server-error':
        sendJson(res, 200, action('INTERNAL_SERVER_ERROR', 'Bearer error="server_error"'));
        return;
      case 'bad-request':
        sendJson(
          res,
          200,
          action('BAD_REQUEST', 'Bearer error="invalid_request", error_description="No token"'),
        );
        return;
      case 'header-splitting-content':
        sendJson(res, 200, action('UNAUTHORIZED', 'Bearer error="invalid_token"\r\nSet-Cookie: x=1'));
        return;
      case 'none':
        break;
    }
    sendJson(res, 200, await judge(body));
  }

  async function judge(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const token = typeof body.token === 'string' ? body.token : '';
    const record = state.tokens.get(token);
    if (record === undefined || record.expiresAt <= state.nowMs) {
      return action(
        'UNAUTHORIZED',
        'Bearer error="invalid_token", error_description="The access token is not valid"',
      );
    }
    if (record.dpopJkt !== undefined) {
      const problem = await proofProblem(body, token, record.dpopJkt);
      if (problem === 'nonce') {
        return action('UNAUTHORIZED', 'DPoP error="use_dpop_nonce", error_description="Use the nonce"');
      }
      if (problem !== undefined) {
        return action('UNAUTHORIZED', `DPoP error="invalid_dpop_proof", error_description="${problem}"`);
      }
    }
    const required = Array.isArray(body.scopes) ? (body.scopes as string[]) : [];
    if (!required.every((scope) => record.scopes?.includes(scope))) {
      return action('FORBIDDEN', `Bearer error="insufficient_scope", scope="${required.join(' ')}"`);
    }
    const { dpopJkt: _hidden, ...visible } = record;
    return {
      ...action('OK', 'Bearer error="invalid_request"'),
      existent: true,
      usable: true,
      sufficient: true,
      ...visible,
    };
  }

  /** Authlete checks a bound token's proof itself when `dpop`, `htm` and `htu` are passed. */
  async function proofProblem(
    body: Record<string, unknown>,
    token: string,
    jkt: string,
  ): Promise<string | undefined> {
    if (typeof body.dpop !== 'string') return 'No DPoP proof';
    try {
      const { payload, protectedHeader } = await jwtVerify(body.dpop, EmbeddedJWK, { typ: 'dpop+jwt' });
      if (payload.htm !== body.htm || payload.htu !== body.htu) return 'htm or htu mismatch';
      if (payload.ath !== (await accessTokenHash(token))) return 'ath mismatch';
      if ((await calculateJwkThumbprint(protectedHeader.jwk ?? {})) !== jkt) return 'Key mismatch';
      if (state.requiredNonce !== undefined && payload.nonce !== state.requiredNonce) return 'nonce';
      return undefined;
    } catch {
      return 'Proof does not verify';
    }
  }

  function action(name: string, responseContent: string): Record<string, unknown> {
    const result: Record<string, unknown> = {
      resultCode: 'A056001',
      resultMessage: name,
      action: name,
      responseContent,
    };
    if (state.requiredNonce !== undefined) result.dpopNonce = state.requiredNonce;
    return result;
  }

  return state;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(JSON.stringify(body));
}
