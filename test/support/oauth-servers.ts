import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';

/** Where test servers listen: loopback only. */
export const HOST = '127.0.0.1';

/** A running server whose handler is set once its URL is known. */
export interface LateBoundServer {
  readonly server: Server;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Sets the handler; until then every request gets 503. */
  handle(listener: RequestListener): void;
}

/**
 * A Node server on a free loopback port whose handler is set once its URL is known: an authorization
 * server's issuer identifier must name its own URL before it can be built.
 */
export async function listenFirst(): Promise<LateBoundServer> {
  let listener: RequestListener = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, HOST, () => resolve()));
  return {
    server,
    url: `http://${HOST}:${(server.address() as AddressInfo).port}`,
    handle: (next) => {
      listener = next;
    },
  };
}

/** RFC 9449 §8: a server may answer the first proof with a nonce; the DPoP handle keeps it for the retry. */
export async function withNonceRetry<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return send();
  }
}
