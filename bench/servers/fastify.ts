import fastifyJwt, { type TokenOrHeader } from '@fastify/jwt';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import buildGetJwks from 'get-jwks';
import tokenwarden from 'tokenwarden/fastify';
import {
  announceListening,
  authConfigFromEnv,
  BASELINE_SUBJECT,
  type BenchRoute,
  routeBody,
} from './protocol.js';

// Fastify 5 with tokenwarden and @fastify/jwt + get-jwks (the pairing @fastify/jwt's README shows,
// with its `cache` option on), both trusting the same issuer, audience, RS256 and key set URL.
const { issuer, audience, jwksUri } = authConfigFromEnv();
const app = Fastify({ logger: false });

await app.register(tokenwarden, { issuer, audience, jwksUri, algorithms: ['RS256'] });

// get-jwks derives the key set URL from the token's iss; the whitelist keeps it from fetching keys
// from whatever issuer a token names.
const getJwks = buildGetJwks({ issuersWhitelist: [issuer], jwksPath: new URL(jwksUri).pathname });
await app.register(fastifyJwt, {
  decode: { complete: true },
  secret: (_request: FastifyRequest, token: TokenOrHeader) => {
    const { header, payload } = token as { header: { kid: string; alg: string }; payload: { iss: string } };
    return getJwks.getPublicKey({ kid: header.kid, alg: header.alg, domain: payload.iss });
  },
  // fast-jwt's verified-token cache, off by default, on here as tokenwarden's is.
  verify: { allowedIss: issuer, allowedAud: audience, algorithms: ['RS256'], cache: true },
});

async function fastifyJwtHook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  try {
    await request.jwtVerify();
  } catch (error) {
    await reply.send(error);
  }
}

app.get('/none', async () => routeBody(undefined));
// Like app.authenticate, an async onRequest hook, but one that does nothing.
app.get('/noop', { onRequest: async () => {} }, async () => routeBody(undefined));
app.get('/tokenwarden', { onRequest: app.authenticate }, async (request) =>
  routeBody(request.auth?.claims.sub),
);
app.get('/peer', { onRequest: fastifyJwtHook }, async (request) =>
  routeBody((request.user as { sub?: string }).sub),
);

const routes: BenchRoute[] = [
  { path: '/none', kind: 'none', subject: 'no auth' },
  { path: '/noop', kind: 'baseline', subject: BASELINE_SUBJECT },
  { path: '/tokenwarden', kind: 'tokenwarden', subject: 'tokenwarden' },
  { path: '/peer', kind: 'peer', subject: '@fastify/jwt + get-jwks (cache on)' },
];
await app.listen({ port: 0, host: '127.0.0.1' });
announceListening(app.server.address(), routes);
