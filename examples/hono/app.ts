import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { VerifierOptions } from 'tokenwarden';
import { jwtAuth, requireScope, type TokenwardenEnv } from 'tokenwarden/hono';

/** The three routes of Auth0's go-jwt-middleware example, protected by tokenwarden. */
export function createApp(auth: VerifierOptions): Hono<TokenwardenEnv> {
  const app = new Hono<TokenwardenEnv>();
  const checkJwt = jwtAuth(auth);

  app.get('/api/public', (c) =>
    c.json({ message: "Hello from a public endpoint! You don't need to be authenticated to see this." }),
  );
  app.get('/api/private', checkJwt, (c) =>
    c.json({ message: 'Hello from a private endpoint! You need to be authenticated to see this.' }),
  );
  app.get('/api/private-scoped', checkJwt, requireScope('read:messages'), (c) =>
    c.json({
      message:
        'Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.',
    }),
  );
  return app;
}

/**
 * Starts the app on `host:port` (port 0 picks a free one) and resolves with its URL and a closer.
 * The app itself is Web-standard; only this function is Node-specific (`@hono/node-server`).
 */
export async function listen(
  auth: VerifierOptions,
  port: number,
  host: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(getRequestListener(createApp(auth).fetch));
  // Rejects with the listen error (EADDRINUSE…) instead of reporting a server that never started.
  await once(server.listen(port, host), 'listening');
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
