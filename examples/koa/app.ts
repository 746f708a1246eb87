import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import type { VerifierOptions } from 'tokenwarden';
import { jwtAuth, requireScope } from 'tokenwarden/koa';

/** The three routes of Auth0's go-jwt-middleware example, protected by tokenwarden. */
export function createApp(auth: VerifierOptions): Koa {
  const app = new Koa();
  const router = new Router();
  const checkJwt = jwtAuth(auth);

  router.get('/api/public', (ctx) => {
    ctx.body = { message: "Hello from a public endpoint! You don't need to be authenticated to see this." };
  });
  router.get('/api/private', checkJwt, (ctx) => {
    ctx.body = { message: 'Hello from a private endpoint! You need to be authenticated to see this.' };
  });
  router.get('/api/private-scoped', checkJwt, requireScope('read:messages'), (ctx) => {
    ctx.body = {
      message:
        'Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.',
    };
  });
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}

/** Starts the app on `host:port` (port 0 picks a free one) and resolves with its URL and a closer. */
export async function listen(
  auth: VerifierOptions,
  port: number,
  host: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createApp(auth).listen(port, host);
  // Rejects with the listen error (EADDRINUSE…) instead of reporting a server that never started.
  await once(server, 'listening');
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
