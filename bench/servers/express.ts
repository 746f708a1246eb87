import { JwtVerifier } from 'aws-jwt-verify';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { UnauthorizedError as ExpressJwtUnauthorized, expressjwt } from 'express-jwt';
import { auth, UnauthorizedError as OAuth2BearerUnauthorized } from 'express-oauth2-jwt-bearer';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import buildGetJwks from 'get-jwks';
import jwksRsa from 'jwks-rsa';
import { jwtAuth } from 'tokenwarden/express';
import {
  announceListening,
  authConfigFromEnv,
  BASELINE_SUBJECT,
  type BenchRoute,
  routeBody,
} from './protocol.js';

// Express 5 with tokenwarden, express-oauth2-jwt-bearer, express-jwt + jwks-rsa, aws-jwt-verify and
// fast-jwt + get-jwks, each set up as its README shows, all trusting the same issuer, audience, RS256
// and key set URL. aws-jwt-verify and fast-jwt have no Express middleware: each gets the same small one.
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

/** The Bearer token of a request, or `undefined`. */
function bearerToken(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

/** A middleware around a promise-returning verification: 401 when it rejects. */
function bearerMiddleware(verify: (token: string) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      res.status(401).end();
      return;
    }
    verify(token).then(
      (claims) => {
        (req as { claims?: unknown }).claims = claims;
        next();
      },
      () => {
        res.status(401).end();
      },
    );
  };
}

// aws-jwt-verify fetches key sets over https only; the bench issuer serves http on 127.0.0.1, so the
// set is fetched once here and handed over with cacheJwks, as its README shows for preloaded keys.
const awsVerifier = JwtVerifier.create({ issuer, audience, jwksUri });
awsVerifier.cacheJwks((await (await fetch(jwksUri)).json()) as Parameters<typeof awsVerifier.cacheJwks>[0]);
app.get(
  '/peer3',
  bearerMiddleware((token) => awsVerifier.verify(token)),
  (req, res) => {
    res.json(routeBody(subjectOf((req as { claims?: unknown }).claims)));
  },
);

const getJwks = buildGetJwks({ issuersWhitelist: [issuer], jwksPath: new URL(jwksUri).pathname });
const fastJwtVerify = createFastJwtVerifier({
  key: async ({ header, payload }: { header: Record<string, string>; payload: { iss: string } }) =>
    getJwks.getPublicKey({ kid: header.kid, alg: header.alg, domain: payload.iss }),
  complete: false,
  algorithms: ['RS256'],
  allowedIss: issuer,
  allowedAud: audience,
});
app.get(
  '/peer4',
  bearerMiddleware((token) => fastJwtVerify(token)),
  (req, res) => {
    res.json(routeBody(subjectOf((req as { claims?: unknown }).claims)));
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
  { path: '/peer3', kind: 'peer', subject: 'aws-jwt-verify (keys fetched once)' },
  { path: '/peer4', kind: 'peer', subject: 'fast-jwt + get-jwks' },
];
const server = app.listen(0, '127.0.0.1', () => announceListening(server.address(), routes));
