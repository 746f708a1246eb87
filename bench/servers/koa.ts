import Router from '@koa/router';
import jwksRsa from 'jwks-rsa';
import Koa from 'koa';
import koaJwt from 'koa-jwt';
import { jwtAuth } from 'tokenwarden/koa';
import {
  announceListening,
  authConfigFromEnv,
  BASELINE_SUBJECT,
  type BenchRoute,
  routeBody,
} from './protocol.js';

// Koa 3 with @koa/router, tokenwarden and koa-jwt + jwks-rsa (as koa-jwt's README pairs them), all
// trusting the same issuer, audience, RS256 and key set URL.
const { issuer, audience, jwksUri } = authConfigFromEnv();
const app = new Koa();
const router = new Router();

function subjectOf(payload: unknown): string | undefined {
  const sub = (payload as { sub?: unknown } | undefined)?.sub;
  return typeof sub === 'string' ? sub : undefined;
}

router.get('/none', (ctx) => {
  ctx.body = routeBody(undefined);
});
router.get(
  '/noop',
  (_ctx, next) => next(),
  (ctx) => {
    ctx.body = routeBody(undefined);
  },
);
router.get('/tokenwarden', jwtAuth({ issuer, audience, jwksUri, algorithms: ['RS256'] }), (ctx) => {
  ctx.body = routeBody(ctx.state.auth?.claims.sub);
});
router.get(
  '/peer',
  koaJwt({
    secret: jwksRsa.koaJwtSecret({ jwksUri, cache: true, rateLimit: true }),
    issuer,
    audience,
    algorithms: ['RS256'],
  }),
  (ctx) => {
    ctx.body = routeBody(subjectOf(ctx.state.user));
  },
);
app.use(router.routes());

const routes: BenchRoute[] = [
  { path: '/none', kind: 'none', subject: 'no auth' },
  { path: '/noop', kind: 'baseline', subject: BASELINE_SUBJECT },
  { path: '/tokenwarden', kind: 'tokenwarden', subject: 'tokenwarden' },
  { path: '/peer', kind: 'peer', subject: 'koa-jwt + jwks-rsa' },
];
const server = app.listen(0, '127.0.0.1', () => announceListening(server.address(), routes));
