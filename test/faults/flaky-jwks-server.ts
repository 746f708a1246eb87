import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';

/** How the key set endpoint misbehaves; `'none'` serves the key set normally. */
export type JwksFault =
  | 'none'
  | 'status-500'
  | 'too-many-requests'
  | 'redirect-loop'
  | 'endless-body'
  | 'connection-reset'
  | 'huge-declared-body'
  | 'huge-chunked-body';

/** Size of the bodies sent by the `huge-*` faults: 10 MB. */
export const HUGE_BODY_BYTES = 10 * 1024 * 1024;

/** `Retry-After` sent with the `too-many-requests` fault unless a test sets another, in seconds. */
export const RETRY_AFTER_SECONDS = 120;

/** Options for {@link createFlakyJwksServer}. */
export interface FlakyJwksServerOptions {
  /** The key set to serve when there is no fault; read at every request. */
  readonly keySet: () => JSONWebKeySet;
  /** Loopback address to bind: any 127.0.0.x works on Linux. [`'127.0.0.1'`] */
  readonly host?: string | undefined;
  /** Port to bind. [0: any free port] */
  readonly port?: number | undefined;
}

/**
 * A real HTTP server on the loopback interface serving `/jwks.json` (and, when `discovery` is set,
 * `/.well-known/openid-configuration`), whose faults a test switches at will. Every request is
 * counted at the server, so tests bound fetches by what reached the wire.
 */
export interface FlakyJwksServer {
  /** `http://<host>:<port>`. */
  readonly origin: string;
  /** `<origin>/`, for use as an issuer identifier. */
  readonly issuer: string;
  /** `<origin>/jwks.json`. */
  readonly jwksUri: string;
  /** The current fault of the key set endpoint. */
  fault: JwksFault;
  /** The `Retry-After` value of the `too-many-requests` fault. [{@link RETRY_AFTER_SECONDS}] */
  retryAfter: string;
  /** The discovery document to serve; `undefined` answers 404 on the well-known path. */
  discovery: Readonly<Record<string, unknown>> | undefined;
  /** Requests received, by endpoint; `redirects` counts the hops of the redirect loop. */
  readonly requests: { jwks: number; redirects: number; discovery: number };
  /** Stops the server, dropping open connections (endless bodies included). */
  close(): Promise<void>;
}

/** Starts a {@link FlakyJwksServer}. */
export async function createFlakyJwksServer(options: FlakyJwksServerOptions): Promise<FlakyJwksServer> {
  const host = options.host ?? '127.0.0.1';
  const requests = { jwks: 0, redirects: 0, discovery: 0 };
  const server = createServer((req, res) => answer(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;

  const state: FlakyJwksServer = {
    origin,
    issuer: `${origin}/`,
    jwksUri: `${origin}/jwks.json`,
    fault: 'none',
    retryAfter: String(RETRY_AFTER_SECONDS),
    discovery: undefined,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function answer(req: IncomingMessage, res: ServerResponse): void {
    // A client that gives up mid-body resets the socket; that is the point of several faults.
    res.on('error', () => undefined);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/.well-known/openid-configuration' && state.discovery !== undefined) {
      requests.discovery += 1;
      sendJson(res, state.discovery);
    } else if (path === '/jwks.json') {
      requests.jwks += 1;
      serveKeySet(res);
    } else if (path === '/redirect') {
      requests.redirects += 1;
      redirectAgain(res, req.url ?? '/');
    } else {
      res.writeHead(404).end();
    }
  }

  function serveKeySet(res: ServerResponse): void {
    const body = JSON.stringify(options.keySet());
    switch (state.fault) {
      case 'none':
        sendJson(res, options.keySet());
        return;
      case 'status-500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      case 'too-many-requests':
        res
          .writeHead(429, { 'retry-after': state.retryAfter, 'content-type': 'text/plain' })
          .end('slow down');
        return;
      case 'redirect-loop':
        redirectAgain(res, '/redirect?hop=0');
        return;
      case 'endless-body':
        trickleForever(res);
        return;
      case 'connection-reset':
        // Headers and half the document reach the client, then the connection is torn down.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        res.write(body.slice(0, body.length / 2), () => res.socket?.destroy());
        return;
      case 'huge-declared-body':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE_BODY_BYTES) });
        pumpPaddedKeySet(res, body, HUGE_BODY_BYTES);
        return;
      case 'huge-chunked-body':
        res.writeHead(200, { 'content-type': 'application/json' });
        pumpPaddedKeySet(res, body, HUGE_BODY_BYTES);
        return;
    }
  }

  return state;
}

function sendJson(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' });
  res.end(JSON.stringify(body));
}

/** Each hop points at the next, for ever: only the client's redirect limit ends it. */
function redirectAgain(res: ServerResponse, url: string): void {
  const hop = Number(new URL(url, 'http://loop').searchParams.get('hop') ?? 0);
  res.writeHead(302, { location: `/redirect?hop=${hop + 1}` }).end();
}

/** Sends headers and the start of a document, then one space every 20 ms until the client leaves. */
function trickleForever(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"keys":[');
  const timer = setInterval(() => res.write(' '), 20);
  res.on('close', () => clearInterval(timer));
}

/**
 * Writes `total` bytes: the real key set with JSON whitespace inside it, so the document would
 * parse if read whole and only the size limit can be what refuses it. Honours back-pressure and
 * stops when the client goes away.
 */
function pumpPaddedKeySet(res: ServerResponse, keySetJson: string, total: number): void {
  const opening = keySetJson.slice(0, -1);
  const padding = Buffer.alloc(64 * 1024, 0x20);
  let remaining = total - keySetJson.length;
  res.write(opening);
  const pump = (): void => {
    while (remaining > 0 && !res.destroyed) {
      const chunk = remaining >= padding.length ? padding : padding.subarray(0, remaining);
      remaining -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end('}');
  };
  pump();
}
