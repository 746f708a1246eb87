import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { jwk } from 'hono/jwk';
import type { HonoJsonWebKey } from 'hono/utils/jwt/jws';
import { jwtAuth, type TokenwardenEnv } from 'tokenwarden/hono';
import {
  announceListening,
  authConfigFromEnv,
  BASELINE_SUBJECT,
  type BenchRoute,
  routeBody,
} from './protocol.js';

// Hono 4 on @hono/node-server with tokenwarden and Hono's built-in jwk middleware, all trusting the
// same issuer, audience, RS256 and key set URL.
const { issuer, audience, jwksUri } = authConfigFromEnv();
// Types tokenwarden's `auth` and hono/jwk's `jwtPayload` context variables side by side.
type BenchEnv = { Variables: TokenwardenEnv['Variables'] & { jwtPayload: unknown } };
const app = new Hono<BenchEnv>();
const verification = { iss: issuer, aud: audience, typ: 'at+jwt' };

// hono/jwk given `jwks_uri` fetches the key set on every request (it keeps no cache), so a second
// route gives it the same key set fetched once at start-up: the setup a Hono user would turn to.
const response = await fetch(jwksUri);
const { keys } = (await response.json()) as { keys: HonoJsonWebKey[] };

function subjectOf(payload: unknown): string | undefined {
  const sub = (payload as { sub?: unknown } | undefined)?.sub;
  return typeof sub === 'string' ? sub : undefined;
}

app.get('/none', (c) => c.json(routeBody(undefined)));
app.get(
  '/noop',
  async (_c, next) => {
    await next();
  },
  (c) => c.json(routeBody(undefined)),
);
app.get('/tokenwarden', jwtAuth({ issuer, audience, jwksUri, algorithms: ['RS256'] }), (c) =>
  c.json(routeBody(c.get('auth')?.claims.sub)),
);
app.get('/peer', jwk({ jwks_uri: jwksUri, alg: ['RS256'], verification }), (c) =>
  c.json(routeBody(subjectOf(c.get('jwtPayload')))),
);
app.get('/peer2', jwk({ keys, alg: ['RS256'], verification }), (c) =>
  c.json(routeBody(subjectOf(c.get('jwtPayload')))),
);

const routes: BenchRoute[] = [
  { path: '/none', kind: 'none', subject: 'no auth' },
  { path: '/noop', kind: 'baseline', subject: BASELINE_SUBJECT },
  { path: '/tokenwarden', kind: 'tokenwarden', subject: 'tokenwarden' },
  { path: '/peer', kind: 'peer', subject: 'hono/jwk (jwks_uri)' },
  { path: '/peer2', kind: 'peer', subject: 'hono/jwk (keys fetched once)' },
];
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
  announceListening(server.address(), routes),
);
