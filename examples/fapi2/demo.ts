import { exitOnListenError } from '../listen-error.js';
import { startFapiDemo } from './server.js';

// `npm run demo -- --fapi`: the FAPI 2.0 resource server and its embedded authorization server.
const host = process.env.HOST ?? '127.0.0.1';
const apiPort = Number(process.env.PORT ?? 3000);
const asPort = Number(process.env.AS_PORT ?? 4000);
const demo = await startFapiDemo(host, apiPort, asPort).catch((error: unknown) =>
  exitOnListenError(error, { [apiPort]: 'PORT', [asPort]: 'AS_PORT' }),
);

console.log(`FAPI 2.0 resource server (profile 'fapi2', Express) on ${demo.apiUrl}`);
console.log(`Embedded authorization server (oidc-provider, opaque DPoP-bound tokens) on ${demo.issuer}\n`);
console.log('# a DPoP-bound opaque token, then GET /api/sample with its proof: 200');
console.log(
  `npx tsx examples/fapi2/client.ts ${demo.issuer} ${demo.clientSecret} ${demo.apiUrl}/api/sample\n`,
);
console.log('# a Bearer token is refused (FAPI 2.0 §5.3.4: sender-constrained tokens only): 401');
console.log(`curl -i ${demo.apiUrl}/api/sample -H "Authorization: Bearer some-token"\n`);
console.log('# a token in the query is refused: 401, no token read');
console.log(`curl -i "${demo.apiUrl}/api/sample?access_token=some-token"`);

const shutdown = async () => {
  await demo.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
