import { resolveDemoAuth } from './issuer-config.js';

type Listen = typeof import('./express/app.js').listen;

const frameworks: Record<string, () => Promise<Listen>> = {
  express: async () => (await import('./express/app.js')).listen,
  fastify: async () => (await import('./fastify/app.js')).listen,
  hono: async () => (await import('./hono/app.js')).listen,
  koa: async () => (await import('./koa/app.js')).listen,
};

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
const server = await (await load())(auth.options, port, host);

console.log(`tokenwarden demo (${framework}) listening on ${server.url}`);
console.log(
  `Protecting routes for issuer ${String(auth.options.issuer)} and audience ${String(auth.options.audience)}\n`,
);
if (auth.samples !== undefined) {
  const { scoped, unscoped, expired } = auth.samples;
  console.log('Try it:\n');
  console.log(`curl -i ${server.url}/api/public`);
  console.log(`curl -i ${server.url}/api/private`);
  console.log(`curl -i ${server.url}/api/private -H "Authorization: Bearer ${unscoped}"`);
  console.log(`curl -i ${server.url}/api/private-scoped -H "Authorization: Bearer ${scoped}"`);
  console.log(`curl -i ${server.url}/api/private-scoped -H "Authorization: Bearer ${unscoped}"`);
  console.log(`curl -i ${server.url}/api/private -H "Authorization: Bearer ${expired}"`);
  console.log('\n(The first token has read:messages, the second does not, the third is expired.)');
}

const shutdown = async () => {
  await server.close();
  await auth.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
