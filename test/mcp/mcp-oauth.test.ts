import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import express from 'express';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { createVerifier, scopeGuard, TokenError, type VerifiedToken } from 'tokenwarden';
import { jwtAuth, protectedResourceMetadata, sendTokenError } from 'tokenwarden/express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenFirst } from '../support/oauth-servers.js';

/**
 * The MCP authorization flow (MCP spec 2025-06-18 "Authorization") with nothing scripted on the
 * client side: the official TypeScript SDK's client, given only the MCP server's URL, follows the
 * 401's resource_metadata (RFC 9728 §5.1) to the metadata, discovers oidc-provider as the
 * authorization server (RFC 8414), registers itself (RFC 7591), runs the authorization code flow
 * with PKCE and a resource indicator (RFC 8707), and calls a tool on an MCP server whose only
 * protection is tokenwarden. The one thing standing in for a person is the consent screen:
 * the authorization server's interaction route logs a fixed user in and grants what was asked.
 */

const _HOST = '127.0.0.1';
const USER = 'user-1';

/** oidc-provider's interaction API, which its type stand-in (test/e2e/oidc-provider.d.ts) leaves out. */
interface InteractionApi {
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{
    prompt: {
      name: string;
      details: { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    };
    params: { client_id: string };
    session?: { accountId: string };
  }>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: unknown,
    options: { mergeWithLastSubmission: boolean },
  ): Promise<void>;
  Grant: new (init: {
    accountId: string;
    clientId: string;
  }) => {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  };
}

let authorizationServer: Server;
let mcpServer: Server;
let issuer: string;
let mcpUrl: string;
let otherResource: string;
let provider: Provider & InteractionApi;

async function startAuthorizationServer(): Promise<void> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'as-key', alg: 'ES256', use: 'sig' };
  const started = await listenFirst();
  authorizationServer = started.server;
  issuer = started.url;
  provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    // The SDK registers with the scope it will ask for, which the provider must know.
    scopes: ['openid', 'offline_access', 'tools:read', 'tools:write'],
    // The provider signs with its one ES256 key; the RS256 default would need an RSA key.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    findAccount: (_ctx: unknown, accountId: string) => ({ accountId, claims: () => ({ sub: accountId }) }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== mcpUrl && resource !== otherResource)
            throw new Error(`unknown resource ${resource}`);
          return {
            scope: 'tools:read tools:write',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  }) as Provider & InteractionApi;
  const callback = provider.callback();
  started.handle((req, res) => {
    if (req.url?.startsWith('/interaction/')) return void consent(req, res);
    callback(req, res);
  });
}

/** The consent screen's stand-in: the user logs in, then grants the scopes the client asked for. */
async function consent(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { prompt, params, session } = await provider.interactionDetails(req, res);
  if (prompt.name === 'login') {
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: USER } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const grant = new provider.Grant({ accountId: session?.accountId ?? USER, clientId: params.client_id });
  // The scopes the client registered with are the provider's too, so they are granted on both sides.
  grant.addOIDCScope((prompt.details.missingOIDCScope ?? []).join(' '));
  for (const [resource, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: false });
}

/** The recipe of docs/mcp.md: tokenwarden in front of the SDK's Streamable HTTP transport. */
async function startMcpServer(): Promise<void> {
  const started = await listenFirst();
  mcpServer = started.server;
  mcpUrl = `${started.url}/mcp`;
  otherResource = `${started.url}/other`;
  const verifier = createVerifier({
    issuer,
    protectedResource: {
      resource: mcpUrl,
      scopesSupported: ['tools:read'],
      resourceName: 'Notes MCP server',
    },
  });
  /** The scopes each tool needs; a tool not listed needs only an accepted token. */
  const toolScopes: Record<string, string[]> = { whoami: ['tools:read'], delete_note: ['tools:write'] };

  const app = express();
  app.use(protectedResourceMetadata(verifier));
  app.post('/mcp', express.json(), jwtAuth(verifier), requireToolScopes(toolScopes), async (req, res) => {
    const server = new McpServer({ name: 'notes', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who the token speaks for' }, (extra) => ({
      content: [
        { type: 'text', text: `sub=${(extra.authInfo?.extra?.claims as { sub?: string } | undefined)?.sub}` },
      ],
    }));
    server.registerTool('delete_note', { description: 'Deletes a note' }, () => ({
      content: [{ type: 'text', text: 'deleted' }],
    }));
    // Stateless: one transport per request.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close());
    await server.connect(transport);
    await transport.handleRequest(Object.assign(req, { auth: mcpAuthInfo(req.auth) }), res, req.body);
  });
  started.handle(app);
}

/** The SDK's AuthInfo from tokenwarden's VerifiedToken, handed to tools as `extra.authInfo`. */
function mcpAuthInfo(auth: VerifiedToken | undefined) {
  if (auth === undefined) return undefined;
  const { claims } = auth;
  return {
    token: auth.token,
    clientId: typeof claims.client_id === 'string' ? claims.client_id : '',
    scopes: [...auth.scopes],
    expiresAt: claims.exp,
    extra: { claims },
  };
}

/**
 * Per-tool scopes on the one MCP endpoint: a `tools/call` is refused with 403 insufficient_scope,
 * naming the tool's scope, before the MCP server sees it (RFC 6750 §3.1).
 */
function requireToolScopes(scopes: Record<string, string[]>): express.RequestHandler {
  const guards = new Map(Object.entries(scopes).map(([tool, needed]) => [tool, scopeGuard(needed)]));
  return (req, res, next) => {
    const messages: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
    try {
      for (const message of messages) {
        const { method, params } = (message ?? {}) as { method?: unknown; params?: { name?: unknown } };
        if (method !== 'tools/call' || typeof params?.name !== 'string') continue;
        guards.get(params.name)?.(req.auth);
      }
    } catch (error) {
      if (error instanceof TokenError) return sendTokenError(res, error);
      return next(error);
    }
    next();
  };
}

/**
 * The SDK's OAuthClientProvider for a client with no browser: `redirectToAuthorization` plays the
 * user agent (following redirects and keeping cookies), and keeps the code the redirect URI gets.
 */
class HeadlessOAuthClient {
  readonly redirectUrl = 'http://127.0.0.1:1/callback';
  readonly clientMetadata: OAuthClientMetadata = {
    client_name: 'tokenwarden MCP test client',
    redirect_uris: [this.redirectUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
  registered: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  code: string | undefined;
  authorizationUrl: URL | undefined;

  clientInformation() {
    return this.registered;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.registered = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
    const cookies = new Map<string, string>();
    let next = url.href;
    for (let hop = 0; hop < 12; hop++) {
      if (next.startsWith(this.redirectUrl)) {
        const result = new URL(next).searchParams;
        if (result.get('code') === null) throw new Error(`authorization refused: ${result.toString()}`);
        this.code = result.get('code') ?? undefined;
        return;
      }
      const response = await fetch(next, {
        redirect: 'manual',
        headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
      });
      for (const cookie of response.headers.getSetCookie()) {
        const pair = cookie.split(';')[0] ?? '';
        cookies.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
      }
      const location = response.headers.get('location');
      if (location === null)
        throw new Error(`authorization stopped at ${response.status}: ${await response.text()}`);
      next = new URL(location, next).href;
    }
    throw new Error('too many redirects');
  }
}

beforeAll(async () => {
  await startAuthorizationServer();
  await startMcpServer();
});

afterAll(async () => {
  for (const server of [mcpServer, authorizationServer]) {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
});

describe('MCP authorization with the official SDK client (RFC 9728, RFC 8707, RFC 7591)', () => {
  const oauth = new HeadlessOAuthClient();

  it('RFC 9728 §5.1: a request without a token is told where the metadata is', async () => {
    const response = await fetch(mcpUrl, { method: 'POST' });
    expect(response.status).toBe(401);
    const metadataUrl = `${new URL(mcpUrl).origin}/.well-known/oauth-protected-resource/mcp`;
    expect(response.headers.get('www-authenticate')).toMatch(
      new RegExp(`^Bearer resource_metadata="${metadataUrl}"`),
    );
    expect(await (await fetch(metadataUrl)).json()).toEqual({
      resource: mcpUrl,
      authorization_servers: [issuer],
      scopes_supported: ['tools:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'Notes MCP server',
      dpop_signing_alg_values_supported: expect.any(Array),
    });
  });

  it('starts from the MCP URL alone: 401, metadata, registration, authorization code, tool call', async () => {
    const client = new Client({ name: 'test-client', version: '1.0.0' });
    const first = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: oauth });
    await expect(client.connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    // The SDK registered itself with the authorization server named by the metadata, and asked for
    // a code for this MCP server's resource, with the scopes the metadata lists.
    expect(oauth.registered?.client_id).toEqual(expect.any(String));
    expect(oauth.authorizationUrl?.origin).toBe(issuer);
    expect(oauth.authorizationUrl?.searchParams.get('resource')).toBe(mcpUrl);
    expect(oauth.authorizationUrl?.searchParams.get('scope')).toBe('tools:read');
    expect(oauth.code).toEqual(expect.any(String));
    await first.finishAuth(oauth.code as string);
    const token = decodeJwt(oauth.saved?.access_token ?? '');
    expect(token).toMatchObject({ iss: issuer, aud: mcpUrl, sub: USER, scope: 'tools:read' });

    const connected = new Client({ name: 'test-client', version: '1.0.0' });
    await connected.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: oauth }));
    const result = await connected.callTool({ name: 'whoami', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: `sub=${USER}` }]);
    await connected.close();
  });

  it('RFC 6750 §3.1: refuses a tool whose scope the token lacks with 403 naming the scope', async () => {
    const response = await postToolCall('delete_note', oauth.saved?.access_token ?? '');
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(
      /^Bearer error="insufficient_scope", error_description="[^"]*", scope="tools:write"/,
    );
    expect(challenge).toContain(
      `resource_metadata="${new URL(mcpUrl).origin}/.well-known/oauth-protected-resource/mcp"`,
    );
  });

  it('RFC 8707: refuses a token the same authorization server issued for another resource', async () => {
    const registration = await fetch(`${issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    });
    const { client_id, client_secret } = (await registration.json()) as Record<string, string>;
    const tokenResponse = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${client_id}:${client_secret}`)}`,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        resource: otherResource,
        scope: 'tools:read',
      }),
    });
    const { access_token } = (await tokenResponse.json()) as { access_token: string };
    expect(decodeJwt(access_token).aud).toBe(otherResource);
    const response = await postToolCall('whoami', access_token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer error="invalid_token", error_description="The token is not meant for this API", resource_metadata="/,
    );
  });
});

function postToolCall(name: string, token: string): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }),
  });
}
