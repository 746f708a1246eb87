import express, { type ErrorRequestHandler } from 'express';
import { UnauthorizedError as ExpressJwtUnauthorized, expressjwt } from 'express-jwt';
import { auth, UnauthorizedError as OAuth2BearerUnauthorized } from 'express-oauth2-jwt-bearer';
import jwksRsa from 'jwks-rsa';
import { jwtAuth } from 'tokenwarden/express';
import {
  announceListening,
  authConfigFromEnv,
  BASELINE_SUBJECT,
  type BenchRoute,
  routeBody,
} from './protocol.js';

// Express 5 with tokenwarden, express-oauth2-jwt-bearer and express-jwt + jwks-rsa, each set up as
// its README shows, all trusting the same issuer, audience, RS256 and key set URL.
const { issuer, audience, jwksUri } = authConfigFromEnv();
const app = express();
app.disable('x-powered-by');
app.disable('etag');

/** The claims object each library leaves on the request, without the competing global typings. */
function subjectOf(claims: unknown): string | undefined {
  const sub = (claims as { sub?: unknown } | undefined)?.sub;
  return typeof sub === 'string' ? sub : undefined;
}

app.get('/none', (_req, res) => {
  res.json(routeBody(undefined));
});

app.get(
  '/noop',
  (_req, _res, next) => next(),
  (_req, res) => {
    res.json(routeBody(undefined));
  },
);

app.get('/tokenwarden', jwtAuth({ issuer, audience, jwksUri, algorithms: ['RS256'] }), (req, res) => {
  res.json(routeBody(req.auth?.claims.sub));
});

app.get('/peer', auth({ issuer, audience, jwksUri, tokenSigningAlg: 'RS256' }), (req, res) => {
  res.json(routeBody(subjectOf((req.auth as { payload?: unknown } | undefined)?.payload)));
});

app.get(
  '/peer2',
  expressjwt({
    secret: jwksRsa.expressJwtSecret({ jwksUri, cache: true, rateLimit: true }),
    issuer,
    audience,
    algorithms: ['RS256'],
  }),
  (req, res) => {
    res.json(routeBody(subjectOf(req.auth)));
  },
);

// Both peers pass their errors to next(); answering them here keeps Express from logging each stack.
const answerUnauthorized: ErrorRequestHandler = (error, _req, res, next) => {
  if (error instanceof OAuth2BearerUnauthorized) {
    res.status(error.status).set(error.headers).end();
  } else if (error instanceof ExpressJwtUnauthorized) {
    res.status(error.status).end();
  } else {
    next(error);
  }
};
app.use(answerUnauthorized);

const routes: BenchRoute[] = [
  { path: '/none', kind: 'none', subject: 'no auth' },
  { path: '/noop', kind: 'baseline', subject: BASELINE_SUBJECT },
  { path: '/tokenwarden', kind: 'tokenwarden', subject: 'tokenwarden' },
  { path: '/peer', kind: 'peer', subject: 'express-oauth2-jwt-bearer' },
  { path: '/peer2', kind: 'peer', subject: 'express-jwt + jwks-rsa' },
];
const server = app.listen(0, '127.0.0.1', () => announceListening(server.address(), routes));
