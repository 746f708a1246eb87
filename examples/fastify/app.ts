import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { VerifierOptions } from 'tokenwarden';
import tokenwarden from 'tokenwarden/fastify';

/** The three routes of Auth0's go-jwt-middleware example, protected by tokenwarden. */
export async function createApp(auth: VerifierOptions): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(tokenwarden, auth);

  app.get('/api/public', async () => ({
    message: "Hello from a public endpoint! You don't need to be authenticated to see this.",
  }));
  app.get('/api/private', { onRequest: app.authenticate }, async () => ({
    message: 'Hello from a private endpoint! You need to be authenticated to see this.',
  }));
  app.get(
    '/api/private-scoped',
    { onRequest: [app.authenticate, app.requireScope('read:messages')] },
    async () => ({
      message:
        'Hello from a private endpoint! You need to be authenticated and have a scope of read:messages to see this.',
    }),
  );
  return app;
}

/** Starts the app on `host:port` (port 0 picks a free one) and resolves with its URL and a closer. */
export async function listen(
  auth: VerifierOptions,
  port: number,
  host: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const app = await createApp(auth);
  await app.listen({ port, host });
  const address = app.server.address() as AddressInfo;
  return { url: `http://${host}:${address.port}`, close: () => app.close() };
}
