import { createVerifier } from 'tokenwarden';
import { resolveDemoAuth } from './issuer-config.js';
import { exitOnListenError } from './listen-error.js';

type Listen = typeof import('./express/app.js').listen;

const frameworks: Record<string, () => Promise<Listen>> = {
  express: async () => (await import('./express/app.js')).listen,
  fastify: async () => (await import('./fastify/app.js')).listen,
  hono: async () => (await import('./hono/app.js')).listen,
  koa: async () => (await import('./koa/app.js')).listen,
};

if (process.argv.includes('--fapi')) {
  await import('./fapi2/demo.js');
} else {
  await jwtDemo();
}

async function jwtDemo(): Promise<void> {
  const framework = (
    process.argv.find((arg) => arg.startsWith('--framework='))?.split('=')[1] ?? 'express'
  ).toLowerCase();
  const load = frameworks[framework];
  if (load === undefined) {
    console.error(`Unknown framework "${framework}". Choose one of: ${Object.keys(frameworks).join(', ')}.`);
    process.exit(1);
  }

  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const auth = await resolveDemoAuth();
  // Fail at start-up, naming the URL and the cause, when ISSUER's discovery or keys cannot be had.
  try {
    await createVerifier(auth.options).ready();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const listen = await load();
  const server = await listen(auth.options, port, host).catch((error: unknown) =>
    exitOnListenError(error, { [port]: 'PORT' }),
  );

  console.log(`tokenwarden demo (${framework}) listening on ${server.url}`);
  console.log(
    `Protecting routes for issuer ${String(auth.options.issuer)} and audience ${String(auth.options.audience)}\n`,
  );
  if (auth.samples !== undefined) {
    const { scoped, unscoped, expired } = auth.samples;
    console.log('Try it:\n');
    console.log('# public: always 200');
    console.log(`curl -i ${server.url}/api/public\n`);
    console.log('# private without a token: 401');
    console.log(`curl -i ${server.url}/api/private\n`);
    console.log('# private with a valid token (no read:messages scope): 200');
    console.log(`curl -i ${server.url}/api/private -H "Authorization: Bearer ${unscoped}"\n`);
    console.log('# private-scoped with a token that has read:messages: 200');
    console.log(`curl -i ${server.url}/api/private-scoped -H "Authorization: Bearer ${scoped}"\n`);
    console.log('# private-scoped with a token without read:messages: 403');
    console.log(`curl -i ${server.url}/api/private-scoped -H "Authorization: Bearer ${unscoped}"\n`);
    console.log('# private with an expired token: 401');
    console.log(`curl -i ${server.url}/api/private -H "Authorization: Bearer ${expired}"`);
  }

  const shutdown = async () => {
    await server.close();
    await auth.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
